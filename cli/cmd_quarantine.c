/*
 * rebound quarantine list|retry|drop: the mail the daemon could not
 * process (docs/daemon.md, "Quarantine").
 *
 *   list  [--account A] [--state S] [--json]   the records of
 *         imap_quarantine, oldest first, with where each mail is now
 *   retry ID...|--all [--account A] [--dry-run]   move the mail back to
 *         the folder it came from: the daemon reads it again as new mail
 *         (new UID, no parser attempts), and what it finds is stored
 *   drop  ID...|--all [--account A] [--older-than DAYS] [--dry-run]
 *         delete the mail from the quarantine folder (\Deleted + UID
 *         EXPUNGE); the record stays, state dropped
 *
 * The server comes first, the database after: a record changes only once
 * the IMAP command succeeded, so an interrupted retry or drop never loses
 * a mail (at worst the record says quarantined for a mail that is back
 * in its folder; the next retry of it says the mail is gone).  A mail's
 * UID in the quarantine folder is the one the server named when the
 * daemon moved it (COPYUID); when that is unknown or stale, the mail is
 * searched for by its Message-ID, or among the folder's mails of its
 * size, and recognised by its SHA-256.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_store.h"
#include "commands.h"
#include "core/config.h"
#include "ingest/imap.h"
#include "lib/log.h"
#include "lib/sha256.h"
#include "store/mailbox_state.h"
#include "store/store.h"

#define SCAN_MAX 100000	/* mails of the quarantine folder looked at */

static void
usage(FILE *f)
{
	fputs("usage: rebound quarantine list [--account A] [--state S] "
	      "[--json]\n"
	      "       rebound quarantine retry ID...|--all [--account A] "
	      "[--dry-run]\n"
	      "       rebound quarantine drop ID...|--all [--account A] "
	      "[--older-than DAYS] [--dry-run]\n"
	      "  (and --db CONNINFO, --config FILE)\n"
	      "list: every quarantine record (state quarantined, retried or "
	      "dropped).\n"
	      "retry: move the mail back to its folder; the daemon reads it "
	      "again.\n"
	      "drop: delete the mail from the quarantine folder; the record "
	      "stays.\n",
	      f);
}

static const char *
or_dash(const char *s)
{
	return s && s[0] ? s : "-";
}

static json_t *
jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
row_json(const struct rb_quarantined *q)
{
	char hex[65];
	if (q->have_sha)
		rb_sha256_hex(q->sha256, hex);
	const struct {
		const char *k, *v;
	} str[] = {
	    {"account", q->account},
	    {"folder", q->folder},
	    {"quarantine_folder", q->qfolder},
	    {"at", q->at},
	    {"reason", q->reason},
	    {"sha256", q->have_sha ? hex : NULL},
	    {"message_id", q->message_id},
	    {"subject", q->subject},
	    {"from", q->sender},
	    {"state", q->state},
	    {"state_at", q->state_at},
	    {"state_by", q->state_by},
	    {"state_note", q->state_note},
	};
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(q->id));
	json_object_set_new(o, "uidvalidity", json_integer(q->uidvalidity));
	json_object_set_new(o, "uid", json_integer(q->uid));
	json_object_set_new(o, "quarantine_uidvalidity",
			    q->have_quid ? json_integer(q->quidvalidity)
					 : json_null());
	json_object_set_new(o, "quarantine_uid",
			    q->have_quid ? json_integer(q->quid) : json_null());
	json_object_set_new(o, "size", json_integer(q->size));
	for (size_t i = 0; i < sizeof str / sizeof str[0]; i++)
		json_object_set_new(o, str[i].k, jstr(str[i].v));
	return o;
}

static void
row_text(const struct rb_quarantined *q)
{
	char uid[32] = "UID unknown";
	if (q->have_quid)
		snprintf(uid, sizeof uid, "UID %u", q->quid);
	printf("#%lld  %s  %s  %lld bytes  %s %s UID %u -> %s %s\n", q->id,
	       q->state, q->at, q->size, q->account, q->folder, q->uid,
	       q->qfolder ? q->qfolder : "(quarantine folder)", uid);
	printf("    reason: %s\n", q->reason);
	if (q->sender || q->subject || q->message_id)
		printf("    from: %s  subject: %s  message-id: %s\n",
		       or_dash(q->sender), or_dash(q->subject),
		       or_dash(q->message_id));
	if (q->have_sha) {
		char hex[65];
		rb_sha256_hex(q->sha256, hex);
		printf("    sha256: %s\n", hex);
	}
	if (q->state_at)
		printf("    %s %s by %s: %s\n", q->state, q->state_at,
		       or_dash(q->state_by), or_dash(q->state_note));
}

