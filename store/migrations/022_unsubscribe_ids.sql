-- 022_unsubscribe_ids: the subscriber scopes that short mailto:
-- unsubscribe tokens name (core/unsubscribe.h, docs/tenants.md
-- "Unsubscribes").  An address does not fit in the 64 octets RFC 5321
-- allows a local part, so the token carries an id of this table, an
-- expiry and a MAC over both and the row's fields.  One row per (tenant,
-- stream, address), made when `rebound unsubscribe-link` first writes a
-- mailto: link for it, and never changed: the same inputs give the same
-- id, and a token stays checkable for as long as it is valid.
--
-- Ids are 40 bits (the token has room for no more).  The table names
-- addresses the read-only role could not read before (every address a
-- link was written for, not only the suppressed ones): no role but the
-- owner (the writing role) has any right on it.
CREATE TABLE unsubscribe_ids (
	id bigint GENERATED ALWAYS AS IDENTITY
		(MINVALUE 1 MAXVALUE 1099511627775 NO CYCLE) PRIMARY KEY,
	tenant text NOT NULL,
	stream text NOT NULL DEFAULT '',
	address text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant, stream, address)
);
REVOKE ALL ON unsubscribe_ids FROM PUBLIC;
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rebound_reader') THEN
		REVOKE ALL ON unsubscribe_ids FROM rebound_reader;
	END IF;
END $$;
