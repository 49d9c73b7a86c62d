-- +goose Up
-- Where each centre's announcements stand in its bot's pacing: the moment
-- the last message queued would leave at SEND_RATE_GLOBAL (store enqueue).
-- Announcement jobs are ordered by that turn, not by when they were
-- queued, so that announcements of several centres queued together are
-- worked side by side, each bot at its own rate, instead of one centre's
-- after another's: a job holds one of JOB_WORKERS while it waits for its
-- bot's pace, and River hands jobs out in order.
CREATE TABLE announcement_turns (
    centre_id bigint PRIMARY KEY REFERENCES centres (id) ON DELETE CASCADE,
    next_turn timestamptz NOT NULL
);

-- +goose Down
DROP TABLE announcement_turns;
