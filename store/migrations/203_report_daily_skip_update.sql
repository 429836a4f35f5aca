-- 203_report_daily_skip_update: the rollup's UPDATE trigger (201) did
-- both aggregations for every updated event, also when only columns the
-- rollup does not group by changed: `rebound policy replay` re-classifies
-- events (policy_class, policy_rule) with one UPDATE, and paid for a
-- full subtract-and-add of the rollup for each of them.  Same function,
-- with an early exit when no grouped field of any row changed (a row
-- missing on either side counts as changed).  A column list on the
-- trigger cannot do this: PostgreSQL allows no transition tables on an
-- UPDATE OF trigger.
CREATE OR REPLACE FUNCTION rebound_report_daily() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	-- an UPDATE that changes none of the grouped fields (policy replay
	-- re-classifying events: policy_class, policy_rule) leaves the
	-- rollup as it is: skip the two aggregations
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
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		INSERT INTO report_daily AS r
		SELECT d.day, md5(ROW(d.kind, d.feedback_type, d.arf, d.hard,
			d.user_agent, d.reporting_mta, d.report_domain,
			d.remote_mta, d.domain, d.sender_domain, d.campaign,
			d.list_id, d.feedback_id, d.reason, d.status,
			d.subject)::text)::uuid,
		d.kind, d.feedback_type, d.arf, d.hard, d.user_agent,
		d.reporting_mta, d.report_domain, d.remote_mta, d.domain,
		d.sender_domain, d.campaign, d.list_id, d.feedback_id, d.reason,
		d.status, d.subject, d.n
		FROM (SELECT (event_at AT TIME ZONE 'UTC')::date AS day, kind,
			feedback_type, parser IS NOT DISTINCT FROM 'arf' AS arf,
			hard, user_agent, reporting_mta,
			nullif(lower(split_part(report_message_id, '@', 2)), '')
				AS report_domain,
			remote_mta, domain,
			nullif(lower(split_part(sender, '@', 2)), '')
				AS sender_domain,
			campaign, list_id, feedback_id, reason, status, subject,
			-count(*) AS n
			FROM old_rows WHERE kind IN ('complaint', 'bounce')
			GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
				15, 16, 17) d
		ORDER BY 1, 2
		ON CONFLICT (day, key) DO UPDATE SET n = r.n + EXCLUDED.n;
		DELETE FROM report_daily WHERE n <= 0 AND day IN
			(SELECT DISTINCT (event_at AT TIME ZONE 'UTC')::date
			 FROM old_rows);
	END IF;
	IF TG_OP IN ('UPDATE', 'INSERT') THEN
		INSERT INTO report_daily AS r
		SELECT d.day, md5(ROW(d.kind, d.feedback_type, d.arf, d.hard,
			d.user_agent, d.reporting_mta, d.report_domain,
			d.remote_mta, d.domain, d.sender_domain, d.campaign,
			d.list_id, d.feedback_id, d.reason, d.status,
			d.subject)::text)::uuid,
		d.kind, d.feedback_type, d.arf, d.hard, d.user_agent,
		d.reporting_mta, d.report_domain, d.remote_mta, d.domain,
		d.sender_domain, d.campaign, d.list_id, d.feedback_id, d.reason,
		d.status, d.subject, d.n
		FROM (SELECT (event_at AT TIME ZONE 'UTC')::date AS day, kind,
			feedback_type, parser IS NOT DISTINCT FROM 'arf' AS arf,
			hard, user_agent, reporting_mta,
			nullif(lower(split_part(report_message_id, '@', 2)), '')
				AS report_domain,
			remote_mta, domain,
			nullif(lower(split_part(sender, '@', 2)), '')
				AS sender_domain,
			campaign, list_id, feedback_id, reason, status, subject,
			count(*) AS n
			FROM new_rows WHERE kind IN ('complaint', 'bounce')
			GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
				15, 16, 17) d
		-- one lock order for every writer: concurrent batches that
		-- touch the same rows wait instead of deadlocking
		ORDER BY 1, 2
		ON CONFLICT (day, key) DO UPDATE SET n = r.n + EXCLUDED.n;
	END IF;
	RETURN NULL;
END $$;

