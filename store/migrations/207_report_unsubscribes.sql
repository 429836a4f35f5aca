-- 207_report_unsubscribes: the daily rollup (201, 204, 206) counts
-- unsubscribe events too, for `rebound report unsubscribes`
-- (docs/reports.md): by mail to a List-Unsubscribe mailto: address and
-- by RFC 8058 one-click, which `rebound serve` now stores as an event of
-- kind 'unsubscribe' (parser 'one-click') like a mail-borne one.
--
-- One more grouped field, one_click: for an unsubscribe, whether it came
-- by one-click (the report shows how many of them did); NULL for every
-- other kind.  The key is the md5 of the grouped fields, now nineteen,
-- and unsubscribes were not in the rollup at all: it is rebuilt from the
-- events once, in this migration, as 206 did (a migration runs once, in
-- one transaction, and the rebuild from the events gives the same rows
-- however often it is run).
--
-- One-click unsubscribes taken before this migration were manual
-- suppressions (class 'manual', reason 'unsubscribe', actor
-- 'one-click'), with no event: they stay as they are and keep
-- suppressing, and the rollup, a count of events, does not count them
-- (docs/tenants.md "Unsubscribes").
ALTER TABLE report_daily ADD COLUMN IF NOT EXISTS one_click boolean;

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
			feedback_id, reason, status, subject, n, tenant, stream,
			one_click)
		SELECT g.day, g.key, min(g.kind), min(g.feedback_type),
			bool_or(g.arf), bool_or(g.hard), min(g.user_agent),
			min(g.reporting_mta), min(g.report_domain),
			min(g.remote_mta), min(g.domain), min(g.sender_domain),
			min(g.campaign), min(g.list_id), min(g.feedback_id),
			min(g.reason), min(g.status), min(g.subject), sum(g.s),
			min(g.tenant), min(g.stream), bool_or(g.one_click)
		FROM (SELECT d.*, md5(ROW(d.kind, d.feedback_type, d.arf,
			d.hard, d.user_agent, d.reporting_mta, d.report_domain,
			d.remote_mta, d.domain, d.sender_domain, d.campaign,
			d.list_id, d.feedback_id, d.reason, d.status,
			d.subject, d.tenant, d.stream, d.one_click)::text)::uuid
				AS key
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
				e.status, e.subject, e.tenant, e.stream,
				CASE WHEN e.kind = 'unsubscribe' THEN e.parser
					IS NOT DISTINCT FROM 'one-click' END
					AS one_click
				FROM (%s) e
				WHERE e.kind IN ('complaint', 'bounce',
					'unsubscribe')) d) g
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
	subject, n, tenant, stream, one_click)
SELECT g.day, g.key, min(g.kind), min(g.feedback_type), bool_or(g.arf),
	bool_or(g.hard), min(g.user_agent), min(g.reporting_mta),
	min(g.report_domain), min(g.remote_mta), min(g.domain),
	min(g.sender_domain), min(g.campaign), min(g.list_id),
	min(g.feedback_id), min(g.reason), min(g.status), min(g.subject),
	count(*), min(g.tenant), min(g.stream), bool_or(g.one_click)
FROM (SELECT d.*, md5(ROW(d.kind, d.feedback_type, d.arf, d.hard,
	d.user_agent, d.reporting_mta, d.report_domain, d.remote_mta,
	d.domain, d.sender_domain, d.campaign, d.list_id, d.feedback_id,
	d.reason, d.status, d.subject, d.tenant, d.stream,
	d.one_click)::text)::uuid AS key
	FROM (SELECT (e.event_at AT TIME ZONE 'UTC')::date AS day, e.kind,
		e.feedback_type, e.parser IS NOT DISTINCT FROM 'arf' AS arf,
		e.hard, e.user_agent, e.reporting_mta,
		nullif(lower(split_part(e.report_message_id, '@', 2)), '')
			AS report_domain,
		e.remote_mta, e.domain,
		nullif(lower(split_part(e.sender, '@', 2)), '') AS sender_domain,
		e.campaign, e.list_id, e.feedback_id, e.reason, e.status,
		e.subject, e.tenant, e.stream,
		CASE WHEN e.kind = 'unsubscribe' THEN e.parser
			IS NOT DISTINCT FROM 'one-click' END AS one_click
		FROM events e
		WHERE e.kind IN ('complaint', 'bounce', 'unsubscribe')) d) g
GROUP BY g.day, g.key;
