-- +goose Up
-- One outbox for everything the bot sends on its own: reminders, receipts,
-- statements, notices, alerts, relayed messages, announcements. A row is
-- written in the same transaction as the change that causes it, and sent
-- later by the outbox worker (River), which marks it 'sending' only right
-- before the call to Telegram.
CREATE TABLE outbox (
    id                  bigserial PRIMARY KEY,
    centre_id           bigint NOT NULL REFERENCES centres (id),
    -- The recipient. The chat and the language are read when the message
    -- is sent, so a language changed meanwhile is honoured.
    person_id           bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    -- What it is: picks how it is rendered and what happens to it when a
    -- crash leaves it in doubt (docs/RELIABILITY.md).
    kind                text NOT NULL,
    -- Unique per centre, so the same message can never be queued twice
    -- (reminder:appointment:42:24h, receipt:R-2026-000123…).
    dedupe_key          text NOT NULL,
    -- The message id in the language files and its variables; a kind may
    -- render from its own data instead.
    msg_id              text NOT NULL DEFAULT '',
    args                jsonb NOT NULL DEFAULT '{}',
    announcement_id     bigint REFERENCES announcements (id) ON DELETE CASCADE,
    not_before          timestamptz NOT NULL,
    state               text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'unreachable', 'failed', 'cancelled')),
    attempts            integer NOT NULL DEFAULT 0,
    -- Why it did not arrive (interrupted, refused, no_account, obsolete…).
    note                text NOT NULL DEFAULT '',
    telegram_message_id bigint,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    sent_at             timestamptz,
    UNIQUE (centre_id, dedupe_key)
);
CREATE INDEX outbox_person ON outbox (person_id);
-- Pending messages are cancelled by key prefix (an appointment's reminders).
CREATE INDEX outbox_key_prefix ON outbox (centre_id, dedupe_key text_pattern_ops);
CREATE INDEX outbox_announcement ON outbox (announcement_id, state) WHERE announcement_id IS NOT NULL;
CREATE INDEX outbox_unsent ON outbox (not_before) WHERE state IN ('pending', 'sending');

-- +goose Down
DROP TABLE outbox;
