-- 201_report_daily: a daily rollup of complaint and bounce events on the
-- fields reports group by (docs/reports.md), kept by statement-level
-- triggers on events, so a report over a month reads thousands of rollup
-- rows instead of every event (the target: 1,000,000 events in < 2 s).
--
-- One row per day and distinct combination; key = md5 of the combination
-- as a record's text form (NULL and '' differ there), so long values
-- never enter a btree.  n is the number of events.
CREATE TABLE report_daily (
	day date NOT NULL,
	key uuid NOT NULL,
	kind text NOT NULL,
	feedback_type text,
	arf boolean NOT NULL,
	hard boolean,
	user_agent text,
	reporting_mta text,
	report_domain text,
	remote_mta text,
	domain text,
	sender_domain text,
	campaign text,
	list_id text,
	feedback_id text,
	reason text,
	status text,
	subject text,
	n bigint NOT NULL,
	PRIMARY KEY (day, key)
);
CREATE INDEX report_daily_kind_day ON report_daily (kind, day);

-- INSERT adds, DELETE subtracts, UPDATE does both (net zero when no
-- grouped field changed); rows that reach zero are dropped.
CREATE FUNCTION rebound_report_daily() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
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

CREATE TRIGGER events_report_daily_ins AFTER INSERT ON events
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION rebound_report_daily();
CREATE TRIGGER events_report_daily_upd AFTER UPDATE ON events
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION rebound_report_daily();
CREATE TRIGGER events_report_daily_del AFTER DELETE ON events
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION rebound_report_daily();

-- the events stored before this migration
INSERT INTO report_daily
SELECT d.day, md5(ROW(d.kind, d.feedback_type, d.arf, d.hard, d.user_agent,
	d.reporting_mta, d.report_domain, d.remote_mta, d.domain,
	d.sender_domain, d.campaign, d.list_id, d.feedback_id, d.reason,
	d.status, d.subject)::text)::uuid,
		d.kind, d.feedback_type, d.arf, d.hard, d.user_agent,
		d.reporting_mta, d.report_domain, d.remote_mta, d.domain,
		d.sender_domain, d.campaign, d.list_id, d.feedback_id, d.reason,
		d.status, d.subject, d.n
FROM (SELECT (event_at AT TIME ZONE 'UTC')::date AS day, kind, feedback_type,
	parser IS NOT DISTINCT FROM 'arf' AS arf, hard, user_agent,
	reporting_mta,
	nullif(lower(split_part(report_message_id, '@', 2)), '') AS report_domain,
	remote_mta, domain,
	nullif(lower(split_part(sender, '@', 2)), '') AS sender_domain,
	campaign, list_id, feedback_id, reason, status, subject, count(*) AS n
	FROM events WHERE kind IN ('complaint', 'bounce')
	GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17) d;
