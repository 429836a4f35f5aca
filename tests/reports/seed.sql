-- Known events for tests/t_reports.sh (window 2026-11-01 .. 2026-11-07).
-- Expected, complaints counted (auth-failure and not-spam excluded): 16,
-- of which 1 inferred; sent in the window 5000, on 2 of the 7 days, whose
-- 15 complaints give the total rate 0.30%.
INSERT INTO messages (sha256, source, size, outcome, nevents, stored_at)
VALUES (sha256('seed'::bytea), 'seed', 1, 'events', 1, now());

INSERT INTO events (message_id, dedup_key, kind, recipient, addr_key, domain,
	sender, reason, hard, status, remote_mta, feedback_type, campaign,
	feedback_id, list_id, report_message_id, parser, event_at, doc)
SELECT (SELECT id FROM messages WHERE source = 'seed'),
	sha256(convert_to(v.tag || ':' || g, 'UTF8')), v.kind,
	v.rcpt, lower(v.rcpt), split_part(v.rcpt, '@', 2), v.sender,
	v.reason, v.hard, v.status, v.remote, v.ftype, v.campaign, v.fbid,
	v.list, v.tag || '.' || g || '@' || v.repdom, v.parser,
	v.at::timestamptz,
	jsonb_build_object('kind', v.kind, 'user_agent', v.ua,
		'reporting_mta', v.repmta,
		'original', jsonb_build_object('subject', v.subject))
FROM (VALUES
 -- complaints ----------------------------------------------------------
 ('y1', 'complaint', 'ann@yahoo.com', 'news@news.example.com', NULL, NULL::boolean, NULL, NULL,
  'abuse', 'black-friday', 'bf:2026:news:esp', 'news.example.com', 'arf',
  '2026-11-02T10:00:00Z', 6, 'Yahoo!-Mail-Feedback/2.0', NULL, 'yahoo.com',
  'Black Friday — 50% off'),
 ('y2', 'complaint', 'bob@ymail.com', 'news@news.example.com', NULL, NULL, NULL, NULL,
  'abuse', 'black-friday', 'bf:2026:news:esp', 'news.example.com', 'arf',
  '2026-11-03T23:59:59Z', 3, 'Yahoo!-Mail-Feedback/2.0', NULL, 'yahoo.com',
  'Black Friday — 50% off'),
 ('m1', 'complaint', 'cat@hotmail.com', 'news@News.Example.com', NULL, NULL, NULL, NULL,
  'abuse', '秋のセール 2026', NULL, NULL, 'arf',
  '2026-11-03T08:00:00Z', 3, NULL, NULL, 'hotmail.com',
  '秋のセール：最大50%オフ'),
 ('m2', 'complaint', 'dan@outlook.com', 'news@news.example.com', NULL, NULL, NULL, NULL,
  'rejected-by-recipient', '秋のセール 2026', NULL, NULL, 'postfix',
  '2026-11-03T09:00:00Z', 1, NULL, NULL, 'mta.example.com',
  '秋のセール：最大50%オフ'),
 ('a1', 'complaint', 'eve@aol.com', 'news@news.example.com', NULL, NULL, NULL, NULL,
  'abuse', 'black-friday', 'bf:2026:news:esp', 'news.example.com', 'arf',
  '2026-11-02T12:00:00Z', 2, NULL, NULL, 'aol.com', 'Black Friday — 50% off'),
 ('u1', 'complaint', 'fay@example.net', 'alerts@example.com', NULL, NULL, NULL, NULL,
  'abuse', NULL, NULL, NULL, 'arf',
  '2026-11-05T00:00:00Z', 1, 'ReturnPathFBL/1.0', 'dns; fbl.example.org', 'fbl.example.org',
  'Your "account", <updated>'),
 ('d1', 'complaint', 'gus@163.com', 'news@news.example.com', NULL, NULL, NULL, NULL,
  'auth-failure', NULL, NULL, NULL, 'arf',
  '2026-11-04T06:00:00Z', 5, 'NtesDmarcReporter/1.0', NULL, '163.com', NULL),
 ('o1', 'complaint', 'hal@yahoo.com', 'news@news.example.com', NULL, NULL, NULL, NULL,
  'abuse', 'black-friday', NULL, NULL, 'arf',
  '2026-10-31T23:59:59Z', 3, 'Yahoo!-Mail-Feedback/2.0', NULL, 'yahoo.com', NULL),
 ('o2', 'complaint', 'ivy@yahoo.com', 'news@news.example.com', NULL, NULL, NULL, NULL,
  'abuse', 'black-friday', NULL, NULL, 'arf',
  '2026-11-08T00:00:00Z', 2, 'Yahoo!-Mail-Feedback/2.0', NULL, 'yahoo.com', NULL),
 -- bounces -------------------------------------------------------------
 ('b1', 'bounce', 'jo@gmail.com', 'news@news.example.com', 'userunknown', true, '5.1.1',
  'gmail-smtp-in.l.google.com', NULL, 'black-friday', NULL, 'news.example.com', 'rfc3464',
  '2026-11-02T11:00:00Z', 30, NULL, 'dns; mta.example.com', 'mta.example.com', NULL),
 ('b2', 'bounce', 'kim@yahoo.com', 'news@news.example.com', 'mailboxfull', false, '4.2.2',
  'mta7.am0.yahoodns.net', NULL, 'black-friday', NULL, 'news.example.com', 'rfc3464',
  '2026-11-02T11:30:00Z', 10, NULL, 'dns; mta.example.com', 'mta.example.com', NULL),
 ('b3', 'bounce', 'lu@qq.com', 'news@news.example.com', 'blocked', false, '5.0.0',
  'mx3.qq.com', NULL, '秋のセール 2026', NULL, NULL, 'postfix',
  '2026-11-03T02:00:00Z', 12, NULL, 'dns; mta.example.com', 'mta.example.com', NULL),
 ('b4', 'delay', 'mo@qq.com', 'news@news.example.com', 'expired', false, '4.4.7',
  'mx3.qq.com', NULL, NULL, NULL, NULL, 'rfc3464',
  '2026-11-03T02:00:00Z', 4, NULL, NULL, 'mta.example.com', NULL)
) AS v(tag, kind, rcpt, sender, reason, hard, status, remote, ftype, campaign,
       fbid, list, parser, at, n, ua, repmta, repdom, subject),
     generate_series(1, v.n) AS g;
