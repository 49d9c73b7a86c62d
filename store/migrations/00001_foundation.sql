-- +goose Up
-- Everything belongs to a centre: one deployment can serve several sites of
-- the association, each with its own residents, staff, rota and classes.
CREATE TABLE centres (
    id         bigserial PRIMARY KEY,
    slug       text NOT NULL UNIQUE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Only what the features need: no nationality, protection status, health or
-- case notes, no phone number.
CREATE TABLE people (
    id            bigserial PRIMARY KEY,
    centre_id     bigint NOT NULL REFERENCES centres (id),
    role          text NOT NULL CHECK (role IN ('resident', 'staff', 'coordinator', 'admin')),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
    room          text NOT NULL DEFAULT '' CHECK (length(room) <= 16),
    floor         integer,
    language      text NOT NULL,
    telegram_id   bigint UNIQUE,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'away', 'left')),
    unreachable   boolean NOT NULL DEFAULT false,
    onboarded_at  timestamptz,
    external_id   text,
    arrived_on    date,
    left_on       date,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (centre_id, external_id)
);
CREATE INDEX people_centre_role ON people (centre_id, role);

-- The code itself is never stored: only its SHA-256, so a leaked table does
-- not let anyone take over an account.
CREATE TABLE invites (
    id          bigserial PRIMARY KEY,
    code_hash   bytea NOT NULL UNIQUE,
    person_id   bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_by  bigint REFERENCES people (id),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invites_person ON invites (person_id);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    centre_id   bigint NOT NULL REFERENCES centres (id),
    actor_id    bigint REFERENCES people (id),
    action      text NOT NULL,
    subject_id  bigint REFERENCES people (id),
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_centre_at ON audit_log (centre_id, at DESC);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE invites;
DROP TABLE people;
DROP TABLE centres;
