-- +goose Up
-- When a resident's personal data was erased (after he left and his
-- balance was settled). The row stays, anonymised, so that the ledger and
-- the attendance statistics keep their totals.
ALTER TABLE people ADD COLUMN erased_at timestamptz;

-- +goose Down
ALTER TABLE people DROP COLUMN erased_at;
