-- 020_scopes: a suppression belongs to a scope (docs/tenants.md).
--
--   ''                 global: every tenant and stream
--   'TENANT'           one tenant, all its streams
--   'TENANT/STREAM'    one stream of one tenant
--
-- Tenant and stream names are 1..64 of [A-Za-z0-9._-] (core/scope.h),
-- so '/' separates them without ambiguity.  Every existing row becomes
-- global: nothing that was suppressed stops being suppressed.  Events
-- keep the tenant and stream they were attributed to, why, and the scope
-- their class lands in under the policy of the day (`policy replay`
-- recomputes it).

ALTER TABLE suppressions ADD COLUMN scope text NOT NULL DEFAULT ''
	CHECK (scope ~ '^([A-Za-z0-9._-]{1,64}(/[A-Za-z0-9._-]{1,64})?)?$');
ALTER TABLE suppressions DROP CONSTRAINT suppressions_pkey;
ALTER TABLE suppressions ADD PRIMARY KEY (addr_key, scope);
DROP INDEX suppressions_live;
CREATE INDEX suppressions_live ON suppressions (addr_key, scope)
	INCLUDE (expires_at) WHERE removed_at IS NULL;
CREATE INDEX suppressions_scope ON suppressions (scope) WHERE scope <> '';

ALTER TABLE suppression_history ADD COLUMN scope text NOT NULL DEFAULT '';

ALTER TABLE events ADD COLUMN tenant text, ADD COLUMN stream text,
	ADD COLUMN tenant_from text,
	ADD COLUMN scope text NOT NULL DEFAULT '';
CREATE INDEX events_tenant ON events (tenant, event_at)
	WHERE tenant IS NOT NULL;

-- The readers' views gain the scope (new columns go last).
CREATE OR REPLACE VIEW rebound_active_suppressions
	WITH (security_barrier = true) AS
	SELECT address, addr_key, domain, class, reason,
	       created_at AS since, expires_at, scope
	FROM suppressions
	WHERE removed_at IS NULL AND (expires_at IS NULL OR expires_at > now());
CREATE OR REPLACE VIEW rebound_suppression_changes
	WITH (security_barrier = true) AS
	SELECT id, at, address, addr_key, action, class, reason, expires_at,
	       scope
	FROM suppression_history;

-- The scopes a sender's question covers: NULL tenant, every scope (a
-- caller that names no tenant is never told "yes" because of another
-- tenant's suppression); a tenant, the global ones, the tenant's own and
-- those of its streams; a tenant and a stream, the global ones, the
-- tenant's own and that stream's.  A malformed name is an error, never
-- "not suppressed".
CREATE FUNCTION rebound_scope_covers(scope text, tenant text, stream text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
	IF tenant IS NULL THEN
		IF stream IS NOT NULL THEN
			RAISE EXCEPTION 'a stream needs a tenant'
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		RETURN true;
	END IF;
	IF tenant !~ '^[A-Za-z0-9._-]{1,64}$' THEN
		RAISE EXCEPTION 'not a tenant name: %', left(tenant, 80)
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF stream IS NOT NULL AND stream !~ '^[A-Za-z0-9._-]{1,64}$' THEN
		RAISE EXCEPTION 'not a stream name: %', left(stream, 80)
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN scope = '' OR scope = tenant
	       OR (stream IS NULL AND starts_with(scope, tenant || '/'))
	       OR scope = tenant || '/' || stream;
END $$;

CREATE FUNCTION rebound_is_suppressed(address text, tenant text,
				      stream text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
DECLARE
	keys text[] := rebound_addr_keys(address);
BEGIN
	IF keys IS NULL THEN
		RAISE EXCEPTION 'not an address: %', left(coalesce(address, 'NULL'), 200)
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM rebound_scope_covers('', tenant, stream);
	RETURN EXISTS (SELECT 1 FROM suppressions s
		       WHERE s.addr_key = ANY (keys) AND s.removed_at IS NULL
			 AND (s.expires_at IS NULL OR s.expires_at > now())
			 AND rebound_scope_covers(s.scope, tenant, stream));
END $$;

CREATE FUNCTION rebound_check(addresses text[], tenant text,
			      stream text DEFAULT NULL)
RETURNS TABLE (ord bigint, address text, addr_key text, status text,
	       suppressed boolean, class text, reason text,
	       since timestamptz, expires_at timestamptz, scope text)
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
BEGIN
	PERFORM rebound_scope_covers('', tenant, stream);
	RETURN QUERY
	SELECT u.i, u.a, k.key,
	       CASE WHEN k.key IS NULL THEN 'invalid'
		    WHEN s.addr_key IS NOT NULL THEN 'suppressed'
		    ELSE 'sendable' END,
	       k.key IS NULL OR s.addr_key IS NOT NULL,
	       s.class, s.reason, s.created_at, s.expires_at, s.scope
	FROM unnest(addresses) WITH ORDINALITY AS u(a, i)
	CROSS JOIN LATERAL (SELECT rebound_addr_key(u.a) AS key,
				   rebound_addr_keys(u.a) AS keys) k
	LEFT JOIN LATERAL (SELECT x.addr_key, x.class, x.reason, x.created_at,
				  x.expires_at, x.scope
			   FROM suppressions x
			   WHERE x.addr_key = ANY (k.keys)
			     AND x.removed_at IS NULL
			     AND (x.expires_at IS NULL OR x.expires_at > now())
			     AND rebound_scope_covers(x.scope, tenant, stream)
			   ORDER BY x.addr_key = k.key DESC, x.scope
			   LIMIT 1) s ON true
	ORDER BY u.i;
END $$;

-- The forms without a tenant ask for every scope: the same question.
CREATE OR REPLACE FUNCTION rebound_is_suppressed(address text)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER AS $$
	SELECT rebound_is_suppressed(address, NULL::text, NULL::text)
$$;

DO $$
BEGIN
	REVOKE ALL ON FUNCTION rebound_is_suppressed(text, text, text),
		rebound_check(text[], text, text) FROM PUBLIC;
	IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rebound_reader') THEN
		GRANT EXECUTE ON FUNCTION rebound_is_suppressed(text, text, text),
			rebound_check(text[], text, text) TO rebound_reader;
	END IF;
END $$;
