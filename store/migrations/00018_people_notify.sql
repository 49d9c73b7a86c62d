-- +goose Up
-- Every process keeps, in memory, who each Telegram account is (the lookup
-- that begins every update) for as long as it LISTENs to these channels
-- (store/people_cache.go). A change to people notifies the Telegram ids it
-- concerns, before and after (a link moved from one account to another);
-- a change to centre_bots (which bot reaches whom) or a TRUNCATE notifies
-- everything. Notifications leave when the transaction commits, in commit
-- order, so a process hears a change as soon as others can see it.

-- +goose StatementBegin
CREATE FUNCTION cairbot_people_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.telegram_id IS NOT NULL THEN
		PERFORM pg_notify('cairbot_people', OLD.telegram_id::text);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.telegram_id IS NOT NULL THEN
		PERFORM pg_notify('cairbot_people', NEW.telegram_id::text);
	END IF;
	RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION cairbot_people_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('cairbot_people', '*');
	RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION cairbot_centre_bots_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('cairbot_centre_bots', '');
	RETURN NULL;
END
$$;
-- +goose StatementEnd

-- An UPDATE that writes the same values (an import of an unchanged file)
-- notifies nothing.
CREATE TRIGGER people_changed_update AFTER UPDATE ON people
	FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION cairbot_people_changed();
CREATE TRIGGER people_changed AFTER INSERT OR DELETE ON people
	FOR EACH ROW EXECUTE FUNCTION cairbot_people_changed();
CREATE TRIGGER people_truncated AFTER TRUNCATE ON people
	FOR EACH STATEMENT EXECUTE FUNCTION cairbot_people_truncated();
CREATE TRIGGER centre_bots_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON centre_bots
	FOR EACH STATEMENT EXECUTE FUNCTION cairbot_centre_bots_changed();

-- +goose Down
DROP TRIGGER centre_bots_changed ON centre_bots;
DROP TRIGGER people_truncated ON people;
DROP TRIGGER people_changed ON people;
DROP TRIGGER people_changed_update ON people;
DROP FUNCTION cairbot_centre_bots_changed();
DROP FUNCTION cairbot_people_truncated();
DROP FUNCTION cairbot_people_changed();
