-- +goose Up
-- A resident's balance sums his entries and shows the last few (store
-- Account). With the entries of a month written for every resident at
-- once, each of his rows sits on its own heap page: two years are ~50
-- random page reads, twice per /balance, and more every month. This index
-- holds what the sums need (an index-only scan) and the order of "the last
-- entries" (a LIMIT without a sort); it leads with the same columns as
-- ledger_person, which it replaces. pgbench of /balance's four statements
-- at 20,000 residents with two years: 0.35 → 0.24 ms (docs/BENCHMARKS.md).
CREATE INDEX ledger_person_at ON ledger_entries (centre_id, person_id, at DESC, id DESC)
    INCLUDE (kind, cents, reverses);
DROP INDEX ledger_person;

-- +goose Down
CREATE INDEX ledger_person ON ledger_entries (centre_id, person_id, id);
DROP INDEX ledger_person_at;
