-- 101_imap_pending_sets: the daemon's pending server actions (100_imap)
-- as one row per batch and (action, destination) holding the UIDs as an
-- array, instead of one row per mail.
--
-- Every batch wrote a row per mail into imap_pending (a four-column
-- primary key with two text columns to maintain) and deleted it again
-- once the mover was done: about 8 % of PostgreSQL's work per mail in
-- bench-imap, for a table that is empty whenever the daemon is idle.
-- Now a batch of 1,000 mails writes two or three rows.  The same facts
-- are kept (what to do with which UID, durable at the batch's COMMIT),
-- and the view imap_pending shows them as before, one row per UID.
CREATE TABLE imap_pending_set (
	id bigserial PRIMARY KEY,
	account text NOT NULL,
	folder text NOT NULL,
	uidvalidity bigint NOT NULL,
	action text NOT NULL CHECK (action IN ('move', 'flag', 'delete')),
	dest text,
	uids bigint[] NOT NULL CHECK (cardinality(uids) > 0)
);
CREATE INDEX imap_pending_set_folder
	ON imap_pending_set (account, folder, uidvalidity);

-- what a daemon left pending before this migration
INSERT INTO imap_pending_set (account, folder, uidvalidity, action, dest,
			      uids)
SELECT account, folder, uidvalidity, action, dest, array_agg(uid ORDER BY uid)
FROM imap_pending
GROUP BY account, folder, uidvalidity, action, dest;

DROP TABLE imap_pending;

-- one row per UID, as the table was (for operators and tests; a UID in
-- two sets, possible only when a batch was stored twice, shows twice)
CREATE VIEW imap_pending AS
	SELECT account, folder, uidvalidity, uid, action, dest
	FROM imap_pending_set, unnest(uids) AS uid;
