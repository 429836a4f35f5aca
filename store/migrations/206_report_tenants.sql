-- 206_report_tenants: reports per tenant and stream (docs/reports.md,
-- docs/tenants.md).
--
-- The daily rollup (201, 204) gains the tenant and stream of the events
-- (020), as two more grouped fields, so `report --by tenant` and
-- `--tenant T` read the rollup like every other key.  Its key is the md5
-- of the grouped fields, now eighteen: the rows written before lumped
-- the tenants together and cannot be split, so the rollup is rebuilt
-- from the events (once, in this migration).
--
-- Sent counts gain a tenant and a stream ('' = mail sent for no tenant,
-- which every row stored before is), part of the key, so a tenant's
-- rate divides its events by its own sent counts.
ALTER TABLE report_daily ADD COLUMN tenant text, ADD COLUMN stream text;

CREATE OR REPLACE FUNCTION rebound_report_daily() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	src text;
BEGIN
	IF TG_OP = 'UPDATE' THEN
		-- nested: old_rows exists only for UPDATE and DELETE
		IF NOT EXISTS (
			SELECT 1 FROM old_rows o FULL JOIN new_rows n ON n.id = o.id
			WHERE o.id IS NULL OR n.id IS NULL OR ROW(
				o.event_at, o.kind, o.feedback_type, o.parser, o.hard, o.user_agent,
				o.reporting_mta, o.report_message_id, o.remote_mta, o.domain,
				o.sender, o.campaign, o.list_id, o.feedback_id, o.reason, o.status,
				o.subject, o.tenant, o.stream)
			IS DISTINCT FROM ROW(
				n.event_at, n.kind, n.feedback_type, n.parser, n.hard, n.user_agent,
				n.reporting_mta, n.report_message_id, n.remote_mta, n.domain,
				n.sender, n.campaign, n.list_id, n.feedback_id, n.reason, n.status,
				n.subject, n.tenant, n.stream)) THEN
			RETURN NULL;
		END IF;
	END IF;
	src := CASE TG_OP
		WHEN 'INSERT' THEN 'SELECT 1 AS s, * FROM new_rows'
		WHEN 'DELETE' THEN 'SELECT -1 AS s, * FROM old_rows'
		ELSE 'SELECT -1 AS s, * FROM old_rows'
			' UNION ALL SELECT 1 AS s, * FROM new_rows'
	END;
	EXECUTE format($q$
		INSERT INTO report_daily AS r (day, key, kind, feedback_type,
			arf, hard, user_agent, reporting_mta, report_domain,
			remote_mta, domain, sender_domain, campaign, list_id,
			feedback_id, reason, status, subject, n, tenant, stream)
		SELECT g.day, g.key, min(g.kind), min(g.feedback_type),
			bool_or(g.arf), bool_or(g.hard), min(g.user_agent),
			min(g.reporting_mta), min(g.report_domain),
			min(g.remote_mta), min(g.domain), min(g.sender_domain),
			min(g.campaign), min(g.list_id), min(g.feedback_id),
			min(g.reason), min(g.status), min(g.subject), sum(g.s),
			min(g.tenant), min(g.stream)
		FROM (SELECT d.*, md5(ROW(d.kind, d.feedback_type, d.arf,
			d.hard, d.user_agent, d.reporting_mta, d.report_domain,
			d.remote_mta, d.domain, d.sender_domain, d.campaign,
			d.list_id, d.feedback_id, d.reason, d.status,
			d.subject, d.tenant, d.stream)::text)::uuid AS key
			FROM (SELECT e.s, (e.event_at AT TIME ZONE 'UTC')::date
				AS day, e.kind, e.feedback_type,
				e.parser IS NOT DISTINCT FROM 'arf' AS arf,
				e.hard, e.user_agent, e.reporting_mta,
				nullif(lower(split_part(e.report_message_id,
					'@', 2)), '') AS report_domain,
				e.remote_mta, e.domain,
				nullif(lower(split_part(e.sender, '@', 2)), '')
					AS sender_domain,
				e.campaign, e.list_id, e.feedback_id, e.reason,
				e.status, e.subject, e.tenant, e.stream
				FROM (%s) e
				WHERE e.kind IN ('complaint', 'bounce')) d) g
		GROUP BY g.day, g.key
		HAVING sum(g.s) <> 0
		-- one lock order for every writer: concurrent batches that
		-- touch the same rows wait instead of deadlocking
		ORDER BY 1, 2
		ON CONFLICT (day, key) DO UPDATE SET n = r.n + EXCLUDED.n
		$q$, src);
	IF TG_OP <> 'INSERT' THEN
		DELETE FROM report_daily WHERE n <= 0 AND day IN
			(SELECT DISTINCT (event_at AT TIME ZONE 'UTC')::date
			 FROM old_rows);
	END IF;
	RETURN NULL;
END $$;

-- the rollup again, from the events, under the new key
TRUNCATE report_daily;
INSERT INTO report_daily (day, key, kind, feedback_type, arf, hard,
	user_agent, reporting_mta, report_domain, remote_mta, domain,
	sender_domain, campaign, list_id, feedback_id, reason, status,
	subject, n, tenant, stream)
SELECT g.day, g.key, min(g.kind), min(g.feedback_type), bool_or(g.arf),
	bool_or(g.hard), min(g.user_agent), min(g.reporting_mta),
	min(g.report_domain), min(g.remote_mta), min(g.domain),
	min(g.sender_domain), min(g.campaign), min(g.list_id),
	min(g.feedback_id), min(g.reason), min(g.status), min(g.subject),
	count(*), min(g.tenant), min(g.stream)
FROM (SELECT d.*, md5(ROW(d.kind, d.feedback_type, d.arf, d.hard,
	d.user_agent, d.reporting_mta, d.report_domain, d.remote_mta,
	d.domain, d.sender_domain, d.campaign, d.list_id, d.feedback_id,
	d.reason, d.status, d.subject, d.tenant, d.stream)::text)::uuid AS key
	FROM (SELECT (e.event_at AT TIME ZONE 'UTC')::date AS day, e.kind,
		e.feedback_type, e.parser IS NOT DISTINCT FROM 'arf' AS arf,
		e.hard, e.user_agent, e.reporting_mta,
		nullif(lower(split_part(e.report_message_id, '@', 2)), '')
			AS report_domain,
		e.remote_mta, e.domain,
		nullif(lower(split_part(e.sender, '@', 2)), '') AS sender_domain,
		e.campaign, e.list_id, e.feedback_id, e.reason, e.status,
		e.subject, e.tenant, e.stream
		FROM events e WHERE e.kind IN ('complaint', 'bounce')) d) g
GROUP BY g.day, g.key;

-- sent counts per tenant and stream
ALTER TABLE sent
	ADD COLUMN tenant text NOT NULL DEFAULT ''
		CHECK (tenant = '' OR tenant ~ '^[A-Za-z0-9._-]{1,64}$'),
	ADD COLUMN stream text NOT NULL DEFAULT ''
		CHECK (stream = '' OR (tenant <> ''
			AND stream ~ '^[A-Za-z0-9._-]{1,64}$'));
ALTER TABLE sent DROP CONSTRAINT sent_pkey;
ALTER TABLE sent ADD PRIMARY KEY (day, tenant, stream, sender_domain,
	campaign, list_id);