static int
do_list(struct rb_store *s, const struct rb_qfilter *f, int json)
{
	struct rb_quarantined *v;
	size_t n;
	if (rb_mbstate_quarantine_list(s, f, &v, &n) != 0) {
		rb_err("quarantine: %s", rb_store_error(s));
		return RB_EXIT_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		if (json) {
			json_t *o = row_json(&v[i]);
			char *t = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
			puts(t);
			free(t);
			json_decref(o);
		} else {
			row_text(&v[i]);
		}
	}
	if (!json && n == 0)
		puts("no quarantined mail");
	rb_quarantined_free(v, n);
	return fflush(stdout) == 0 ? RB_EXIT_OK : RB_EXIT_ERROR;
}

/* ---- retry and drop: one IMAP connection per account ---- */

struct conn {
	const struct rb_mailbox_conf *m;
	struct rb_imap *c;
	char *selected;		/* the folder selected, or NULL */
	uint32_t uidvalidity;
};

static const struct rb_mailbox_conf *
mailbox_for(const struct rb_config *cf, const char *account)
{
	for (size_t i = 0; cf && i < cf->nmb; i++) {
		const struct rb_mailbox_conf *m = &cf->mb[i];
		char a[512];
		snprintf(a, sizeof a, "%s@%s:%d", m->user, m->host, m->port);
		if (!strcmp(a, account))
			return m;
	}
	return NULL;
}

static void
conn_close(struct conn *k)
{
	rb_imap_close(k->c);
	free(k->selected);
	memset(k, 0, sizeof *k);
}

/* Connected to m with folder selected (reusing the connection). */
static int
conn_get(struct conn *k, const struct rb_mailbox_conf *m,
	 const char *folder)
{
	if (k->c && k->m != m)
		conn_close(k);
	if (k->c == NULL) {
		char *err = NULL;
		char *secret = rb_config_secret(m, &err);
		if (secret == NULL) {
			rb_err("mailbox %s: %s", m->name, err);
			free(err);
			return -1;
		}
		int r = rb_imap_connect(m, secret, &k->c);
		explicit_bzero(secret, strlen(secret));
		free(secret);
		if (r != RB_IMAP_OK) {
			rb_err("mailbox %s: %s", m->name, rb_imap_error(k->c));
			conn_close(k);
			return -1;
		}
		k->m = m;
	}
	if (k->selected && !strcmp(k->selected, folder))
		return 0;
	free(k->selected);
	k->selected = NULL;
	uint32_t un;
	int r = rb_imap_select_dest(k->c, folder, &k->uidvalidity, &un);
	if (r != RB_IMAP_OK) {
		rb_err("mailbox %s: %s", m->name, rb_imap_error(k->c));
		if (r == RB_IMAP_TEMP)
			conn_close(k);
		return r == RB_IMAP_NOFOLDER ? 1 : -1;
	}
	k->selected = strdup(folder);
	return 0;
}

/* rb_imap_fetch callback: does the body hash to want? */
struct hashmatch {
	const unsigned char *want;
	uint32_t found;
};

static int
on_body_hash(void *ctx, uint32_t uid, const char *data, size_t len)
{
	struct hashmatch *h = ctx;
	unsigned char d[32];
	rb_sha256(data, len, d);
	if (h->found == 0 && memcmp(d, h->want, 32) == 0)
		h->found = uid;
	return 0;
}

/* The first of the candidates (items, sizes known) whose content hashes
 * to q's SHA-256 (of its first max_size bytes when bigger, as the daemon
 * hashed it); 0 when none; -1 on an IMAP error. */
static long long
match_hash(struct conn *k, const struct rb_quarantined *q,
	   struct rb_imap_item *it, size_t n)
{
	struct hashmatch h = {q->sha256, 0};
	size_t big = 0;
	for (size_t i = 0; i < n; i++)
		big += it[i].size > k->m->max_size;
	int r = big ? rb_imap_fetch_head(k->c, it, n, (uint32_t)k->m->max_size,
					 16u << 20, on_body_hash, &h)
		    : rb_imap_fetch(k->c, it, n, 16u << 20, on_body_hash, &h);
	if (r != RB_IMAP_OK) {
		rb_err("mailbox %s: %s", k->m->name, rb_imap_error(k->c));
		return -1;
	}
	return h.found;
}

/*
 * q's UID in the selected quarantine folder: the recorded one when it is
 * there under the same UIDVALIDITY; else found by Message-ID (or among
 * the folder's mails of its size) and recognised by its SHA-256, or, with
 * no SHA-256 known, the one mail with its Message-ID.  Returns the UID,
 * 0 when the mail is not there, -1 on an error (printed), -2 when it
 * cannot be told apart from other mail.
 */
