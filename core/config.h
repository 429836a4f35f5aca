/*
 * config: the daemon's configuration file.
 *
 * Format: `key = value` lines, `#` comments, one `[mailbox NAME]`
 * section per mailbox, and at most one `[policy]` section with the keys
 * of the suppression policy (docs/policy.md); keys before the first
 * section are global.  Every
 * key is listed in a table in config.c (name, type, default, where it may
 * appear); an unknown key, a bad value or an unreadable password file is
 * an error that names the file and line.
 *
 * Secrets never live in the file itself: a mailbox password comes from
 * password_file, from the environment variable named by password_env, or
 * from REBOUND_PASSWORD_<NAME> (NAME upper-cased, other characters as
 * '_'), which overrides both; an XOAUTH2 token comes from the output of
 * xoauth2_command.  The database connection string may come from
 * REBOUND_DB, which overrides `db`.
 *
 * Memory: rb_config_load() fills a struct the caller releases with
 * rb_config_free(); error strings are malloc'ed and the caller frees them.
 */
#ifndef RB_CONFIG_H
#define RB_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#define RB_CONFIG_DEFAULT_PATH "/etc/rebound/rebound.conf"

struct rb_policy;

/* rb_config_load_flags: commands other than `run` and `config check`
 * need only db and the policy: they skip reading mailbox secrets and
 * ca_file (which the user may not be allowed to read). */
#define RB_CONFIG_NO_SECRETS 1u

enum rb_tls_mode { RB_TLS_IMPLICIT, RB_TLS_STARTTLS, RB_TLS_NONE };
enum rb_done_action { RB_DONE_MOVE, RB_DONE_FLAG, RB_DONE_DELETE };
enum rb_unknown_action {
	RB_UNKNOWN_LEAVE,	/* processed like any mail (moved/flagged) */
	RB_UNKNOWN_MOVE,	/* moved to unknown_folder */
	RB_UNKNOWN_QUARANTINE,	/* moved to the quarantine folder */
};

struct rb_mailbox_conf {
	char *name;
	int line;		/* line of the [mailbox] header */
	char *host;
	int port;		/* 0: 993 for implicit TLS, else 143 */
	enum rb_tls_mode tls;
	int allow_plaintext;
	char *ca_file;		/* NULL: the system trust store */
	char *user;
	char *password_file;
	char *password_env;
	char *xoauth2_command;
	char **folders;		/* NULL-terminated; default {"INBOX"} */
	size_t nfolders;
	enum rb_done_action on_processed;
	char *processed_folder;	/* for move */
	char *processed_flag;	/* for flag: an IMAP keyword or \Seen */
	char *quarantine_folder;
	enum rb_unknown_action unknown_action;
	char *unknown_folder;
	unsigned batch_size;
	unsigned poll_interval;	/* seconds (also the IDLE re-issue bound) */
	unsigned long long max_size;	/* bytes; of bigger mail only the
					 * first max_size are fetched */
	int idle;		/* use IDLE when the server offers it */
	unsigned timeout;	/* network timeout, seconds */
	char *tenant;		/* the tenant its reports belong to when
				 * nothing in a mail says (core/tenant.h) */
	int unsubscribe;	/* an unsubscribe mailbox: a mail without a
				 * valid token unsubscribes its From
				 * (core/unsubscribe.h) */
};

