/* man: rebound(1) and rebound.conf(5) from the program's own tables. */
#include "cli/man.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "core/policy.h"
#include "core/version.h"

/* text as roff: backslashes, hyphens, and a line that starts with . or ' */
static void
roff(FILE *f, const char *s)
{
	int bol = 1;
	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		bol = *s == '\n';
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

/* What run(2, {name, "--help"}) prints on standard output, or NULL. */
static char *
help_text(const struct rb_man_cmd *c)
{
	int fd[2];
	if (pipe(fd) != 0)
		return NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return NULL;
	}
	if (pid == 0) {
		close(fd[0]);
		if (dup2(fd[1], STDOUT_FILENO) < 0)
			_exit(1);
		close(fd[1]);
		char *argv[] = {(char *)c->name, (char *)"--help", NULL};
		int rc = c->run(2, argv);
		fflush(stdout);
		_exit(rc);
	}
	close(fd[1]);
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;
	while (buf && (n = read(fd[0], buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 512) {
			char *nb = realloc(buf, cap *= 2);
			if (nb == NULL) {
				free(buf);
				buf = NULL;
			} else {
				buf = nb;
			}
		}
	}
	close(fd[0]);
	int st;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0 || buf == NULL || len == 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

int
rb_man_rebound(FILE *f, const struct rb_man_cmd *cmds)
{
	fprintf(f, ".TH REBOUND 1 \"\" \"rebound %s\" \"User Commands\"\n",
		RB_VERSION);
	fputs(".SH NAME\nrebound \\- bounce and feedback\\-loop processor\n"
	      ".SH SYNOPSIS\n.B rebound\n.I COMMAND\n"
	      "[\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n.br\n"
	      ".B rebound \\-\\-help\n.br\n.B rebound \\-\\-version\n"
	      ".SH DESCRIPTION\n"
	      "rebound reads the mail that comes back to a sender (DSN "
	      "bounces, non\\-standard MTA bounces, ARF complaint reports, "
	      "auto\\-replies), turns each into structured events and keeps "
	      "a PostgreSQL suppression list that senders consult before "
	      "sending.\n.PP\n"
	      "The daemon, \\fBrebound run\\fR, reads the IMAP mailboxes "
	      "of its configuration (\\fBrebound.conf\\fR(5)); the other "
	      "commands parse mail, manage the suppression list and write "
	      "reports.\n"
	      ".SH COMMANDS\n",
	      f);
	for (const struct rb_man_cmd *c = cmds; c->name; c++) {
		fprintf(f, ".\\\" command: %s\n.SS %s\n.B rebound %s\n.I \"",
			c->name, c->name, c->name);
		roff(f, c->args);
		fputs("\"\n.br\n", f);
		roff(f, c->summary);
		fputs(".\n", f);
		char *h = help_text(c);
		if (h == NULL) {
			fprintf(stderr, "rebound: man: `rebound %s --help` "
					"failed\n", c->name);
			return 1;
		}
		fputs(".PP\n.nf\n", f);
		roff(f, h);
		if (h[strlen(h) - 1] != '\n')
			fputc('\n', f);
		fputs(".fi\n", f);
		free(h);
	}
	fputs(".SH DATABASE\n"
	      "Commands that use the database take \\fB\\-\\-db\\fR "
	      "\\fICONNINFO\\fR (a libpq connection string or URI) and "
	      "\\fB\\-\\-config\\fR \\fIFILE\\fR (whose \\fBdb\\fR key and "
	      "[policy] section apply).  With neither, nor "
	      "\\fBREBOUND_DB\\fR, rebound runs a private PostgreSQL cluster "
	      "of its own under its state directory (\\fBrebound db "
	      "start\\fR|\\fBstop\\fR|\\fBstatus\\fR).\n"
	      ".SH ENVIRONMENT\n"
	      ".TP\n.B REBOUND_CONFIG\nthe configuration file, instead of "
	      "/etc/rebound/rebound.conf.\n"
	      ".TP\n.B REBOUND_DB\nthe database connection string; "
	      "overrides \\fBdb\\fR of the configuration.\n"
	      ".TP\n.B REBOUND_POLICY\na suppression policy file, on top of "
	      "the configuration's.\n"
	      ".TP\n.BI REBOUND_PASSWORD_ NAME\nthe password of mailbox "
	      "\\fINAME\\fR (upper\\-cased, other characters as _); overrides "
	      "password_file and password_env.\n"
	      ".TP\n.B REBOUND_STATE_DIR\nthe state directory of the built\\-in "
	      "database; default /var/lib/rebound as root, else "
	      "$XDG_STATE_HOME/rebound or ~/.local/state/rebound.\n"
	      ".TP\n.B REBOUND_ACTOR\nwho made a manual change (suppress, "
	      "unsuppress, import), for the history; default the user name.\n"
	      ".TP\n.B PGPASSWORD\nas for every libpq program (or "
	      "~/.pgpass); never put a password into \\fBdb\\fR.\n"
	      ".SH FILES\n"
	      ".TP\n.I /etc/rebound/rebound.conf\nthe configuration "
	      "(\\fBrebound.conf\\fR(5)); an annotated example is "
	      "/etc/rebound/rebound.conf.example.\n"
	      ".TP\n.I /etc/rebound/policy.conf\nthe suppression policy "
	      "file, when it exists.\n"
	      ".TP\n.I /var/lib/rebound\nthe state directory of the "
	      "systemd unit; the built\\-in database lives in "
	      "/var/lib/rebound/pg.\n"
	      ".SH EXIT STATUS\n"
	      "0 on success; 1 on an error; 2 on a usage error; 3 when "
	      "\\fBquery\\fR finds a suppressed address or a report's "
	      "\\fB\\-\\-fail\\-above\\fR rate is exceeded.\n"
	      ".SH SEE ALSO\n"
	      "\\fBrebound.conf\\fR(5), \\fBsystemctl\\fR(1); "
	      "README.md and docs/ in /usr/share/doc/rebound (or the source "
	      "tree).\n",
	      f);
	return ferror(f) ? 1 : 0;
}

/* The description of each configuration key. */
static const struct {
	const char *name, *text;
} key_docs[] = {
    {"db", "The database: a libpq connection string or URI.  Unset: the "
	   "built-in private cluster under the state directory.  "
	   "$REBOUND_DB overrides it.  Put the password in ~/.pgpass or "
	   "$PGPASSWORD, never here."},
    {"log_level", "The least severe messages logged."},
    {"log_format", "text: one line per message (the journal adds the "
		   "time); json: one JSON object per line."},
    {"metrics_listen", "ADDRESS:PORT of a Prometheus text-format metrics "
		       "endpoint; a loopback address only.  Unset: none."},
    {"metrics_file", "A file rewritten with the same metrics after each "
		     "pass (for node_exporter's textfile collector).  Unset: "
		     "none."},
    {"lease_seconds", "A mailbox is leased by one instance at a time; "
		      "the lease expires this many seconds after its holder "
		      "stops renewing it, and another instance takes over."},
    {"parse_timeout", "Seconds a parser child may spend on one mail "
		      "before it is killed (the mail counts a failed "
		      "attempt)."},
    {"max_attempts", "Parser failures of one mail before it is "
		     "quarantined."},
    {"shutdown_grace", "Seconds a worker has, after SIGTERM, to finish "
		       "the batch in hand; then the work is cancelled (the "
		       "parser child killed, the connections closed, nothing "
		       "uncommitted acknowledged: that mail is read again at "
		       "the next start).  Default: 30, under systemd's 90 s "
		       "stop timeout."},
    {"instance", "The name this process holds leases under.  Default: "
		 "host:pid."},
    {"policy_file", "A suppression policy file: the layer under the "
		    "[policy] section.  Default: /etc/rebound/policy.conf when it "
		    "exists; a policy_file that cannot be read is an error."},
    {"unsubscribe_secret_file", "The secret that signs unsubscribe tokens "
				"(`rebound unsubscribe-link`): the daemon "
				"checks the token of an unsubscribe mail "
				"with it.  Readable by the rebound group "
				"only.  Unset: tokens in mail are refused "
				"(docs/tenants.md)."},
    {"unsubscribe_address", "The mailto: unsubscribe address that "
			    "`rebound unsubscribe-link` writes, "
			    "LOCAL@DOMAIN with LOCAL at most 31 octets; each "
			    "link is LOCAL+TOKEN@DOMAIN, TOKEN the short "
			    "token (32 characters, an id of a database row), "
			    "also in the subject.  Unset: no mailto: link."},
    {"host", "The IMAP server.  Required."},
    {"port", "The IMAP port.  Default: 993 with tls = implicit, else "
	     "143."},
    {"tls", "implicit: TLS from the first byte; starttls: STARTTLS "
	    "before login; none: plain text, allowed only with "
	    "allow_plaintext = yes to a loopback host.  Certificates are "
	    "always verified."},
    {"allow_plaintext", "yes allows tls = none (to a loopback host "
			"only)."},
    {"ca_file", "A PEM file of the certificate authorities to trust "
		"instead of the system trust store."},
    {"user", "The login name.  Required."},
    {"password_file", "A file whose first line is the password (readable "
		      "by the rebound group only)."},
    {"password_env", "The environment variable that holds the "
		     "password."},
    {"xoauth2_command", "A command that prints an OAuth2 access token "
			"(Gmail, Microsoft 365); rebound logs in with "
			"XOAUTH2 instead of a password."},
    {"folders", "The folders read, comma-separated."},
    {"on_processed", "What happens to a mail once its events are "
		     "committed: move it to processed_folder, flag it with "
		     "processed_flag, or delete it."},
    {"processed_folder", "Where on_processed = move puts processed "
			 "mail."},
    {"processed_flag", "The IMAP keyword (or \\Seen) that on_processed "
		       "= flag sets; flagged mail is not read again."},
    {"quarantine_folder", "Where mail goes that could not be processed "
			  "(parser failures beyond max_attempts)."},
    {"unknown_action", "Mail that is not a bounce, a complaint, an "
		       "auto-reply or a delivery report: leave it in the "
		       "folder (the daemon passes over it), move it to "
		       "unknown_folder, or quarantine it."},
    {"unknown_folder", "Where unknown_action = move puts such mail."},
    {"tenant", "The tenant this mailbox's reports belong to, when nothing "
	       "in the mail names one (the last method of the policy's "
	       "tenant.from; docs/tenants.md).  Unset: none."},
    {"unsubscribe", "yes: an unsubscribe mailbox (the one the mailto: "
		    "unsubscribe address delivers to).  A mail in it with a "
		    "valid token unsubscribes the token's address; one "
		    "without (or with a forged or expired token) unsubscribes "
		    "its From, in this mailbox's tenant.  Auto-replies, "
		    "bounces and complaints are not requests.  no: only a "
		    "valid token unsubscribes.  A mail stored as an "
		    "unsubscribe is filed as on_processed says, a refused "
		    "request as unknown_action says (docs/tenants.md)."},
    {"batch_size", "Mails fetched, stored and committed together."},
    {"poll_interval", "Seconds between two looks at a folder when IDLE "
		      "is not used; also how often an IDLE is renewed."},
    {"max_size", "Of mail larger than this only the first max_size bytes "
		 "are fetched and parsed (a bounce's report parts come "
		 "before the attached original, so its events are stored); "
		 "its raw bytes are not kept.  K, M and G multiply by "
		 "1024."},
    {"idle", "Use IMAP IDLE when the server offers it."},
    {"timeout", "Network timeout, seconds."},
};

static const char *
key_doc(const char *name)
{
	for (size_t i = 0; i < sizeof key_docs / sizeof key_docs[0]; i++)
		if (strcmp(key_docs[i].name, name) == 0)
			return key_docs[i].text;
	return NULL;
}

/* A default as `config check` prints it (global or [mailbox]), or NULL. */
static const char *
dflt_get(const char *text, int mailbox, const char *key, char *out,
	 size_t n)
{
	const char *sec = strstr(text, "\n[mailbox ");
	const char *from = mailbox ? sec : text;
	const char *to = mailbox ? NULL : sec;
	size_t kl = strlen(key);
	for (const char *p = from; p && *p && (to == NULL || p < to);
	     p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, key, kl) == 0 && strncmp(p + kl, " = ", 3) == 0) {
			const char *v = p + kl + 3;
			size_t l = strcspn(v, "\n");
			const char *hash = memchr(v, '#', l);
			if (hash)
				l = (size_t)(hash - v);
			while (l > 0 && v[l - 1] == ' ')
				l--;
			if (l == 0 || l >= n)
				return NULL;
			memcpy(out, v, l);
			out[l] = '\0';
			return out;
		}
	}
	return NULL;
}