static long long
locate(struct conn *k, const struct rb_quarantined *q, int use_quid,
       int *from_search)
{
	*from_search = 0;
	if (use_quid && q->have_quid && q->quidvalidity == k->uidvalidity) {
		int r = rb_imap_has_uid(k->c, q->quid);
		if (r < 0) {
			rb_err("mailbox %s: %s", k->m->name,
			       rb_imap_error(k->c));
			return -1;
		}
		return r ? q->quid : 0;
	}
	*from_search = 1;
	uint32_t *u = NULL;
	size_t nu = 0;
	struct rb_imap_item *it = NULL;
	size_t n = 0;
	int r;
	if (q->message_id) {
		r = rb_imap_search_header(k->c, "Message-ID", q->message_id, &u,
					  &nu);
		if (r != RB_IMAP_OK) {
			rb_err("mailbox %s: %s", k->m->name,
			       rb_imap_error(k->c));
			return -1;
		}
		if (!q->have_sha) {
			long long uid = nu == 1 ? (long long)u[0] : nu == 0 ? 0 : -2;
			free(u);
			return uid;
		}
	} else if (!q->have_sha) {
		return -2;	/* nothing to recognise it by */
	}
	/* the candidates with their sizes (only those of its size) */
	r = rb_imap_list(k->c, 0, SCAN_MAX, &it, &n);
	if (r != RB_IMAP_OK) {
		free(u);
		rb_err("mailbox %s: %s", k->m->name, rb_imap_error(k->c));
		return -1;
	}
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		int cand = (long long)it[i].size == q->size;
		if (cand && q->message_id) {
			cand = 0;
			for (size_t j = 0; j < nu; j++)
				cand |= u[j] == it[i].uid;
		}
		if (cand)
			it[w++] = it[i];
	}
	free(u);
	long long uid = w ? match_hash(k, q, it, w) : 0;
	free(it);
	return uid;
}

enum op { OP_RETRY, OP_DROP };

/* Record what was done on the server (the record was "quarantined"),
 * and say it; 0 done, 1 the record failed. */
static int
record(struct rb_store *s, const struct rb_quarantined *q, const char *state,
       const char *actor, const char *note)
{
	if (rb_mbstate_quarantine_state(s, q->id, "quarantined", state, actor,
					note) < 0) {
		rb_err("#%lld: %s, but recording it failed: %s", q->id, note,
		       rb_store_error(s));
		return 1;
	}
	printf("#%lld: %s\n", q->id, note);
	return 0;
}

/*
 * A retry whose mail is gone from the quarantine folder: an earlier retry
 * may have moved it and then failed to record it (the database went away
 * between the two).  Look for it in its source folder, recognised as
 * locate() does; when it is there, record the retry now (which also
 * clears its attempt count and unparsed message row, so the daemon reads
 * it as new mail).  0 recorded, 1 failed, -1 not there.
 */
static int
found_back(struct rb_store *s, struct conn *k, const struct rb_mailbox_conf *m,
	   const struct rb_quarantined *q, const char *qf, const char *actor)
{
	int g = conn_get(k, m, q->folder);
	if (g < 0) {
		conn_close(k);
		return 1;
	}
	if (g == 1)
		return -1;
	int searched;
	long long uid = locate(k, q, 0, &searched);
	if (uid == -1) {
		conn_close(k);
		return 1;
	}
	if (uid <= 0)
		return -1;
	char note[700];
	snprintf(note, sizeof note,
		 "not in %s but back in %s as UID %lld (moved by an earlier "
		 "retry that was not recorded): recorded as retried",
		 qf, q->folder, uid);
	return record(s, q, "retried", actor, note);
}

