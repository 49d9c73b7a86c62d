-- +goose Up
-- One deployment, many centres, each with its own Telegram bot (its own
-- @name, token and limits: Telegram's limits are per bot). The deployment's
-- default centre keeps its bot in TELEGRAM_TOKEN; the others are added with
-- `cairbot centre add`. The token is a secret: it is read only by the bot
-- process and never shown (`cairbot centre list` prints the username).
CREATE TABLE centre_bots (
    centre_id      bigint PRIMARY KEY REFERENCES centres (id),
    token          text NOT NULL UNIQUE,
    username       text NOT NULL,
    webhook_secret text NOT NULL CHECK (webhook_secret ~ '^[A-Za-z0-9_-]+$' AND length(webhook_secret) <= 256),
    added_at       timestamptz NOT NULL DEFAULT now()
);

-- A Telegram account is linked once per centre, no longer once per
-- deployment: the same man may be known to two centres' bots (a move from
-- one centre to another, a staff member of two sites), and each bot finds
-- only its own centre's person.
ALTER TABLE people DROP CONSTRAINT people_telegram_id_key;
ALTER TABLE people ADD CONSTRAINT people_centre_telegram_id_key UNIQUE (centre_id, telegram_id);

-- +goose Down
ALTER TABLE people DROP CONSTRAINT people_centre_telegram_id_key;
ALTER TABLE people ADD CONSTRAINT people_telegram_id_key UNIQUE (telegram_id);
DROP TABLE centre_bots;