static void
conf_key(FILE *f, const struct rb_config_key *k, const char *defaults)
{
	fputs(".TP\n.B ", f);
	roff(f, k->name);
	fputs("\n", f);
	fputs("(", f);
	if (k->values) {
		for (int i = 0; k->values[i]; i++) {
			fputs(i ? " | " : "", f);
			fprintf(f, "\\fB%s\\fR", k->values[i]);
		}
	} else if (strcmp(k->type, "number") == 0) {
		fprintf(f, "a number, %llu to %llu", k->min, k->max);
	} else if (strcmp(k->type, "size") == 0) {
		fprintf(f, "a size in bytes, %llu to %llu", k->min, k->max);
	} else if (strcmp(k->type, "yes|no") == 0) {
		fputs("\\fByes\\fR | \\fBno\\fR", f);
	} else if (strcmp(k->type, "list") == 0) {
		fputs("a list", f);
	} else {
		fputs("text", f);
	}
	fputs(")\n.br\n", f);
	const char *doc = key_doc(k->name);
	roff(f, doc);
	char d[256];
	/* keys the minimal configuration sets, or whose text says it */
	if (strstr(doc, "Default:") == NULL && strstr(doc, "Unset:") == NULL &&
	    strstr(doc, "Required") == NULL &&
	    strcmp(k->name, "xoauth2_command") != 0 &&
	    dflt_get(defaults, k->mailbox, k->name, d, sizeof d)) {
		fputs("  Default: ", f);
		roff(f, d);
		fputs(".", f);
	}
	fputs("\n", f);
}

