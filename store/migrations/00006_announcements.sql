-- +goose Up
-- An announcement is written once by staff and delivered to each recipient
-- in his own language at send time: a template (id + typed parameters such
-- as a date, never a name, a balance or an absence) or a free text with
-- optional versions per language. Only the text and its audience are kept;
-- the audit log says who sent it.
CREATE TABLE announcements (
    id                  bigserial PRIMARY KEY,
    centre_id           bigint NOT NULL REFERENCES centres (id),
    created_by          bigint NOT NULL REFERENCES people (id),
    -- draft_key is the random key of the staff conversation that made it: a
    -- confirm button pressed twice cannot send the announcement twice.
    draft_key           text NOT NULL,
    audience_kind       text NOT NULL CHECK (audience_kind IN ('all', 'floor', 'language', 'staff', 'class')),
    audience_value      text NOT NULL DEFAULT '',
    template            text,
    params              jsonb NOT NULL DEFAULT '{}'::jsonb,
    body                text CHECK (length(body) BETWEEN 1 AND 3500),
    recipients          integer NOT NULL CHECK (recipients > 0),
    -- The staff member's message edited with the progress of the delivery
    -- (his preview), and how many deliveries done it shows (-1: not yet).
    progress_chat_id    bigint NOT NULL,
    progress_message_id integer NOT NULL DEFAULT 0,
    progress_shown      integer NOT NULL DEFAULT -1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    reported_at         timestamptz,
    CHECK ((template IS NULL) <> (body IS NULL)),
    UNIQUE (created_by, draft_key)
);
CREATE INDEX announcements_centre ON announcements (centre_id, id DESC);

-- Versions of a free text in other languages; a recipient gets the version
-- of his language, else the original body.
CREATE TABLE announcement_versions (
    announcement_id bigint NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    language        text NOT NULL,
    body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 3500),
    PRIMARY KEY (announcement_id, language)
);

-- One row per recipient: pending → sending → sent / unreachable / failed.
-- A broadcast resumed after a crash skips every row that left 'pending',
-- so nobody gets a message twice.
CREATE TABLE deliveries (
    announcement_id bigint NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    person_id       bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'unreachable', 'failed')),
    -- Why a delivery failed: 'interrupted' (cut by a crash while sending:
    -- it may or may not have arrived), 'refused' (Telegram refused it),
    -- 'gave_up' (errors until the last try), 'no_account' (left, unlinked).
    note            text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- When a worker claimed it, on the database's clock: a claim far older
    -- than the job timeout can only belong to a process that died.
    claimed_at      timestamptz,
    sent_at         timestamptz,
    PRIMARY KEY (announcement_id, person_id)
);
CREATE INDEX deliveries_person_sent ON deliveries (person_id, sent_at DESC) WHERE state = 'sent';

-- +goose Down
DROP TABLE deliveries;
DROP TABLE announcement_versions;
DROP TABLE announcements;
