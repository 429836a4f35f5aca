-- 100_imap: the IMAP daemon's state (store/imap_state.h).  An "account"
-- is user@host:port of a configured mailbox, so two configurations naming
-- the same server account share cursor and lease.

-- Where each folder has been read up to: every UID <= last_uid under
-- this UIDVALIDITY is committed (its disposition possibly still pending).
CREATE TABLE imap_cursor (
	account text NOT NULL,
	folder text NOT NULL,
	uidvalidity bigint NOT NULL,
	last_uid bigint NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (account, folder)
);

-- One holder per account at a time; a lease not renewed before
-- expires_at may be taken over by another instance.
CREATE TABLE imap_lease (
	account text PRIMARY KEY,
	holder text NOT NULL,
	acquired_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL
);

-- Server-side actions decided in a committed batch and not yet confirmed
-- done (a crash between commit and MOVE leaves rows here; the next pass
-- performs them).  action: move (to dest), flag (dest = the flag), delete.
CREATE TABLE imap_pending (
	account text NOT NULL,
	folder text NOT NULL,
	uidvalidity bigint NOT NULL,
	uid bigint NOT NULL,
	action text NOT NULL CHECK (action IN ('move', 'flag', 'delete')),
	dest text,
	PRIMARY KEY (account, folder, uidvalidity, uid)
);

-- Parser failures (crash, timeout) per mail, kept across restarts so a
-- mail that kills the parser is retried a bounded number of times.
CREATE TABLE imap_attempts (
	account text NOT NULL,
	folder text NOT NULL,
	uidvalidity bigint NOT NULL,
	uid bigint NOT NULL,
	attempts integer NOT NULL,
	last_error text,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (account, folder, uidvalidity, uid)
);

-- Mail moved to the quarantine folder, and why.
CREATE TABLE imap_quarantine (
	id bigserial PRIMARY KEY,
	account text NOT NULL,
	folder text NOT NULL,
	uidvalidity bigint NOT NULL,
	uid bigint NOT NULL,
	size bigint NOT NULL,
	sha256 bytea,
	reason text NOT NULL,
	at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (account, folder, uidvalidity, uid)
);
