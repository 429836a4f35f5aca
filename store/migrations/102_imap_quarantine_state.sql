-- 102_imap_quarantine_state: what an operator needs to find and handle a
-- quarantined mail (`rebound quarantine list|retry|drop`).
--
-- Rows written before this migration keep everything they had; the new
-- columns are NULL for them (not known) and their state is quarantined.
--
--   qfolder        the quarantine folder the mail was moved to (the
--                  configuration may name another one later)
--   quidvalidity,  the mail's UIDVALIDITY and UID in that folder (UIDPLUS
--   quid           COPYUID of the MOVE; NULL until known, then found by a
--                  search when it is needed)
--   message_id,    from the mail's header when it was fetched
--   subject, sender
--   state          quarantined, retried (moved back to its folder to be
--                  read again) or dropped (deleted from the server); the
--                  row stays for history
--   state_at, state_by, state_note   the last change of state: when, by
--                  whom (the operator's login), what happened
ALTER TABLE imap_quarantine
	ADD COLUMN qfolder text,
	ADD COLUMN quidvalidity bigint,
	ADD COLUMN quid bigint,
	ADD COLUMN message_id text,
	ADD COLUMN subject text,
	ADD COLUMN sender text,
	ADD COLUMN state text NOT NULL DEFAULT 'quarantined'
		CHECK (state IN ('quarantined', 'retried', 'dropped')),
	ADD COLUMN state_at timestamptz,
	ADD COLUMN state_by text,
	ADD COLUMN state_note text;