/* Retry or drop one record; 0 done (or nothing to do), 1 failed. */
static int
one(struct rb_store *s, const struct rb_config *cf, struct conn *k,
    const struct rb_quarantined *q, enum op op, int dry, const char *actor)
{
	const char *verb = op == OP_RETRY ? "retry" : "drop";
	if (!strcmp(q->state, op == OP_RETRY ? "retried" : "dropped")) {
		printf("#%lld: already %s (%s)\n", q->id, q->state,
		       or_dash(q->state_at));
		return 0;
	}
	if (strcmp(q->state, "quarantined") != 0) {
		rb_err("#%lld: %s: it was %s (%s): nothing to %s", q->id,
		       q->account, q->state, or_dash(q->state_at), verb);
		return 1;
	}
	const struct rb_mailbox_conf *m = mailbox_for(cf, q->account);
	const char *qf = q->qfolder	 ? q->qfolder
			 : m		 ? m->quarantine_folder
					 : "the quarantine folder";
	if (dry) {
		char uid[32] = "UID unknown: searched for";
		if (q->have_quid)
			snprintf(uid, sizeof uid, "UID %u", q->quid);
		if (op == OP_RETRY)
			printf("#%lld: would move %s %s back to %s (%s)\n",
			       q->id, qf, uid, q->folder, q->account);
		else
			printf("#%lld: would delete %s %s (%s)\n", q->id, qf,
			       uid, q->account);
		return 0;
	}
	if (m == NULL) {
		rb_err("#%lld: no mailbox of the configuration is the account "
		       "%s",
		       q->id, q->account);
		return 1;
	}
	int g = conn_get(k, m, qf);
	if (g < 0)
		return 1;
	int searched = 0;
	long long uid = g == 1 ? 0 : locate(k, q, 1, &searched);
	if (uid == -1) {
		conn_close(k);
		return 1;
	}
	if (uid == -2) {
		rb_err("#%lld: %s: the mail's UID in %s is not known and it "
		       "cannot be told apart from other mail there (no "
		       "SHA-256, no single Message-ID match): nothing done",
		       q->id, q->account, qf);
		return 1;
	}
	if (uid == 0) {
		if (op == OP_DROP) {
			/* what drop wants is true already: say so, record it */
			char note[600];
			snprintf(note, sizeof note,
				 "not in %s any more: nothing deleted", qf);
			return record(s, q, "dropped", actor, note);
		}
		int b = found_back(s, k, m, q, qf, actor);
		if (b >= 0)
			return b;
		rb_err("#%lld: %s: the mail is no longer in %s (%s): nothing "
		       "moved; it was deleted or moved by someone else",
		       q->id, q->account, qf,
		       q->have_quid ? "its UID is gone"
				    : "not found by Message-ID or content");
		return 1;
	}
	if (searched &&
	    rb_mbstate_quarantine_set_uid(s, q->id, k->uidvalidity,
					  (uint32_t)uid) != 0)
		rb_warn("#%lld: recording UID %lld: %s", q->id, uid,
			rb_store_error(s));
	uint32_t u = (uint32_t)uid;
	char note[700];
	int r;
	if (op == OP_RETRY) {
		struct rb_imap_copyuid map = {0};
		r = rb_imap_move_map(k->c, &u, 1, q->folder, &map);
		if (map.n == 1)
			snprintf(note, sizeof note,
				 "moved from %s UID %u back to %s as UID %u",
				 qf, u, q->folder, map.dst[0]);
		else
			snprintf(note, sizeof note,
				 "moved from %s UID %u back to %s", qf, u,
				 q->folder);
		rb_imap_copyuid_free(&map);
	} else {
		r = rb_imap_delete(k->c, &u, 1);
		snprintf(note, sizeof note, "deleted from %s UID %u", qf, u);
	}
	if (r != RB_IMAP_OK) {
		rb_err("#%lld: %s: %s: nothing changed", q->id, q->account,
		       rb_imap_error(k->c));
		conn_close(k);
		return 1;
	}
	return record(s, q, op == OP_RETRY ? "retried" : "dropped", actor,
		      note);
}

static int
do_change(struct rb_store *s, const struct rb_config *cf, enum op op,
	  char **ids, int nids, const struct rb_qfilter *f, int dry)
{
	struct rb_quarantined *v = NULL;
	size_t n = 0;
	int bad = 0;
	struct conn k = {0};
	const char *actor = rb_cli_actor(NULL);
	if (nids == 0) {
		/* --all: the mail still quarantined */
		struct rb_qfilter g = *f;
		g.state = "quarantined";
		if (rb_mbstate_quarantine_list(s, &g, &v, &n) != 0) {
			rb_err("quarantine: %s", rb_store_error(s));
			return RB_EXIT_ERROR;
		}
		if (n == 0)
			puts("no quarantined mail");
		for (size_t i = 0; i < n; i++)
			bad |= one(s, cf, &k, &v[i], op, dry, actor);
		rb_quarantined_free(v, n);
	}
	for (int a = 0; a < nids; a++) {
		struct rb_qfilter g = *f;
		g.id = atoll(ids[a]);
		if (rb_mbstate_quarantine_list(s, &g, &v, &n) != 0) {
			rb_err("quarantine: %s", rb_store_error(s));
			bad = 1;
			break;
		}
		if (n == 0) {
			rb_err("#%s: no such quarantine record%s", ids[a],
			       f->account || f->older_than_days >= 0
				   ? " (of the --account / --older-than given)"
				   : "");
			bad = 1;
		}
		for (size_t i = 0; i < n; i++)
			bad |= one(s, cf, &k, &v[i], op, dry, actor);
		rb_quarantined_free(v, n);
	}
	conn_close(&k);
	return bad ? RB_EXIT_ERROR : RB_EXIT_OK;
}

