-- +goose Up
-- The financial contribution (participation financière): each resident pays
-- a monthly share, fixed by staff or computed from his declared resources
-- with the centre's rate, and the centre keeps an append-only ledger in
-- integer cents.

-- How a centre computes contributions. CHRS rules: 10–15 % of resources
-- without meals, 20–40 % with meals, and at least 30 % left to the person.
-- A centre without a row uses the defaults below.
CREATE TABLE money_settings (
    centre_id    bigint PRIMARY KEY REFERENCES centres (id),
    meals        boolean NOT NULL DEFAULT false,
    rate_bp      integer NOT NULL DEFAULT 1500,          -- basis points: 1500 = 15 %
    min_left_bp  integer NOT NULL DEFAULT 3000 CHECK (min_left_bp BETWEEN 3000 AND 10000),
    -- The month of arrival: charged pro rata of the days present, in
    -- full, or not at all.
    arrival      text NOT NULL DEFAULT 'prorata' CHECK (arrival IN ('prorata', 'full', 'free')),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((NOT meals AND rate_bp BETWEEN 0 AND 1500) OR (meals AND rate_bp BETWEEN 0 AND 4000))
);

-- A resident's monthly contribution: a fixed amount set by staff, or his
-- declared monthly resources from which the amount is computed. Resources
-- of 0 mean no income: nothing is owed. No row: nothing is owed either.
CREATE TABLE contributions (
    person_id   bigint PRIMARY KEY REFERENCES people (id),
    centre_id   bigint NOT NULL REFERENCES centres (id),
    basis       text NOT NULL CHECK (basis IN ('fixed', 'resources')),
    cents       bigint NOT NULL CHECK (cents BETWEEN 0 AND 1000000),
    updated_by  bigint REFERENCES people (id),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The ledger. cents is signed from the resident's side: a charge adds to
-- what he owes (> 0), a payment takes from it (< 0), a correction reverses
-- one earlier entry exactly. Rows are never changed or deleted (trigger
-- below): a mistake is put right by a correction, so the history stays.
CREATE TABLE ledger_entries (
    id          bigserial PRIMARY KEY,
    centre_id   bigint NOT NULL REFERENCES centres (id),
    person_id   bigint NOT NULL REFERENCES people (id),
    kind        text NOT NULL CHECK (kind IN ('charge', 'payment', 'correction')),
    cents       bigint NOT NULL CHECK (cents <> 0 AND abs(cents) <= 100000000),
    month       date,          -- charges: first day of the month charged
    receipt_no  text,          -- payments: "R-2026-000123"
    reverses    bigint UNIQUE REFERENCES ledger_entries (id),
    created_by  bigint REFERENCES people (id),
    at          timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (centre_id, receipt_no),
    CHECK (kind <> 'charge' OR (cents > 0 AND month IS NOT NULL AND receipt_no IS NULL AND reverses IS NULL)),
    CHECK (kind <> 'payment' OR (cents < 0 AND receipt_no IS NOT NULL AND month IS NULL AND reverses IS NULL)),
    CHECK (kind <> 'correction' OR (reverses IS NOT NULL AND month IS NULL AND receipt_no IS NULL))
);
-- One charge per resident and month, whatever runs the monthly job twice.
CREATE UNIQUE INDEX ledger_charge_once ON ledger_entries (person_id, month) WHERE kind = 'charge';
CREATE INDEX ledger_person ON ledger_entries (centre_id, person_id, id);

-- +goose StatementBegin
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only: post a correction instead'
        USING ERRCODE = 'restrict_violation';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER ledger_no_change BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- Receipt numbers: one gap-free sequence per centre and year. The counter
-- row is locked by the payment's transaction until it commits, and rolled
-- back with it, so no number is skipped or given twice.
CREATE TABLE receipt_counters (
    centre_id  bigint NOT NULL REFERENCES centres (id),
    year       integer NOT NULL,
    last       bigint NOT NULL,
    PRIMARY KEY (centre_id, year)
);

-- Receipts and monthly statements already delivered, so a retried or
-- duplicated job never sends one twice.
CREATE TABLE money_messages_sent (
    kind       text NOT NULL CHECK (kind IN ('receipt', 'statement')),
    person_id  bigint NOT NULL REFERENCES people (id),
    ref        text NOT NULL,
    sent_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, person_id, ref)
);

-- +goose Down
DROP TABLE money_messages_sent;
DROP TABLE receipt_counters;
DROP TABLE ledger_entries;
DROP FUNCTION ledger_append_only();
DROP TABLE contributions;
DROP TABLE money_settings;
