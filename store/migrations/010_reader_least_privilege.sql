-- The read-only role is least privilege.  A member of rebound_reader
-- reads the active suppressions and the change log; nothing it may do
-- stalls the writers, forges a change, or reveals a hidden row.

-- The view hides removed and expired rows.  As a security barrier, a
-- function in a reader's WHERE clause only ever sees the rows the view
-- shows (without it the planner may run a cheap function first).
ALTER VIEW rebound_active_suppressions SET (security_barrier = true);

-- The writers' lock.  Any role may take any advisory lock key, so a
-- reader holding the writers' key stalled every writer.  Writers now
-- take this table in EXCLUSIVE mode, which needs UPDATE, DELETE or
-- TRUNCATE on it: only the writing role (the owner) has them.
CREATE TABLE rebound_writer_lock (
	one boolean PRIMARY KEY DEFAULT true CHECK (one)
);
REVOKE ALL ON rebound_writer_lock FROM PUBLIC;

-- The change log for readers: every change of a suppression, by id.
CREATE VIEW rebound_suppression_changes WITH (security_barrier = true) AS
	SELECT id, at, address, addr_key, action, class, reason, expires_at
	FROM suppression_history;

-- Anyone who may connect may NOTIFY any channel, so a payload can be
-- forged.  The notification carries only the change's id, a hint to
-- read rebound_suppression_changes (or suppression_history), and is
-- sent for every change, not only additions.
CREATE OR REPLACE FUNCTION rebound_notify_suppression() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('rebound_suppression',
			  json_build_object('id', NEW.id)::text);
	RETURN NULL;
END $$;
DROP TRIGGER suppression_history_notify ON suppression_history;
CREATE TRIGGER suppression_history_notify
	AFTER INSERT ON suppression_history
	FOR EACH ROW EXECUTE FUNCTION rebound_notify_suppression();

-- Every function's search_path is pinned by the migration runner after
-- each run (store/store.c pin_search_paths), so functions that later
-- migrations define are pinned too.

-- Database-level privileges a reader does not need.  Each needs rights
-- the migrating role may lack on a database it does not own (a shared
-- server): then a notice, and docs/store.md says what to do by hand.
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rebound_reader') THEN
		EXECUTE format('GRANT SELECT ON rebound_suppression_changes TO rebound_reader');
	END IF;
	BEGIN
		-- TEMP: temporary tables, and pg_temp functions (a place to
		-- define a function that leaks what it is shown)
		EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC',
			       current_database());
		EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I',
			       current_database(), current_user);
	EXCEPTION WHEN insufficient_privilege THEN
		RAISE NOTICE 'rebound: cannot revoke TEMPORARY on the database from PUBLIC';
	END;
	BEGIN
		REVOKE CREATE ON SCHEMA public FROM PUBLIC;
	EXCEPTION WHEN insufficient_privilege OR invalid_schema_name THEN
		RAISE NOTICE 'rebound: cannot revoke CREATE on schema public from PUBLIC';
	END;
	BEGIN
		-- large objects: rebound uses none
		REVOKE EXECUTE ON FUNCTION pg_catalog.lo_create(oid),
			pg_catalog.lo_creat(integer),
			pg_catalog.lo_from_bytea(oid, bytea) FROM PUBLIC;
	EXCEPTION WHEN insufficient_privilege THEN
		RAISE NOTICE 'rebound: cannot revoke the large-object functions from PUBLIC';
	END;
END $$;
