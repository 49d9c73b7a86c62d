-- +goose Up
-- Class reminders, change notices, absence alerts and class-group notices
-- now leave through the outbox. What class_notices_sent recorded as sent is
-- carried over as 'sent' rows under the keys the new code uses, so nothing
-- already sent is sent again; then the table goes.
--
--   rem:<session>:<date>:<start>  → reminder:class:<session>:<date>:<start>:<revision>:<person>
--                                   (revision: the occurrence's change revision now, 0 if never changed)
--   chg:<change>:<revision>       → notice:class:<change>:<revision>:<person>
--   abs:<register>:<resident>     → alert:absence:<register>:<resident>:<coordinator>
--   enr:<job id>                  → notice:enrol:job:<job id> (the key the shim of the old job uses)
--
-- The centre is the recipient's. The rendered text was never stored: msg_id
-- names the message, args stay empty. A notice of another form (none is
-- written by the old code) is kept under legacy:class:<notice>:<person>.
WITH old AS (
    SELECT n.notice, n.person_id, n.sent_at, p.centre_id,
           regexp_match(n.notice, '^rem:([0-9]+):([0-9]{8}):(-?[0-9]+)$') AS rem
    FROM class_notices_sent n
    JOIN people p ON p.id = n.person_id
)
INSERT INTO outbox (centre_id, person_id, kind, dedupe_key, msg_id, args, not_before, state, attempts,
                    created_at, updated_at, sent_at)
SELECT o.centre_id, o.person_id,
    CASE
        WHEN o.rem IS NOT NULL THEN 'class_reminder'
        WHEN o.notice ~ '^abs:[0-9]+:[0-9]+$' THEN 'class_absence_alert'
        WHEN o.notice ~ '^enr:[0-9]+$' THEN 'class_enrol_notice'
        ELSE 'class_notice'
    END,
    CASE
        WHEN o.rem IS NOT NULL
            THEN 'reminder:class:' || substr(o.notice, 5) || ':' || COALESCE(c.revision, 0) || ':' || o.person_id
        WHEN o.notice ~ '^chg:[0-9]+:[0-9]+$' THEN 'notice:class:' || substr(o.notice, 5) || ':' || o.person_id
        WHEN o.notice ~ '^abs:[0-9]+:[0-9]+$' THEN 'alert:absence:' || substr(o.notice, 5) || ':' || o.person_id
        WHEN o.notice ~ '^enr:[0-9]+$' THEN 'notice:enrol:job:' || substr(o.notice, 5)
        ELSE 'legacy:class:' || o.notice || ':' || o.person_id
    END,
    CASE
        WHEN o.rem IS NOT NULL THEN 'classes.reminder'
        WHEN o.notice ~ '^abs:' THEN 'attendance.absence_alert'
        ELSE ''
    END,
    '{}', o.sent_at, 'sent', 1, o.sent_at, o.sent_at, o.sent_at
FROM old o
LEFT JOIN class_changes c ON c.session_id = (o.rem)[1]::bigint AND c.on_date = to_date((o.rem)[2], 'YYYYMMDD')
ON CONFLICT (centre_id, dedupe_key) DO NOTHING;

DROP TABLE class_notices_sent;

-- +goose Down
-- The sent rows of the class kinds go back into class_notices_sent under
-- the old keys; the outbox rows stay (the old code ignores them).
CREATE TABLE class_notices_sent (
    notice    text NOT NULL,
    person_id bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    sent_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (notice, person_id)
);
INSERT INTO class_notices_sent (notice, person_id, sent_at)
SELECT CASE
        WHEN o.dedupe_key ~ '^reminder:class:' THEN 'rem:' || array_to_string((string_to_array(o.dedupe_key, ':'))[3:5], ':')
        WHEN o.dedupe_key ~ '^notice:class:' THEN 'chg:' || array_to_string((string_to_array(o.dedupe_key, ':'))[3:4], ':')
        WHEN o.dedupe_key ~ '^alert:absence:' THEN 'abs:' || array_to_string((string_to_array(o.dedupe_key, ':'))[3:4], ':')
        WHEN o.dedupe_key ~ '^notice:enrol:job:' THEN 'enr:' || split_part(o.dedupe_key, ':', 4)
        WHEN o.dedupe_key ~ '^notice:enrol:' THEN 'enr:audit:' || split_part(o.dedupe_key, ':', 3)
        ELSE regexp_replace(o.dedupe_key, '^legacy:class:(.*):[0-9]+$', '\1')
    END,
    o.person_id, COALESCE(o.sent_at, o.updated_at)
FROM outbox o
WHERE o.kind IN ('class_reminder', 'class_notice', 'class_absence_alert', 'class_enrol_notice') AND o.state = 'sent'
ON CONFLICT DO NOTHING;