int
rb_man_conf(FILE *f)
{
	struct rb_config_key k;
	int bad = 0;
	for (size_t i = 0; rb_config_key(i, &k) == 0; i++)
		if (key_doc(k.name) == NULL) {
			fprintf(stderr, "rebound: man: configuration key %s "
					"has no description (cli/man.c)\n",
				k.name);
			bad = 1;
		}
	for (size_t j = 0; j < sizeof key_docs / sizeof key_docs[0]; j++) {
		size_t i = 0;
		while (rb_config_key(i, &k) == 0 &&
		       strcmp(k.name, key_docs[j].name) != 0)
			i++;
		if (rb_config_key(i, &k) != 0) {
			fprintf(stderr, "rebound: man: %s is described but is "
					"no configuration key\n",
				key_docs[j].name);
			bad = 1;
		}
	}
	if (bad)
		return 1;

	/* the defaults, as the parser fills them in */
	struct rb_config c;
	char *err = NULL;
	if (rb_config_parse("[mailbox NAME]\nhost = imap.example.net\n"
			    "user = u\nxoauth2_command = true\n",
			    "defaults", &c, &err) != 0) {
		fprintf(stderr, "rebound: man: %s\n", err);
		free(err);
		return 1;
	}
	char *defaults = NULL, *policy = NULL;
	size_t dl = 0, pl = 0;
	FILE *m = open_memstream(&defaults, &dl);
	if (m == NULL)
		abort();
	rb_config_print(&c, "(built-in private cluster)", m);
	fclose(m);
	rb_config_free(&c);
	struct rb_policy *p = calloc(1, sizeof *p);
	if (p == NULL)
		abort();
	rb_policy_default(p);
	m = open_memstream(&policy, &pl);
	if (m == NULL)
		abort();
	rb_policy_print(p, m, false);
	fclose(m);
	free(p);

	fprintf(f, ".TH REBOUND.CONF 5 \"\" \"rebound %s\" \"File Formats\"\n",
		RB_VERSION);
	fputs(".SH NAME\nrebound.conf \\- configuration of rebound\n"
	      ".SH SYNOPSIS\n/etc/rebound/rebound.conf\n"
	      ".SH DESCRIPTION\n"
	      "The configuration of \\fBrebound run\\fR (the IMAP daemon), "
	      "and the database and suppression policy of every command.  "
	      "\\fB\\-\\-config\\fR \\fIFILE\\fR or $REBOUND_CONFIG choose "
	      "another file.  \\fBrebound config check\\fR prints the "
	      "effective settings; with \\fB\\-\\-connect\\fR it also logs in "
	      "to every mailbox.\n.PP\n"
	      "Lines are \\fIkey\\fR = \\fIvalue\\fR; a line starting with # "
	      "is a comment, and so is \" #\" after a value.  Global keys "
	      "come first, then one [mailbox \\fINAME\\fR] section per "
	      "mailbox to read, and at most one [policy] section.  An "
	      "unknown key or a bad value is an error that names the file "
	      "and line.\n"
	      ".SH GLOBAL KEYS\n",
	      f);
	for (size_t i = 0; rb_config_key(i, &k) == 0; i++)
		if (!k.mailbox)
			conf_key(f, &k, defaults);
	fputs(".SH MAILBOX KEYS\n"
	      "In a [mailbox \\fINAME\\fR] section; one section per mailbox.\n",
	      f);
	for (size_t i = 0; rb_config_key(i, &k) == 0; i++)
		if (k.mailbox)
			conf_key(f, &k, defaults);
	fputs(".SH SECRETS\n"
	      "A mailbox password never lives in this file: it comes from "
	      "\\fBpassword_file\\fR, from the environment variable named by "
	      "\\fBpassword_env\\fR, or from $REBOUND_PASSWORD_\\fINAME\\fR "
	      "(the mailbox name upper\\-cased, other characters as _), which "
	      "overrides both; with \\fBxoauth2_command\\fR, from the "
	      "command's output.\n"
	      ".SH POLICY KEYS\n"
	      "The [policy] section sets the suppression policy on top of "
	      "the built\\-in defaults and \\fBpolicy_file\\fR; "
	      "$REBOUND_POLICY and \\fB\\-\\-policy\\fR \\fIFILE\\fR go on "
	      "top of it.  \\fBreason.\\fR\\fIREASON\\fR and "
	      "\\fBfeedback.\\fR\\fITYPE\\fR give a bounce reason or "
	      "complaint feedback type a class: \\fBhard\\fR (suppress at "
	      "once), \\fBcomplaint\\fR (suppress at once), \\fBsoft\\fR "
	      "(suppress after \\fBsoft_threshold\\fR distinct days within "
	      "\\fBsoft_window\\fR, for \\fBsoft_expiry\\fR) or \\fBnone\\fR "
	      "(stored and reported, never suppresses).  Durations are "
	      "N with s, m, h, d or w, or \\fBnever\\fR.  "
	      "\\fBrebound policy show\\fR prints the effective policy and "
	      "where each value came from.  The built\\-in defaults:\n"
	      ".PP\n.RS\n.nf\n",
	      f);
	roff(f, policy);
	fputs(".fi\n.RE\n"
	      ".SH EXAMPLE\n.nf\n"
	      "db = host=db.example.net dbname=rebound user=rebound "
	      "sslmode=verify\\-full\n"
	      "log_format = json\n\n"
	      "[policy]\nsoft_window = 21d\n\n"
	      "[mailbox bounces]\nhost = imap.example.net\n"
	      "user = bounces@example.net\n"
	      "password_file = /etc/rebound/bounces.password\n"
	      "folders = INBOX, FBL\n"
	      ".fi\n"
	      ".SH FILES\n"
	      ".TP\n.I /etc/rebound/rebound.conf\n"
	      ".TP\n.I /etc/rebound/rebound.conf.example\n"
	      "every key, commented.\n"
	      ".TP\n.I /etc/rebound/policy.conf\n"
	      ".SH SEE ALSO\n\\fBrebound\\fR(1); docs/daemon.md and "
	      "docs/policy.md in /usr/share/doc/rebound.\n",
	      f);
	free(defaults);
	free(policy);
	return ferror(f) ? 1 : 0;
}
