-- +goose Up
-- Receipts and monthly statements now leave through the outbox. The
-- history of money_messages_sent is carried over as 'sent' rows under the
-- keys the code now uses (receipt:<receipt number>,
-- statement:<person>:<YYYY-MM>), so a receipt or statement already
-- delivered is never queued again — by the monthly job, or by a
-- money_receipt / money_statement job still waiting in river_job.
-- Not carried: Telegram's message ids and the number of tries (never
-- recorded), and the rows of people already erased, whose outbox is
-- emptied by the erasure anyway.
INSERT INTO outbox (centre_id, person_id, kind, dedupe_key, args, not_before, state, attempts,
    created_at, updated_at, sent_at)
SELECT p.centre_id, m.person_id, m.kind,
    CASE m.kind WHEN 'receipt' THEN 'receipt:' || m.ref
        ELSE 'statement:' || m.person_id || ':' || m.ref END,
    CASE m.kind WHEN 'receipt' THEN jsonb_build_object('receipt', m.ref)
        ELSE jsonb_build_object('month', m.ref) END,
    m.sent_at, 'sent', 1, m.sent_at, m.sent_at, m.sent_at
FROM money_messages_sent m
JOIN people p ON p.id = m.person_id
WHERE p.erased_at IS NULL
ON CONFLICT (centre_id, dedupe_key) DO NOTHING;

DROP TABLE money_messages_sent;

-- +goose Down
-- The old table again, with every receipt and statement the outbox sent.
-- The outbox rows stay: going up again finds them and adds nothing.
CREATE TABLE money_messages_sent (
    kind       text NOT NULL CHECK (kind IN ('receipt', 'statement')),
    person_id  bigint NOT NULL REFERENCES people (id),
    ref        text NOT NULL,
    sent_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, person_id, ref)
);
INSERT INTO money_messages_sent (kind, person_id, ref, sent_at)
SELECT kind, person_id,
    CASE kind WHEN 'receipt' THEN args ->> 'receipt' ELSE args ->> 'month' END,
    COALESCE(sent_at, updated_at)
FROM outbox
WHERE kind IN ('receipt', 'statement') AND state = 'sent'
ON CONFLICT DO NOTHING;
