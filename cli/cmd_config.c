/*
 * rebound config check [--config FILE]
 * Loads the configuration (default $REBOUND_CONFIG, else
 * /etc/rebound/rebound.conf), prints the effective settings with secrets
 * masked, and exits 1 with "FILE:LINE: message" on the first error.
 * --connect also tests what `rebound run` needs: the database reachable
 * and its schema migrated, and for every mailbox the login (TLS verified)
 * and each folder; it prints what it finds and exits 1 when any fails.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "store/store.h"
#include "core/config.h"
#include "ingest/imap.h"

static int
connect_check(const struct rb_mailbox_conf *m)
{
	char *err = NULL;
	char *secret = rb_config_secret(m, &err);
	if (secret == NULL) {
		printf("mailbox %s: FAILED: %s\n", m->name, err);
		free(err);
		return 1;
	}
	struct rb_imap *c = NULL;
	int r = rb_imap_connect(m, secret, &c);
	explicit_bzero(secret, strlen(secret));
	free(secret);
	if (r != RB_IMAP_OK) {
		printf("mailbox %s: FAILED: %s\n", m->name, rb_imap_error(c));
		rb_imap_close(c);
		return 1;
	}
	printf("mailbox %s: logged in to %s port %d (%s%s), IDLE %s\n",
	       m->name, m->host, m->port, rb_tls_mode_name(m->tls),
	       m->tls == RB_TLS_NONE ? "" : ", certificate verified",
	       rb_imap_has_idle(c) ? "yes" : "no");
	int bad = 0;
	for (size_t i = 0; i < m->nfolders; i++) {
		uint32_t uv, un;
		if (rb_imap_select(c, m->folders[i], &uv, &un) != RB_IMAP_OK) {
			printf("  folder %s: FAILED: %s\n", m->folders[i],
			       rb_imap_error(c));
			bad = 1;
			continue;
		}
		printf("  folder %s: UIDVALIDITY %u, UIDNEXT %u\n",
		       m->folders[i], uv, un);
	}
	rb_imap_close(c);
	return bad;
}

/* The database run would use: reachable, and migrated. */
static int
db_check(const struct rb_config *cf)
{
	char err[512];
	char *shown = rb_store_conninfo_shown(cf->db);
	struct rb_store *s = rb_store_open(cf->db, err, sizeof err);
	int rc = 0;
	if (s == NULL) {
		printf("database %s: FAILED: %s\n", shown, err);
		rc = 1;
	} else if (rb_store_check_schema(s) != 0) {
		printf("database %s: FAILED: %s\n", shown, rb_store_error(s));
		rc = 1;
	} else {
		printf("database %s: connected, schema migrated\n", shown);
	}
	if (s)
		rb_store_close(s);
	free(shown);
	return rc;
}

int
cmd_config(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"connect", no_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = rb_config_default_path();
	int c, conn = 0;
	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'C':
			conn = 1;
			break;
		case 'c':
			path = optarg;
			break;
		case 'h':
			puts("usage: rebound config check [--config FILE] [--connect]");
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc || strcmp(argv[optind], "check") != 0) {
		fputs("usage: rebound config check [--config FILE] [--connect]\n", stderr);
		return 2;
	}
	struct rb_config cf;
	char *err = NULL;
	if (rb_config_load(path, &cf, &err) < 0) {
		fprintf(stderr, "rebound: config: %s\n", err);
		free(err);
		return 2;	/* a configuration error, as for run */
	}
	char *db = rb_store_conninfo_shown(cf.db);
	rb_config_print(&cf, db, stdout);
	free(db);
	if (cf.nmb == 0)
		fprintf(stderr, "rebound: config: warning: no [mailbox] "
				"section: `rebound run` has nothing to do\n");
	int rc = 0;
	if (conn) {
		putchar('\n');
		rc |= db_check(&cf);
		for (size_t i = 0; i < cf.nmb; i++)
			rc |= connect_check(&cf.mb[i]);
	}
	rb_config_free(&cf);
	return rc;
}
