-- +goose Up
-- Housing appointments (SIAO evaluation, landlord interview, dwelling visit,
-- lease signing, allocation committee or DALO result) set by a coordinator
-- for one resident. Missing one is costly for him: the reminders below
-- matter. Only what the appointment needs: no case notes.
CREATE TABLE appointments (
    id              bigserial PRIMARY KEY,
    centre_id       bigint NOT NULL REFERENCES centres (id),
    person_id       bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    -- The coordinator in charge: answers, replies and "no answer" warnings
    -- go to him.
    coordinator_id  bigint REFERENCES people (id) ON DELETE SET NULL,
    kind            text NOT NULL CHECK (kind IN ('siao', 'landlord', 'visit', 'lease', 'committee', 'other')),
    at              timestamptz NOT NULL,
    place           text NOT NULL CHECK (length(place) BETWEEN 1 AND 200),
    documents       text[] NOT NULL DEFAULT '{}',
    answer          text CHECK (answer IN ('yes', 'help', 'no')),
    answered_at     timestamptz,
    status          text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    -- version grows at every reschedule or cancel: a reminder or a button of
    -- an older version does nothing.
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appointments_person_at ON appointments (person_id, at);
CREATE INDEX appointments_centre_at ON appointments (centre_id, at);

-- One row per reminder (or "no answer" check) of one version of an
-- appointment. The UNIQUE key and the state make sending idempotent: the
-- worker moves pending → sending in one statement, so two bot processes
-- never both send it; a row caught in "sending" by a crash is not sent
-- again. job_id is River's job, cancelled in the same transaction as a
-- reschedule or a cancel.
CREATE TABLE appointment_reminders (
    id              bigserial PRIMARY KEY,
    appointment_id  bigint NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    version         integer NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('reminder', 'noanswer')),
    offset_minutes  integer NOT NULL CHECK (offset_minutes > 0),
    due_at          timestamptz NOT NULL,
    job_id          bigint,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'cancelled', 'failed')),
    done_at         timestamptz,
    UNIQUE (appointment_id, version, kind, offset_minutes)
);
CREATE INDEX appointment_reminders_pending ON appointment_reminders (appointment_id) WHERE state = 'pending';

-- Messages relayed by the bot between a coordinator and a resident about an
-- appointment: text only, never forwarded, so neither sees the other's
-- Telegram account. Visible to the centre's staff with the appointment.
CREATE TABLE appointment_messages (
    id              bigserial PRIMARY KEY,
    appointment_id  bigint NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    author_id       bigint REFERENCES people (id) ON DELETE SET NULL,
    recipient_id    bigint REFERENCES people (id) ON DELETE SET NULL,
    from_resident   boolean NOT NULL,
    body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 1500),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appointment_messages_appointment ON appointment_messages (appointment_id, id);

-- +goose Down
DROP TABLE appointment_messages;
DROP TABLE appointment_reminders;
DROP TABLE appointments;
