-- +goose Up
-- French classes (INFREP) and their attendance. A group is a level taught
-- to a set of residents; a session is one weekly slot of a group, in
-- Europe/Paris wall-clock time (a 10:00 class stays at 10:00 across the
-- clock changes); an occurrence is a session on one date, identified by the
-- date it was planned for even when it is moved.
CREATE TABLE class_groups (
    id          bigserial PRIMARY KEY,
    centre_id   bigint NOT NULL REFERENCES centres (id),
    external_id text NOT NULL,
    level       text NOT NULL CHECK (length(level) BETWEEN 1 AND 20),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (centre_id, external_id)
);

CREATE TABLE class_sessions (
    id          bigserial PRIMARY KEY,
    centre_id   bigint NOT NULL REFERENCES centres (id),
    group_id    bigint NOT NULL REFERENCES class_groups (id) ON DELETE CASCADE,
    external_id text NOT NULL,
    -- ISO weekday: 1 = Monday … 7 = Sunday.
    weekday     smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    starts      time NOT NULL,
    ends        time NOT NULL CHECK (ends > starts),
    room        text NOT NULL CHECK (length(room) BETWEEN 1 AND 30),
    teacher     text NOT NULL CHECK (length(teacher) BETWEEN 1 AND 60),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (centre_id, external_id)
);
CREATE INDEX class_sessions_group ON class_sessions (group_id);

-- OFII prescribes 100, 200, 400 or 600 hours (600 for non-readers).
CREATE TABLE class_enrolments (
    id               bigserial PRIMARY KEY,
    centre_id        bigint NOT NULL REFERENCES centres (id),
    group_id         bigint NOT NULL REFERENCES class_groups (id) ON DELETE CASCADE,
    person_id        bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    prescribed_hours integer NOT NULL CHECK (prescribed_hours IN (100, 200, 400, 600)),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (group_id, person_id)
);
CREATE INDEX class_enrolments_person ON class_enrolments (person_id);

-- One-off change of one occurrence. A row is kept when the change is undone
-- (kind 'restored') so that each change has its own revision, which keys the
-- notices told to residents.
CREATE TABLE class_changes (
    id            bigserial PRIMARY KEY,
    centre_id     bigint NOT NULL REFERENCES centres (id),
    session_id    bigint NOT NULL REFERENCES class_sessions (id) ON DELETE CASCADE,
    on_date       date NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('cancelled', 'moved', 'restored')),
    new_starts_at timestamptz,
    new_ends_at   timestamptz,
    new_room      text,
    revision      integer NOT NULL DEFAULT 1,
    changed_by    bigint REFERENCES people (id),
    changed_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, on_date),
    CHECK ((kind = 'moved') = (new_starts_at IS NOT NULL AND new_ends_at IS NOT NULL AND new_room IS NOT NULL)),
    CHECK (new_ends_at IS NULL OR new_ends_at > new_starts_at)
);
CREATE INDEX class_changes_new_start ON class_changes (new_starts_at) WHERE kind = 'moved';

-- The saved attendance of one occurrence. revision grows with each save, so
-- a save made from an older reading is refused instead of overwriting.
CREATE TABLE class_registers (
    id         bigserial PRIMARY KEY,
    centre_id  bigint NOT NULL REFERENCES centres (id),
    session_id bigint NOT NULL REFERENCES class_sessions (id) ON DELETE CASCADE,
    on_date    date NOT NULL,
    starts_at  timestamptz NOT NULL,
    minutes    integer NOT NULL CHECK (minutes > 0),
    revision   integer NOT NULL DEFAULT 1,
    saved_by   bigint REFERENCES people (id),
    saved_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, on_date)
);
CREATE INDEX class_registers_centre_start ON class_registers (centre_id, starts_at);

CREATE TABLE class_attendance (
    register_id bigint NOT NULL REFERENCES class_registers (id) ON DELETE CASCADE,
    person_id   bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    mark        text NOT NULL CHECK (mark IN ('present', 'absent', 'excused')),
    PRIMARY KEY (register_id, person_id)
);
CREATE INDEX class_attendance_person ON class_attendance (person_id);

-- One alert per run of unexcused absences, keyed by its first absence: the
-- coordinator is told once, whatever corrections follow.
CREATE TABLE class_absence_alerts (
    person_id   bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    register_id bigint NOT NULL REFERENCES class_registers (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, register_id)
);

-- Reminders and change notices sent, one row per notice and resident,
-- written in the transaction that sends: two bot processes never send the
-- same notice twice.
CREATE TABLE class_notices_sent (
    notice    text NOT NULL,
    person_id bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    sent_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (notice, person_id)
);

-- +goose Down
DROP TABLE class_notices_sent;
DROP TABLE class_absence_alerts;
DROP TABLE class_attendance;
DROP TABLE class_registers;
DROP TABLE class_changes;
DROP TABLE class_enrolments;
DROP TABLE class_sessions;
DROP TABLE class_groups;
