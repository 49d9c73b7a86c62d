-- +goose Up
-- Cleaning of common areas. An area is cleaned on some weekdays within a
-- time window written on the centre's wall clock (Europe/Paris): minutes
-- after midnight, so that the clock changes of March and October keep the
-- same local hours. Labels are optional translations of the name, keyed by
-- language tag.
CREATE TABLE chore_areas (
    id           bigserial PRIMARY KEY,
    centre_id    bigint NOT NULL REFERENCES centres (id),
    external_id  text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 64),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    labels       jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- ISO weekdays, 1 = Monday … 7 = Sunday.
    days         smallint[] NOT NULL CHECK (cardinality(days) BETWEEN 1 AND 7 AND days <@ '{1,2,3,4,5,6,7}'),
    window_start smallint NOT NULL CHECK (window_start BETWEEN 0 AND 1439),
    window_end   smallint NOT NULL CHECK (window_end BETWEEN 1 AND 1440 AND window_end > window_start),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (centre_id, external_id)
);

-- Who is on the rota. joined_at places a newcomer at the back of the
-- rotation, so that he neither jumps the queue nor is given a backlog.
CREATE TABLE chore_members (
    centre_id  bigint NOT NULL REFERENCES centres (id),
    person_id  bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    active     boolean NOT NULL DEFAULT true,
    joined_at  timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (centre_id, person_id)
);

-- One row per centre and week (its Monday): generated once by the Monday
-- job (or by staff), announced once.
CREATE TABLE chore_weeks (
    centre_id    bigint NOT NULL REFERENCES centres (id),
    week_start   date NOT NULL,
    generated_at timestamptz,
    announced_at timestamptz,
    PRIMARY KEY (centre_id, week_start)
);

-- One turn: one area on one day, done by one resident.
CREATE TABLE chore_turns (
    id         bigserial PRIMARY KEY,
    centre_id  bigint NOT NULL REFERENCES centres (id),
    area_id    bigint NOT NULL REFERENCES chore_areas (id),
    person_id  bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    on_date    date NOT NULL,
    week_start date NOT NULL,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL CHECK (ends_at > starts_at),
    state      text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'missed')),
    marked_at  timestamptz,
    marked_by  bigint REFERENCES people (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (area_id, on_date)
);
CREATE INDEX chore_turns_week ON chore_turns (centre_id, week_start);
CREATE INDEX chore_turns_person ON chore_turns (person_id, starts_at);

-- A resident gives one of his turns to another; the other accepts, then
-- staff approve. At most one open request per turn.
CREATE TABLE chore_swaps (
    id          bigserial PRIMARY KEY,
    centre_id   bigint NOT NULL REFERENCES centres (id),
    turn_id     bigint NOT NULL REFERENCES chore_turns (id) ON DELETE CASCADE,
    from_person bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    to_person   bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    state       text NOT NULL DEFAULT 'asked'
                CHECK (state IN ('asked', 'accepted', 'declined', 'approved', 'refused', 'cancelled')),
    decided_by  bigint REFERENCES people (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (from_person <> to_person)
);
CREATE UNIQUE INDEX chore_swaps_open ON chore_swaps (turn_id) WHERE state IN ('asked', 'accepted');

-- Messages already sent by jobs (reminders, weekly notices): a job that
-- runs twice, in one process or two, finds its key and sends nothing.
CREATE TABLE chore_sends (
    centre_id bigint NOT NULL REFERENCES centres (id),
    key       text NOT NULL,
    sent_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (centre_id, key)
);

-- +goose Down
DROP TABLE chore_sends;
DROP TABLE chore_swaps;
DROP TABLE chore_turns;
DROP TABLE chore_weeks;
DROP TABLE chore_members;
DROP TABLE chore_areas;
