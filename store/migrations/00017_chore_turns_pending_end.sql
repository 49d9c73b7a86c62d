-- +goose Up
-- The report to staff of turns not done is one message per staff member and
-- end time; each, when it leaves, reads the centre's turns still pending that
-- end then. Only pending turns are read, so the index holds only them.
CREATE INDEX chore_turns_pending_end ON chore_turns (centre_id, ends_at) WHERE state = 'pending';

-- +goose Down
DROP INDEX chore_turns_pending_end;
