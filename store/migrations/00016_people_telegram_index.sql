-- +goose Up
-- Every update looks its sender up by his Telegram id alone, since a bot
-- may serve several centres (people.go reachedBy). 00015's unique index
-- leads with the centre, so that lookup read the whole index: 0.7 ms of
-- PostgreSQL's CPU per update at 20,000 people, and growing with them
-- (issue 13, docs/BENCHMARKS.md).
CREATE INDEX people_telegram ON people (telegram_id) WHERE telegram_id IS NOT NULL;

-- +goose Down
DROP INDEX people_telegram;
