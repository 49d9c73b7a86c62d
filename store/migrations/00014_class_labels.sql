-- +goose Up
-- Class group names and rooms in the residents' languages, as chore areas
-- have: labels keyed by language tag, optional, the French name otherwise.
ALTER TABLE class_groups ADD COLUMN labels jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE class_sessions ADD COLUMN room_labels jsonb NOT NULL DEFAULT '{}'::jsonb;
-- The messages say "room {{.Room}}" in each language, so a room is stored
-- without the word: "Salle 2" read "salle Salle 2". The import now drops a
-- leading "salle"/"room"; rooms imported before are cleaned the same way.
UPDATE class_sessions SET room = regexp_replace(room, '^\s*(salle|room)\s+', '', 'i')
    WHERE room ~* '^\s*(salle|room)\s+\S';
UPDATE class_changes SET new_room = regexp_replace(new_room, '^\s*(salle|room)\s+', '', 'i')
    WHERE new_room ~* '^\s*(salle|room)\s+\S';

-- +goose Down
ALTER TABLE class_sessions DROP COLUMN room_labels;
ALTER TABLE class_groups DROP COLUMN labels;
