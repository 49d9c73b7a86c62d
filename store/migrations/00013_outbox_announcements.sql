-- +goose Up
-- Announcements leave through the outbox: one row per recipient, kind
-- 'announcement', key announcement:<announcement>:<person>. The deliveries
-- table is carried over, then dropped. Every state is carried, not only
-- 'sent', so that the progress and the report of an announcement still
-- being sent at the upgrade keep their counts:
--   sent, unreachable, failed  → the same, with their note and sent_at;
--   sending                    → failed 'interrupted': a crash cut it, it
--                                may have arrived, it is not sent again
--                                (what the old code would have decided);
--   pending                    → pending, without a send job of its own:
--                                its old 'announce' job, still queued,
--                                queues one (handlers.AnnounceWorker).
-- Not carried: Telegram's message ids (deliveries never kept them), the
-- number of tries, and claimed_at (no meaning in the outbox).
INSERT INTO outbox (centre_id, person_id, kind, dedupe_key, announcement_id, not_before, state, attempts,
    note, created_at, updated_at, sent_at)
SELECT a.centre_id, d.person_id, 'announcement',
    'announcement:' || d.announcement_id || ':' || d.person_id, d.announcement_id, a.created_at,
    CASE d.state WHEN 'sending' THEN 'failed' ELSE d.state END,
    CASE d.state WHEN 'pending' THEN 0 ELSE 1 END,
    CASE d.state WHEN 'sending' THEN 'interrupted' ELSE d.note END,
    a.created_at, d.updated_at, d.sent_at
FROM deliveries d
JOIN announcements a ON a.id = d.announcement_id
ON CONFLICT (centre_id, dedupe_key) DO NOTHING;

DROP TABLE deliveries;

-- +goose Down
-- Back to one delivery row per recipient. A cancelled message (an
-- announcement that could not be rendered) becomes failed 'refused', as
-- the old code marked it; the outbox rows of announcements are removed.
-- A message still pending gets no job of the old kind back: roll back only
-- when no announcement is being sent.
CREATE TABLE deliveries (
    announcement_id bigint NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    person_id       bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'unreachable', 'failed')),
    note            text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now(),
    claimed_at      timestamptz,
    sent_at         timestamptz,
    PRIMARY KEY (announcement_id, person_id)
);
CREATE INDEX deliveries_person_sent ON deliveries (person_id, sent_at DESC) WHERE state = 'sent';

INSERT INTO deliveries (announcement_id, person_id, state, note, updated_at, claimed_at, sent_at)
SELECT announcement_id, person_id,
    CASE state WHEN 'cancelled' THEN 'failed' ELSE state END,
    CASE state WHEN 'cancelled' THEN 'refused' ELSE note END,
    updated_at, CASE state WHEN 'sending' THEN updated_at END, sent_at
FROM outbox
WHERE kind = 'announcement' AND announcement_id IS NOT NULL
ON CONFLICT (announcement_id, person_id) DO NOTHING;

DELETE FROM outbox WHERE kind = 'announcement';
