#include "daemon/metrics.h"

#include <errno.h>
#include <sys/stat.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/event.h"
#include "lib/file.h"
#include "lib/log.h"

/* Each mailbox worker writes its own file: x.prom -> x.NAME.prom. */
void
metrics_path(const struct rb_config *cf, const struct rb_mailbox_conf *m,
	     char *path, size_t cap)
{
	size_t l = strlen(cf->metrics_file);
	if (l > 5 && !strcmp(cf->metrics_file + l - 5, ".prom"))
		snprintf(path, cap, "%.*s.%s.prom", (int)(l - 5),
			 cf->metrics_file, m->name);
	else
		snprintf(path, cap, "%s.%s", cf->metrics_file, m->name);
}

void
metrics_write(const struct rb_config *cf, const struct rb_mailbox_conf *m,
	      const struct metrics *x)
{
	if (cf->metrics_file == NULL)
		return;
	char path[4096], tmp[4200];
	metrics_path(cf, m, path, sizeof path);
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	if (f == NULL) {
		rb_warn("cannot write metrics file %s: %s", tmp,
			strerror(errno));
		return;
	}
	/* counts, no secrets: readable by the collector (node-exporter runs
	 * as another user), whatever the unit's UMask=0027 */
	(void)fchmod(fileno(f), 0644);
	const char *mb = m->name;
#define C(name, help, val)                                                     \
	fprintf(f, "# HELP rebound_" name " " help "\n# TYPE rebound_" name    \
		   " counter\nrebound_" name "{mailbox=\"%s\"} %llu\n",        \
		mb, (unsigned long long)(val))
	C("mail_fetched_total", "Mails fetched from the server.", x->fetched);
	C("messages_stored_total", "New messages stored.", x->messages_new);
	C("messages_duplicate_total", "Messages already stored (replays).",
	  x->messages_dup);
	C("suppressions_added_total", "New suppressions.", x->supp_new);
	C("quarantined_total", "Mails moved to quarantine.", x->quarantined);
	C("parser_failures_total", "Parser crashes and timeouts.",
	  x->parser_failures);
	C("batches_total", "Committed batches.", x->batches);
#undef C
	fprintf(f, "# HELP rebound_events_total New events by kind.\n"
		   "# TYPE rebound_events_total counter\n");
	for (int k = 0; k <= RB_KIND_LAST; k++)
		fprintf(f, "rebound_events_total{mailbox=\"%s\",kind=\"%s\"} %llu\n",
			mb, rb_kind_name((enum rb_kind)k), x->events[k]);
	fprintf(f, "# HELP rebound_errors_total Errors by subsystem.\n"
		   "# TYPE rebound_errors_total counter\n"
		   "rebound_errors_total{mailbox=\"%s\",type=\"imap\"} %llu\n"
		   "rebound_errors_total{mailbox=\"%s\",type=\"db\"} %llu\n",
		mb, x->imap_errors, mb, x->db_errors);
	fprintf(f,
		"# HELP rebound_batch_seconds Time per committed batch.\n"
		"# TYPE rebound_batch_seconds summary\n"
		"rebound_batch_seconds_sum{mailbox=\"%s\"} %.6f\n"
		"rebound_batch_seconds_count{mailbox=\"%s\"} %llu\n"
		"# HELP rebound_last_success_timestamp_seconds Last "
		"successful poll.\n"
		"# TYPE rebound_last_success_timestamp_seconds gauge\n"
		"rebound_last_success_timestamp_seconds{mailbox=\"%s\"} %lld\n",
		mb, x->batch_seconds_sum, mb, x->batches, mb,
		(long long)x->last_success);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		rb_warn("cannot write metrics file %s", path);
		unlink(tmp);
	}
}

int
metrics_listen_open(const char *spec)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if (colon == NULL || (size_t)(colon - spec) >= sizeof host) {
		rb_err("metrics_listen: expected HOST:PORT, got %s", spec);
		return -1;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (!rb_host_is_loopback(host)) {
		rb_err("metrics_listen: only a loopback address is allowed, "
			"not %s",
			host);
		return -1;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE};
	struct addrinfo *res = NULL;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || res == NULL) {
		rb_err("metrics_listen: cannot resolve %s", spec);
		return -1;
	}
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC |
					    SOCK_NONBLOCK,
			0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, 8) < 0) {
		rb_err("metrics_listen: cannot listen on %s: %s", spec,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Answer one scrape: the workers' files, concatenated. */
void
metrics_serve(int lfd, const struct rb_config *cf)
{
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	struct timeval tv = {.tv_sec = 2};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	char req[2048];
	ssize_t n = recv(c, req, sizeof req - 1, 0);	/* one read: GET line */
	(void)n;
	static const char hdr[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
				  "version=0.0.4\r\nConnection: close\r\n\r\n";
	if (send(c, hdr, sizeof hdr - 1, MSG_NOSIGNAL) > 0) {
		for (size_t i = 0; i < cf->nmb; i++) {
			char path[4096];
			metrics_path(cf, &cf->mb[i], path, sizeof path);
			size_t len;
			char *t = rb_read_file(path, &len);
			if (t && send(c, t, len, MSG_NOSIGNAL) < 0) {
				free(t);
				break;
			}
			free(t);
		}
	}
	close(c);
}
