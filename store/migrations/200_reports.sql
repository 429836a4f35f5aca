-- 200_reports: what the complaint and bounce reports need (docs/reports.md).
--
-- The event fields reports group by that are otherwise only inside doc,
-- as stored generated columns: reading them from jsonb for every event of
-- a large window costs more than the report's whole budget.
ALTER TABLE events
	ADD COLUMN user_agent text
		GENERATED ALWAYS AS (doc ->> 'user_agent') STORED,
	ADD COLUMN reporting_mta text
		GENERATED ALWAYS AS (doc ->> 'reporting_mta') STORED,
	ADD COLUMN subject text
		GENERATED ALWAYS AS (doc -> 'original' ->> 'subject') STORED;

-- Every report filters on one kind and a time window.
CREATE INDEX events_kind_at ON events (kind, event_at);

-- Messages sent, loaded by `rebound sent import` (the mailbox cannot know
-- them).  One row per day and key; '' where the file gave no sender
-- domain, campaign or list.  Rows are disjoint parts: a day's total is
-- the sum of its rows.
CREATE TABLE sent (
	day date NOT NULL,
	sender_domain text NOT NULL DEFAULT '',
	campaign text NOT NULL DEFAULT '',
	list_id text NOT NULL DEFAULT '',
	count bigint NOT NULL CHECK (count >= 0),
	imported_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (day, sender_domain, campaign, list_id)
);
