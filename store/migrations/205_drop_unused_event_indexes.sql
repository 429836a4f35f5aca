-- 205_drop_unused_event_indexes: drop three indexes of 001 on events
-- that no rebound query uses, each maintained on every event insert.
--
-- events_at (event_at): the only user was the soft-bounce look-up of a
-- batch, which the planner ran as a bitmap scan over every event of the
-- window (the store's cost growing with the table); that look-up now
-- probes events_addr (addr_key, event_at) per address.  Reports read
-- the report_daily rollup (201), throttling uses events_kind_reason.
-- events_domain (domain, event_at) and events_campaign (campaign,
-- event_at): reports group by these fields through report_daily; no
-- query filters events on them (`list --domain` reads suppressions).
-- An operator's ad-hoc query on these columns still works, by a scan.
-- IF EXISTS: a database where one was dropped by hand migrates too.
DROP INDEX IF EXISTS events_at;
DROP INDEX IF EXISTS events_domain;
DROP INDEX IF EXISTS events_campaign;