static int
is_id(const char *s)
{
	if (*s == '\0' || strlen(s) > 18)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int
cmd_quarantine(int argc, char **argv)
{
	enum { O_ALL = 0x200, O_OLDER, O_DRY, O_JSON, O_ACCOUNT, O_STATE };
	static const struct option lo[] = {
	    RB_CLI_OPTIONS,
	    {"account", required_argument, NULL, O_ACCOUNT},
	    {"state", required_argument, NULL, O_STATE},
	    {"all", no_argument, NULL, O_ALL},
	    {"older-than", required_argument, NULL, O_OLDER},
	    {"dry-run", no_argument, NULL, O_DRY},
	    {"json", no_argument, NULL, O_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0}};
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? RB_EXIT_USAGE : RB_EXIT_OK;
	}
	const char *sub = argv[1];
	enum op op = OP_RETRY;
	int list = !strcmp(sub, "list");
	if (!strcmp(sub, "drop"))
		op = OP_DROP;
	else if (!list && strcmp(sub, "retry") != 0) {
		rb_err("quarantine: unknown subcommand '%s'", sub);
		usage(stderr);
		return RB_EXIT_USAGE;
	}
	struct rb_cli cli = {0};
	struct rb_qfilter f = {.older_than_days = -1};
	int all = 0, dry = 0, json = 0, c;
	optind = 1;
	while ((c = rb_cli_getopt(&cli, argc - 1, argv + 1, "h", lo)) != -1) {
		switch (c) {
		case O_ACCOUNT:
			f.account = optarg;
			break;
		case O_STATE:
			if (strcmp(optarg, "quarantined") &&
			    strcmp(optarg, "retried") &&
			    strcmp(optarg, "dropped")) {
				rb_err("--state must be quarantined, retried "
				       "or dropped");
				return RB_EXIT_USAGE;
			}
			f.state = optarg;
			break;
		case O_ALL:
			all = 1;
			break;
		case O_OLDER: {
			char *e;
			long d = strtol(optarg, &e, 10);
			if (*optarg == '\0' || *e || d < 0 || d > 100000) {
				rb_err("--older-than wants a number of days");
				return RB_EXIT_USAGE;
			}
			f.older_than_days = (int)d;
			break;
		}
		case O_DRY:
			dry = 1;
			break;
		case O_JSON:
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return RB_EXIT_OK;
		default:
			usage(stderr);
			return RB_EXIT_USAGE;
		}
	}
	char **ids = argv + 1 + optind;
	int nids = argc - 1 - optind;
	for (int i = 0; i < nids; i++)
		if (!is_id(ids[i])) {
			rb_err("quarantine %s: '%s' is not a record id (see "
			       "rebound quarantine list)",
			       sub, ids[i]);
			return RB_EXIT_USAGE;
		}
	if (list && (nids || all || dry || f.older_than_days >= 0)) {
		rb_err("quarantine list takes --account, --state and --json");
		return RB_EXIT_USAGE;
	}
	if (!list && (json || f.state)) {
		rb_err("quarantine %s: --json and --state are for list", sub);
		return RB_EXIT_USAGE;
	}
	if (!list && (nids > 0) == all) {
		rb_err("quarantine %s: give record ids or --all", sub);
		return RB_EXIT_USAGE;
	}
	if (op == OP_RETRY && f.older_than_days >= 0) {
		rb_err("quarantine retry: --older-than is for drop");
		return RB_EXIT_USAGE;
	}
	bool failed;
	const struct rb_config *cf = rb_cli_config(&cli, &failed);
	if (failed)
		return RB_EXIT_USAGE;
	if (!list && !dry && (cf == NULL || cf->nmb == 0)) {
		rb_err("quarantine %s: needs the configuration of the "
		       "mailboxes (--config FILE or $REBOUND_CONFIG)",
		       sub);
		return RB_EXIT_USAGE;
	}
	struct rb_store *s = rb_cli_open(&cli, true);
	if (s == NULL)
		return RB_EXIT_USAGE;
	int rc = list ? do_list(s, &f, json)
		      : do_change(s, cf, op, ids, nids, &f, dry);
	rb_store_close(s);
	return rc;
}
