-- 002_history_rekey: `rebound db rekey` (docs/store.md "Re-keying")
-- recomputes the address key of stored rows when the normalisation
-- changed, history rows included.  The history stays append-only for
-- everything else: an UPDATE passes only inside a transaction that set
-- rebound.rekey = 'on' (SET LOCAL, which only the rekey does) and only
-- when it changes nothing but addr_key and event_id (two copies of one
-- report found to be the same under the new key: the history then
-- cites the copy that is kept).  DELETE is always refused.
CREATE OR REPLACE FUNCTION rebound_history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE'
	   AND current_setting('rebound.rekey', true) = 'on'
	   AND ROW(NEW.id, NEW.address, NEW.action, NEW.class, NEW.reason,
		   NEW.rule, NEW.actor, NEW.at, NEW.expires_at, NEW.note,
		   NEW.logged_at)
	       IS NOT DISTINCT FROM
	       ROW(OLD.id, OLD.address, OLD.action, OLD.class, OLD.reason,
		   OLD.rule, OLD.actor, OLD.at, OLD.expires_at, OLD.note,
		   OLD.logged_at)
	THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'suppression_history is append-only';
END $$;
