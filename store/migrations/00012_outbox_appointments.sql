-- +goose Up
-- Appointment reminders and no-answer checks now leave through the outbox
-- (one row per reminder, written with the appointment's change). The
-- reminders already handled are carried over under the key the new code
-- gives them, "reminder:appointment:<id>:v<version>:<24h|90m|noanswer>:<unix due>",
-- so a reminder job still queued from before (turned into its outbox row by
-- a shim worker) is never sent a second time. Reminders still pending are
-- not carried: their River jobs are still queued and the shim queues them.
-- A no-answer check goes to the appointment's coordinator as he is now (the
-- old table did not keep who got it); one of an appointment without a
-- coordinator any more cannot be carried.
INSERT INTO outbox (centre_id, person_id, kind, dedupe_key, msg_id, args, not_before, state, attempts,
                    note, created_at, updated_at, sent_at)
SELECT a.centre_id,
       CASE r.kind WHEN 'reminder' THEN a.person_id ELSE a.coordinator_id END,
       CASE r.kind WHEN 'reminder' THEN 'appointment.reminder' ELSE 'appointment.noanswer' END,
       'reminder:appointment:' || a.id || ':v' || r.version || ':' ||
           CASE WHEN r.kind = 'noanswer' THEN 'noanswer'
                WHEN r.offset_minutes % 60 = 0 THEN (r.offset_minutes / 60) || 'h'
                ELSE r.offset_minutes || 'm' END ||
           ':' || floor(extract(epoch FROM r.due_at))::bigint,
       CASE r.kind WHEN 'reminder' THEN 'appointments.reminder' ELSE 'appointments.noanswer' END,
       jsonb_build_object('appointment', a.id::text, 'version', r.version::text),
       r.due_at,
       -- sent → sent; sending (cut by a crash; the old code never sent it
       -- again) → failed, interrupted; failed (no chat, blocked) →
       -- unreachable; skipped or cancelled (moved, cancelled, answered, too
       -- late) → cancelled, obsolete.
       CASE r.state WHEN 'sent' THEN 'sent' WHEN 'sending' THEN 'failed' WHEN 'failed' THEN 'unreachable'
                    ELSE 'cancelled' END,
       CASE WHEN r.state IN ('sent', 'sending', 'failed') THEN 1 ELSE 0 END,
       CASE r.state WHEN 'sending' THEN 'interrupted' WHEN 'skipped' THEN 'obsolete'
                    WHEN 'cancelled' THEN 'obsolete' ELSE '' END,
       a.created_at,
       COALESCE(r.done_at, r.due_at),
       CASE WHEN r.state = 'sent' THEN COALESCE(r.done_at, r.due_at) END
FROM appointment_reminders r
JOIN appointments a ON a.id = r.appointment_id
WHERE r.state <> 'pending'
  AND (r.kind = 'reminder' OR a.coordinator_id IS NOT NULL)
ON CONFLICT (centre_id, dedupe_key) DO NOTHING;

DROP TABLE appointment_reminders;

-- +goose Down
-- The table comes back empty: the history stays in the outbox, and the code
-- of that time plans reminders only when an appointment is made or moved.
CREATE TABLE appointment_reminders (
    id              bigserial PRIMARY KEY,
    appointment_id  bigint NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    version         integer NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('reminder', 'noanswer')),
    offset_minutes  integer NOT NULL CHECK (offset_minutes > 0),
    due_at          timestamptz NOT NULL,
    job_id          bigint,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'cancelled', 'failed')),
    done_at         timestamptz,
    UNIQUE (appointment_id, version, kind, offset_minutes)
);
CREATE INDEX appointment_reminders_pending ON appointment_reminders (appointment_id) WHERE state = 'pending';
