-- 021_unsubscribe: unsubscribe requests that arrive by mail (RFC 2369
-- List-Unsubscribe mailto:, docs/tenants.md "Unsubscribes") are events of
-- kind 'unsubscribe', classified 'unsubscribe' by the policy, and their
-- suppressions have class 'unsubscribe' (scope.unsubscribe decides where
-- they land).
ALTER TABLE events DROP CONSTRAINT events_kind_check;
ALTER TABLE events ADD CONSTRAINT events_kind_check CHECK (kind IN ('bounce',
	'delay', 'complaint', 'autoreply', 'delivered', 'unsubscribe',
	'unknown'));
ALTER TABLE events DROP CONSTRAINT events_policy_class_check;
ALTER TABLE events ADD CONSTRAINT events_policy_class_check
	CHECK (policy_class IN ('hard', 'complaint', 'soft', 'unsubscribe',
		'none'));
ALTER TABLE suppressions DROP CONSTRAINT suppressions_class_check;
ALTER TABLE suppressions ADD CONSTRAINT suppressions_class_check
	CHECK (class IN ('hard', 'complaint', 'soft', 'unsubscribe', 'manual'));
