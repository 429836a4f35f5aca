-- 204_report_daily_by_key: the rollup trigger of 201/203, cheaper and
-- written once.
--
-- 201 grouped the changed events by all 17 grouped fields (a sort on
-- sixteen text columns, compared with the database's collation), then
-- computed each group's key.  The key is the md5 of exactly those
-- fields, so grouping by (day, key) gives the same groups: the key is
-- now computed per event and the groups are hashed on two columns; the
-- fields of a group are equal in each of its events (min() picks that
-- one value, NULL when it is NULL).  About half of the trigger's time
-- per batch of 1,000 new events (docs/store.md "Where ingest time goes").
--
-- One statement for every case instead of a subtract block and an add
-- block: old_rows count -1 and new_rows +1 (an UPDATE nets out in one
-- upsert, groups that net to zero are not written at all), through
-- EXECUTE because a trigger has only the transition tables its event
-- defines.  Rows that reach zero are dropped, as before; the early exit
-- of 203 for updates that change no grouped field stays.
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
				o.subject)
			IS DISTINCT FROM ROW(
				n.event_at, n.kind, n.feedback_type, n.parser, n.hard, n.user_agent,
				n.reporting_mta, n.report_message_id, n.remote_mta, n.domain,
				n.sender, n.campaign, n.list_id, n.feedback_id, n.reason, n.status,
				n.subject)) THEN
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
		INSERT INTO report_daily AS r
		SELECT g.day, g.key, min(g.kind), min(g.feedback_type),
			bool_or(g.arf), bool_or(g.hard), min(g.user_agent),
			min(g.reporting_mta), min(g.report_domain),
			min(g.remote_mta), min(g.domain), min(g.sender_domain),
			min(g.campaign), min(g.list_id), min(g.feedback_id),
			min(g.reason), min(g.status), min(g.subject), sum(g.s)
		FROM (SELECT d.*, md5(ROW(d.kind, d.feedback_type, d.arf,
			d.hard, d.user_agent, d.reporting_mta, d.report_domain,
			d.remote_mta, d.domain, d.sender_domain, d.campaign,
			d.list_id, d.feedback_id, d.reason, d.status,
			d.subject)::text)::uuid AS key
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
				e.status, e.subject
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