struct rb_config {
	char *path;
	char *db;		/* libpq conninfo; NULL: built-in cluster */
	char *log_level;	/* debug|info|warning|error */
	int log_json;
	char *metrics_listen;	/* "127.0.0.1:9465" or NULL */
	char *metrics_file;	/* textfile-collector file or NULL */
	unsigned lease_seconds;	/* mailbox lease expiry */
	unsigned parse_timeout;	/* seconds per mail in the parser child */
	unsigned max_attempts;	/* parser failures before quarantine */
	unsigned shutdown_grace;	/* seconds a worker may take to stop */
	char *instance;		/* lease holder name; default host:pid */
	/* the secret file of unsubscribe tokens (core/unsubscribe.h),
	 * NULL: none; the address of the mailto: unsubscribe, NULL: none */
	char *unsubscribe_secret_file;
	char *unsubscribe_address;
	/* the secret itself, read by rb_config_load (not with
	 * RB_CONFIG_NO_SECRETS); wiped by rb_config_free */
	char *unsubscribe_secret;
	size_t unsubscribe_secret_len;
	struct rb_mailbox_conf *mb;
	size_t nmb;
	/* policy_file = PATH: the policy file layer instead of
	 * /etc/rebound/policy.conf (a missing one is then an error) */
	char *policy_file;
	int policy_file_line;
	struct rb_config_kv {	/* the [policy] section, in file order */
		char *key, *value;
		int line;
	} *policy_kv;
	size_t npolicy_kv;
	int policy_line;	/* line of the [policy] header; 0: none */
	/* the effective policy: every layer up to $REBOUND_POLICY (the
	 * command line's --policy goes on top: rb_config_policy) */
	struct rb_policy *policy;
};

/* 0 on success; -1 with *err_r ("FILE:LINE: message"). */
int rb_config_load(const char *path, struct rb_config *c, char **err_r);
int rb_config_load_flags(const char *path, struct rb_config *c,
			 unsigned flags, char **err_r);
/* Parse from memory (tests); name is used in messages. */
int rb_config_parse(const char *text, const char *name, struct rb_config *c,
		    char **err_r);
void rb_config_free(struct rb_config *c);

/*
 * The effective suppression policy, layer over layer (later wins, key by
 * key): built-in defaults; c->policy_file, else /etc/rebound/policy.conf
 * when it exists; c's [policy] section; $REBOUND_POLICY; cli_path
 * (--policy).  c may be NULL (no main configuration) and cli_path NULL.
 * Returns 0, or -1 with "FILE:LINE: what" in err.
 */
int rb_config_policy(const struct rb_config *c, const char *cli_path,
		     struct rb_policy *p, char *err, size_t errlen);

/*
 * The secret for a mailbox: its password, or with xoauth2_command the
 * token printed by the command.  Returns a malloc'ed string (caller wipes
 * and frees it) or NULL with *err_r.
 */
char *rb_config_secret(const struct rb_mailbox_conf *m, char **err_r);
/* The bytes of a secret file (what names it in messages: "password_file",
 * "--secret-file"), refused when other users may read it or anyone but
 * its owner and group may write it; *len gets the length.  Malloc'ed
 * (caller wipes and frees) or NULL with *err_r. */
char *rb_config_secret_file(const char *path, const char *what, size_t *len,
			    char **err_r);

/* Effective settings, secrets masked; db is the database setting as it
 * may be shown (rb_store_conninfo_shown: libpq parses it, core does not
 * link the SQL layer). */
void rb_config_print(const struct rb_config *c, const char *db, FILE *f);

/* 1 when host is a loopback name or address. */
int rb_host_is_loopback(const char *host);

const char *rb_tls_mode_name(enum rb_tls_mode m);

/* $REBOUND_CONFIG, else RB_CONFIG_DEFAULT_PATH. */
const char *rb_config_default_path(void);

/*
 * The keys the file may contain, from the same table the parser uses (the
 * manual page rebound.conf(5) is written from it).  For i below the
 * number of keys fills *k and returns 0; past the end returns -1.
 */
struct rb_config_key {
	const char *name;
	int mailbox;			/* 1: a [mailbox] key; 0: global */
	const char *type;		/* "text", "number", "yes|no", "size",
					 * "list" or "choice" */
	const char *const *values;	/* choice: the names, NULL-ended */
	unsigned long long min, max;	/* number, size: bounds */
};
int rb_config_key(size_t i, struct rb_config_key *k);

#endif
