-- 001_core: messages, events, the suppression list and its history,
-- the read-only view for senders and its role.  See docs/store.md.

CREATE TABLE messages (
	id bigserial PRIMARY KEY,
	sha256 bytea NOT NULL UNIQUE CHECK (length(sha256) = 32),
	source text NOT NULL,
	mbox_index bigint,
	size bigint NOT NULL,
	outcome text NOT NULL CHECK (outcome IN ('events', 'unknown', 'error')),
	error text,
	nevents integer NOT NULL,
	stored_at timestamptz NOT NULL,
	raw bytea,
	raw_expires_at timestamptz
);
CREATE INDEX messages_stored_at ON messages (stored_at);
CREATE INDEX messages_raw_expires ON messages (raw_expires_at)
	WHERE raw IS NOT NULL;

CREATE TABLE events (
	id bigserial PRIMARY KEY,
	message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	dedup_key bytea NOT NULL UNIQUE,
	kind text NOT NULL CHECK (kind IN ('bounce', 'delay', 'complaint',
		'autoreply', 'delivered', 'unknown')),
	recipient text,
	addr_key text,
	domain text,
	sender text,
	reason text,
	hard boolean,
	status text,
	smtp_code text,
	action text,
	remote_mta text,
	feedback_type text,
	source_ip text,
	reported_domain text,
	campaign text,
	feedback_id text,
	list_id text,
	orig_message_id text,
	report_message_id text,
	parser text,
	arrival_date timestamptz,
	event_at timestamptz NOT NULL,
	policy_class text NOT NULL DEFAULT 'none'
		CHECK (policy_class IN ('hard', 'complaint', 'soft', 'none')),
	policy_rule text,
	doc jsonb NOT NULL
);
CREATE INDEX events_addr ON events (addr_key, event_at);
CREATE INDEX events_at ON events (event_at);
CREATE INDEX events_message ON events (message_id);
CREATE INDEX events_domain ON events (domain, event_at);
CREATE INDEX events_kind_reason ON events (kind, reason, event_at);
CREATE INDEX events_campaign ON events (campaign, event_at)
	WHERE campaign IS NOT NULL;

CREATE TABLE suppressions (
	addr_key text PRIMARY KEY,
	address text NOT NULL,
	domain text NOT NULL,
	class text NOT NULL
		CHECK (class IN ('hard', 'complaint', 'soft', 'manual')),
	reason text,
	rule text NOT NULL,
	actor text,
	event_id bigint REFERENCES events (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	expires_at timestamptz,
	removed_at timestamptz,
	removed_by text,
	remove_reason text
);
CREATE INDEX suppressions_domain ON suppressions (domain);
CREATE INDEX suppressions_created ON suppressions (created_at);
CREATE INDEX suppressions_live ON suppressions (addr_key) INCLUDE (expires_at)
	WHERE removed_at IS NULL;

CREATE TABLE suppression_history (
	id bigserial PRIMARY KEY,
	addr_key text NOT NULL,
	address text NOT NULL,
	action text NOT NULL CHECK (action IN ('added', 'changed', 'extended',
		'expired', 'removed')),
	class text,
	reason text,
	rule text,
	actor text,
	event_id bigint REFERENCES events (id) ON DELETE SET NULL,
	at timestamptz NOT NULL,
	expires_at timestamptz,
	note text,
	logged_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX suppression_history_addr ON suppression_history (addr_key, id);
CREATE INDEX suppression_history_at ON suppression_history (at);

-- The history is append-only.
CREATE FUNCTION rebound_history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'suppression_history is append-only';
END $$;
CREATE TRIGGER suppression_history_no_update
	BEFORE UPDATE OR DELETE ON suppression_history
	FOR EACH ROW EXECUTE FUNCTION rebound_history_append_only();

-- NOTIFY rebound_suppression on every new suppression (delivered at
-- commit), payload JSON {"address", "addr_key", "class", "expires_at"}.
CREATE FUNCTION rebound_notify_suppression() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('rebound_suppression', json_build_object(
		'address', left(NEW.address, 2000),
		'addr_key', left(NEW.addr_key, 2000),
		'class', NEW.class,
		'expires_at', NEW.expires_at)::text);
	RETURN NULL;
END $$;
CREATE TRIGGER suppression_history_notify
	AFTER INSERT ON suppression_history
	FOR EACH ROW WHEN (NEW.action = 'added')
	EXECUTE FUNCTION rebound_notify_suppression();

-- For sender applications: the active suppressions, nothing else.
CREATE VIEW rebound_active_suppressions AS
	SELECT address, addr_key, domain, class, reason,
	       created_at AS since, expires_at
	FROM suppressions
	WHERE removed_at IS NULL AND (expires_at IS NULL OR expires_at > now());

-- A role with SELECT on that view only (NOLOGIN: grant it to a login
-- role, see docs/store.md).  Roles are cluster-wide: created only when
-- missing and when the migrating user may create roles.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rebound_reader')
	THEN
		IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user
			   AND (rolsuper OR rolcreaterole)) THEN
			CREATE ROLE rebound_reader NOLOGIN;
		ELSE
			RAISE NOTICE 'cannot create role rebound_reader';
		END IF;
	END IF;
	IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rebound_reader')
	THEN
		EXECUTE format('GRANT CONNECT ON DATABASE %I TO rebound_reader',
			       current_database());
		GRANT USAGE ON SCHEMA public TO rebound_reader;
		GRANT SELECT ON rebound_active_suppressions TO rebound_reader;
	END IF;
END $$;
