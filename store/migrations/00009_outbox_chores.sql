-- +goose Up
-- The chores messages (the Monday message, reminders, reports to staff,
-- swap questions and answers, notices of moves) leave through the outbox
-- (00008) instead of jobs that sent them once with the help of chore_sends.

-- A turn's plan counts the times it changed person or time. Its reminders'
-- keys carry it, so a turn moved back where it was is reminded again
-- instead of finding the keys of its cancelled reminders.
ALTER TABLE chore_turns ADD COLUMN plan integer NOT NULL DEFAULT 0;

-- chore_sends' history becomes 'sent' outbox rows with the keys the new
-- code uses (and the workers that turn the old jobs still queued into
-- rows), so nothing already sent leaves again. Its sent_at stands for the
-- row's creation, due and sending times.

-- week:<person>:<week> → chores:week:<week>:<person>
INSERT INTO outbox (centre_id, person_id, kind, dedupe_key, msg_id, args, not_before, state, attempts,
                    created_at, updated_at, sent_at)
SELECT s.centre_id, p.id, 'chores.week', 'chores:week:' || s.m[2] || ':' || p.id, 'chores.week_notice',
       jsonb_build_object('week', s.m[2]), s.sent_at, 'sent', 1, s.sent_at, s.sent_at, s.sent_at
FROM (SELECT centre_id, sent_at, regexp_match(key, '^week:(\d{1,18}):(\d{4}-\d{2}-\d{2})$') AS m
      FROM chore_sends) s
JOIN people p ON p.id = s.m[1]::bigint AND p.centre_id = s.centre_id
WHERE s.m IS NOT NULL
ON CONFLICT (centre_id, dedupe_key) DO NOTHING;

-- eve|morning:<turn>:<at> → chores:turn:<turn>:p0:eve|morning:<at>, to the
-- turn's resident today (the key did not say who received it). A turn
-- removed since by a regeneration has no one to attribute it to.
INSERT INTO outbox (centre_id, person_id, kind, dedupe_key, msg_id, args, not_before, state, attempts,
                    created_at, updated_at, sent_at)
SELECT s.centre_id, t.person_id, 'chores.reminder', 'chores:turn:' || t.id || ':p0:' || s.m[1] || ':' || s.m[3],
       'chores.reminder.' || s.m[1], jsonb_build_object('turn', t.id::text, 'plan', '0', 'what', s.m[1]),
       to_timestamp(s.m[3]::bigint), 'sent', 1, s.sent_at, s.sent_at, s.sent_at
FROM (SELECT centre_id, sent_at, regexp_match(key, '^(eve|morning):(\d{1,18}):(\d{1,18})$') AS m
      FROM chore_sends) s
JOIN chore_turns t ON t.id = s.m[2]::bigint AND t.centre_id = s.centre_id
WHERE s.m IS NOT NULL
ON CONFLICT (centre_id, dedupe_key) DO NOTHING;

-- overdue:<turn>:<at>:<staff> → chores:turn:<turn>:p0:overdue:<at>:<staff>
INSERT INTO outbox (centre_id, person_id, kind, dedupe_key, msg_id, args, not_before, state, attempts,
                    created_at, updated_at, sent_at)
SELECT s.centre_id, p.id, 'chores.overdue',
       'chores:turn:' || s.m[1] || ':p0:overdue:' || s.m[2] || ':' || p.id, 'chores.overdue_staff',
       jsonb_build_object('turn', s.m[1], 'plan', '0', 'what', 'overdue'),
       to_timestamp(s.m[2]::bigint), 'sent', 1, s.sent_at, s.sent_at, s.sent_at
FROM (SELECT centre_id, sent_at, regexp_match(key, '^overdue:(\d{1,18}):(\d{1,18}):(\d{1,18})$') AS m
      FROM chore_sends) s
JOIN people p ON p.id = s.m[3]::bigint AND p.centre_id = s.centre_id
WHERE s.m IS NOT NULL
ON CONFLICT (centre_id, dedupe_key) DO NOTHING;

-- job:<id> (swap questions and answers, moves, missed turns) →
-- chores:job:<id>, the key the old message worker now gives its row. The
-- recipient is only in the job's arguments: River keeps finished jobs a
-- day, so older ones cannot be carried (no job of theirs can run again
-- either). On a new database River's tables come after this migration.
-- +goose StatementBegin
DO $$
BEGIN
    IF to_regclass('river_job') IS NOT NULL THEN
        EXECUTE $sql$
            INSERT INTO outbox (centre_id, person_id, kind, dedupe_key, msg_id, args, not_before, state, attempts,
                                created_at, updated_at, sent_at)
            SELECT s.centre_id, p.id,
                   CASE j.args->>'msg_id' WHEN 'chores.swap.ask' THEN 'chores.swap_ask'
                       WHEN 'chores.swap.staff_request' THEN 'chores.swap_staff' ELSE 'chores.notice' END,
                   'chores:job:' || j.id, j.args->>'msg_id',
                   jsonb_strip_nulls(jsonb_build_object('turn', j.args->>'turn_id', 'swap', j.args->>'swap_id')),
                   s.sent_at, 'sent', 1, s.sent_at, s.sent_at, s.sent_at
            FROM chore_sends s
            JOIN river_job j ON s.key = 'job:' || j.id AND j.kind = 'chore_message'
            JOIN people p ON p.id = (j.args->>'person_id')::bigint AND p.centre_id = s.centre_id
            ON CONFLICT (centre_id, dedupe_key) DO NOTHING
        $sql$;
    END IF;
END
$$;
-- +goose StatementEnd

DROP TABLE chore_sends;

-- +goose Down
CREATE TABLE chore_sends (
    centre_id bigint NOT NULL REFERENCES centres (id),
    key       text NOT NULL,
    sent_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (centre_id, key)
);
-- What was sent goes back under the old keys where there was one; the
-- messages about swaps and moves were keyed by their job, which no longer
-- exists. Rows still in the outbox stay there (00008's Down drops it).
INSERT INTO chore_sends (centre_id, key, sent_at)
SELECT centre_id, old_key, COALESCE(sent_at, updated_at)
FROM (SELECT centre_id, sent_at, updated_at,
             COALESCE(
                 regexp_replace(substring(dedupe_key FROM '^chores:week:\d{4}-\d{2}-\d{2}:\d+$'),
                                '^chores:week:([^:]+):(\d+)$', 'week:\2:\1'),
                 regexp_replace(substring(dedupe_key FROM '^chores:turn:\d+:p\d+:(?:eve|morning):\d+$'),
                                '^chores:turn:(\d+):p\d+:([a-z]+):(\d+)$', '\2:\1:\3'),
                 regexp_replace(substring(dedupe_key FROM '^chores:turn:\d+:p\d+:overdue:\d+:\d+$'),
                                '^chores:turn:(\d+):p\d+:overdue:(\d+):(\d+)$', 'overdue:\1:\2:\3'),
                 regexp_replace(substring(dedupe_key FROM '^chores:job:\d+$'), '^chores:', '')
             ) AS old_key
      FROM outbox
      WHERE kind LIKE 'chores.%' AND state = 'sent') o
WHERE old_key IS NOT NULL
ON CONFLICT DO NOTHING;
ALTER TABLE chore_turns DROP COLUMN plan;
