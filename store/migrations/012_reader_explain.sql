-- 012_reader_explain: `rebound explain` for the read-only role.
--
-- A member of rebound_reader reads only the active suppressions and the
-- change log (010); explain also shows every scope's row of an address,
-- its whole history and the events that decided it.  These functions
-- give exactly that for one address key, and no more: of an event, what
-- was decided and from what (kind, reason, status, code, feedback type,
-- rule, parser, remote MTA, tenant, scope, the mail's SHA-256), never
-- the text the reporting server wrote (the diagnostic) nor where the
-- mail is kept; nothing of the mail's bytes.  Each answers for one key
-- given in full (no patterns), at most 200 events, like explain.
--
-- SECURITY DEFINER with a pinned search_path (the migration runner pins
-- every rebound_* function), executable by rebound_reader (and the
-- owner) only.  PL/pgSQL so that the columns of later migrations (the
-- scopes of 020) are resolved when called, not when created.

CREATE FUNCTION rebound_explain_suppressions(key text)
RETURNS TABLE (address text, addr_key text, class text, reason text,
	       rule text, actor text, event_id bigint,
	       created_at timestamptz, updated_at timestamptz,
	       expires_at timestamptz, removed_at timestamptz, scope text)
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY
	SELECT s.address, s.addr_key, s.class, s.reason, s.rule, s.actor,
	       s.event_id, s.created_at, s.updated_at, s.expires_at,
	       s.removed_at, s.scope
	FROM suppressions s WHERE s.addr_key = key;
END $$;

CREATE FUNCTION rebound_explain_history(key text)
RETURNS TABLE (id bigint, at timestamptz, action text, class text,
	       reason text, rule text, actor text, event_id bigint,
	       expires_at timestamptz, note text, scope text)
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY
	SELECT h.id, h.at, h.action, h.class, h.reason, h.rule, h.actor,
	       h.event_id, h.expires_at, h.note, h.scope
	FROM suppression_history h WHERE h.addr_key = key;
END $$;

CREATE FUNCTION rebound_explain_events(key text)
RETURNS TABLE (id bigint, event_at timestamptz, kind text, reason text,
	       status text, smtp_code text, feedback_type text,
	       policy_rule text, parser text, mbox_index bigint,
	       sha256 bytea, remote_mta text, recipient text, tenant text,
	       stream text, tenant_from text, scope text)
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY
	SELECT e.id, e.event_at, e.kind::text, e.reason::text,
	       e.status::text, e.smtp_code::text, e.feedback_type::text,
	       e.policy_rule::text, e.parser::text, m.mbox_index::bigint,
	       m.sha256, e.remote_mta::text, e.recipient::text,
	       e.tenant::text, e.stream::text, e.tenant_from::text,
	       e.scope::text
	FROM events e JOIN messages m ON m.id = e.message_id
	WHERE e.addr_key = key
	ORDER BY e.event_at, e.id LIMIT 200;
END $$;

DO $$
BEGIN
	REVOKE ALL ON FUNCTION rebound_explain_suppressions(text),
		rebound_explain_history(text), rebound_explain_events(text)
		FROM PUBLIC;
	IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rebound_reader') THEN
		GRANT EXECUTE ON FUNCTION rebound_explain_suppressions(text),
			rebound_explain_history(text),
			rebound_explain_events(text) TO rebound_reader;
	END IF;
END $$;
