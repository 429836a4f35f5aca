#include "imap.h"
#include "respscan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The transport under libetpan: a socket, plus a verified TLS session
 * once the handshake is done (NULL before STARTTLS or with tls = none). */
struct transport {
	int fd;
	int timeout_ms;		/* silence allowed on the socket */
	gnutls_session_t tls;
	gnutls_certificate_credentials_t cred;
	long long deadline;	/* of the command in progress (monotonic
				 * ms), 0 none */
	unsigned deadline_s;	/* its length, for the message */
	const char *fail;	/* why the stream is dead: once set, every
				 * read and write fails */
	char failbuf[300];
	struct rb_respscan scan;
};

struct rb_imap {
	mailimap *imap;
	struct transport *tr;	/* ours; the libetpan stream reads and
				 * writes through it */
	const struct rb_mailbox_conf *m;
	char delim;		/* hierarchy delimiter, 0 until known */
	int has_move, has_uidplus, has_idle;
	char **created;		/* folders known to exist */
	size_t ncreated;
	char err[512];
};

/*
 * What one command may cost (respscan.h).  A response line outside
 * literals: 4 MiB (a UID SEARCH answer, one number per mail, may have
 * 64 MiB: 6 million mails).  A literal: max_size, and never more than
 * the RFC822.SIZE announced for its mail.  All the bytes of one answer:
 * 16 MiB, and for a body FETCH the sizes it asked for (the caller's byte
 * budget) plus 1 KiB per mail.  The deadline of a command: three times
 * the configured timeout, plus one second per 64 KiB of bodies asked for
 * (or the IDLE time).
 */
#define LINE_MAX_BYTES (4u << 20)
#define SEARCH_LINE_MAX_BYTES (64u << 20)
#define CMD_MAX_BYTES (16u << 20)
#define FETCH_SLACK_BYTES (1u << 20)
#define PER_MAIL_BYTES 1024u
#define MIN_RATE_BYTES 65536u

static long long mono_ms(void);

/* Limits and deadline of the next command. */
static void
cmd_limits(struct rb_imap *c, unsigned extra_s, uint64_t line_max,
	   uint64_t bytes_max, const struct rb_respscan_size *ann, size_t n)
{
	struct transport *t = c->tr;
	if (t == NULL)
		return;
	t->deadline_s = 3 * c->m->timeout + extra_s;
	t->deadline = mono_ms() + (long long)t->deadline_s * 1000;
	rb_respscan_command(&t->scan, line_max, c->m->max_size, bytes_max,
			    ann, n);
}

static void
cmd_begin(struct rb_imap *c, unsigned extra_s, uint64_t extra_bytes)
{
	cmd_limits(c, extra_s, LINE_MAX_BYTES, CMD_MAX_BYTES + extra_bytes,
		   NULL, 0);
}

static int
seterr(struct rb_imap *c, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	return code;
}

const char *
rb_imap_error(const struct rb_imap *c)
{
	return c ? c->err : "no connection";
}

static int imap_fail(struct rb_imap *c, int r, const char *what);
static const char *lost_why(const struct rb_imap *c, int r);

/* The server's text for the last failed command, for messages. */
static const char *
server_text(struct rb_imap *c)
{
	if (c->imap && c->imap->imap_response && *c->imap->imap_response)
		return c->imap->imap_response;
	return "no response text";
}

/* ---- the libetpan stream driver over our transport ---- */

/*
 * libetpan's parser reads until it has what it expects: a read returning
 * 0 (end of stream) inside a literal made it loop forever.  So the
 * transport never returns 0: end of stream, a timeout, a passed command
 * deadline, a protocol limit (respscan) and every other hard error mark
 * the transport failed (t->fail, sticky) and return -1, which ends the
 * command with MAILIMAP_ERROR_STREAM.
 */

static void progress_none(void) {}
static void (*progress)(void) = progress_none;

void
rb_imap_progress_hook(void (*fn)(void))
{
	progress = fn ? fn : progress_none;
}

static long long
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ssize_t tr_failed(struct transport *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static ssize_t
tr_failed(struct transport *t, const char *fmt, ...)
{
	if (t->fail == NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(t->failbuf, sizeof t->failbuf, fmt, ap);
		va_end(ap);
		t->fail = t->failbuf;
	}
	errno = EIO;
	return -1;
}

/* Wait until fd is ready for events, at most the silence allowed and the
 * rest of the command's deadline: 0 ready, -1 failed (t->fail). */
static int
tr_wait(struct transport *t, short events)
{
	for (;;) {
		if (t->fail)
			return -1;
		int ms = t->timeout_ms;
		if (t->deadline) {
			long long left = t->deadline - mono_ms();
			if (left <= 0)
				return (int)tr_failed(
				    t, "no answer within the command's "
				       "deadline of %u s",
				    t->deadline_s);
			if (left < ms)
				ms = (int)left;
		}
		struct pollfd p = {.fd = t->fd, .events = events};
		int pr = poll(&p, 1, ms);
		if (pr > 0)
			return 0;
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return (int)tr_failed(t, "poll: %s", strerror(errno));
		if (t->deadline && mono_ms() >= t->deadline)
			continue;	/* says so above */
		return (int)tr_failed(t, "no data for %d s",
				      t->timeout_ms / 1000);
	}
}

/* The socket: every read waits with tr_wait first, so the command's
 * deadline holds even inside a TLS record trickled byte by byte. */
static ssize_t
sock_recv(struct transport *t, void *buf, size_t n)
{
	for (;;) {
		if (tr_wait(t, POLLIN) != 0)
			return -1;
		ssize_t r = recv(t->fd, buf, n, MSG_DONTWAIT);
		if (r > 0)
			return r;
		if (r == 0)
			return tr_failed(t, "connection closed by the server");
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		return tr_failed(t, "read: %s", strerror(errno));
	}
}

static ssize_t
sock_send(struct transport *t, const void *buf, size_t n)
{
	for (;;) {
		if (tr_wait(t, POLLOUT) != 0)
			return -1;
		ssize_t r = send(t->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r >= 0)
			return r;
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		return tr_failed(t, "write: %s", strerror(errno));
	}
}

/* GnuTLS's transport functions over the same socket. */
static ssize_t
tls_pull(gnutls_transport_ptr_t p, void *buf, size_t n)
{
	struct transport *t = p;
	ssize_t r = sock_recv(t, buf, n);
	if (r < 0 && t->fail && !strcmp(t->fail,
					"connection closed by the server"))
		return 0;	/* GnuTLS's end of stream */
	return r;
}

static ssize_t
tls_push(gnutls_transport_ptr_t p, const void *buf, size_t n)
{
	return sock_send(p, buf, n);
}

static int
tls_pull_timeout(gnutls_transport_ptr_t p, unsigned ms)
{
	struct transport *t = p;
	if (t->fail)
		return -1;
	int wait = ms == GNUTLS_INDEFINITE_TIMEOUT ? t->timeout_ms : (int)ms;
	if (t->deadline) {
		long long left = t->deadline - mono_ms();
		if (left < wait)
			wait = left > 0 ? (int)left : 0;
	}
	struct pollfd pf = {.fd = t->fd, .events = POLLIN};
	int pr = poll(&pf, 1, wait);
	return pr < 0 && errno == EINTR ? 0 : pr;
}

static ssize_t
tr_read(mailstream_low *s, void *buf, size_t n)
{
	struct transport *t = s->data;
	ssize_t r;
	for (;;) {
		if (t->fail)
			return -1;
		if (!t->tls) {
			r = sock_recv(t, buf, n);
			break;
		}
		r = gnutls_record_recv(t->tls, buf, n);
		if (r > 0)
			break;
		if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION)
			return tr_failed(t, "connection closed by the server");
		/* GNUTLS_E_AGAIN also follows a post-handshake message (a
		 * TLS 1.3 session ticket); the next pull waits again */
		if (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_AGAIN)
			continue;
		return tr_failed(t, "TLS: %s", gnutls_strerror((int)r));
	}
	if (r <= 0)
		return -1;
	if (rb_respscan_feed(&t->scan, buf, (size_t)r) != 0)
		return tr_failed(t, "protocol error: %s", t->scan.err);
	progress();
	return r;
}

static ssize_t
tr_write(mailstream_low *s, const void *buf, size_t n)
{
	struct transport *t = s->data;
	if (t->fail)
		return -1;
	if (!t->tls)
		return sock_send(t, buf, n);
	for (;;) {
		ssize_t r = gnutls_record_send(t->tls, buf, n);
		if (r >= 0)
			return r;
		if (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_AGAIN)
			continue;
		return tr_failed(t, "TLS: %s", gnutls_strerror((int)r));
	}
}

static int
tr_close(mailstream_low *s)
{
	struct transport *t = s->data;
	if (t->tls)
		gnutls_bye(t->tls, GNUTLS_SHUT_WR);
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	return 0;
}

static int
tr_get_fd(mailstream_low *s)
{
	struct transport *t = s->data;
	return t->fd;
}

/* The stream is gone (libetpan frees it on close, also after some
 * errors): the socket and the TLS session go with it; the transport
 * itself stays, for its failure text, until rb_imap_close. */
static void
tr_free(mailstream_low *s)
{
	struct transport *t = s->data;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->tls)
		gnutls_deinit(t->tls);
	t->tls = NULL;
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	t->cred = NULL;
	if (t->fail == NULL)
		t->fail = "connection closed";
	free(s);
}

static void
tr_cancel(mailstream_low *s)
{
	(void)s;
}

static int
tr_idle_noop(mailstream_low *s)
{
	(void)s;
	return 0;
}

static mailstream_low_driver tr_driver = {
    .mailstream_read = tr_read,
    .mailstream_write = tr_write,
    .mailstream_close = tr_close,
    .mailstream_get_fd = tr_get_fd,
    .mailstream_free = tr_free,
    .mailstream_cancel = tr_cancel,
    .mailstream_get_cancel = NULL,
    .mailstream_get_certificate_chain = NULL,
    .mailstream_setup_idle = tr_idle_noop,
    .mailstream_unsetup_idle = tr_idle_noop,
    .mailstream_interrupt_idle = tr_idle_noop,
};

/* ---- socket and TLS ---- */

static int
tcp_connect(struct rb_imap *c, int *fd_r)
{
	const struct rb_mailbox_conf *m = c->m;
	char port[16];
	snprintf(port, sizeof port, "%d", m->port);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_family = AF_UNSPEC};
	struct addrinfo *res = NULL;
	int r = getaddrinfo(m->host, port, &hints, &res);
	if (r != 0)
		return seterr(c, RB_IMAP_TEMP, "%s: cannot resolve: %s",
			      m->host, gai_strerror(r));
	int fd = -1, last = 0;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		if (m->tls == RB_TLS_NONE) {
			/* plaintext is only for loopback: check the address
			 * actually used, not just the name */
			int lo = 0;
			if (a->ai_family == AF_INET)
				lo = (ntohl(((struct sockaddr_in *)(void *)
						 a->ai_addr)
						->sin_addr.s_addr) >>
				      24) == 127;
			else if (a->ai_family == AF_INET6)
				lo = IN6_IS_ADDR_LOOPBACK(
				    &((struct sockaddr_in6 *)(void *)a->ai_addr)
					 ->sin6_addr);
			if (!lo)
				continue;
		}
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC |
					      SOCK_NONBLOCK,
			    a->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 &&
		    errno != EINPROGRESS) {
			last = errno;
			close(fd);
			fd = -1;
			continue;
		}
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int pr;
		do
			pr = poll(&p, 1, (int)m->timeout * 1000);
		while (pr < 0 && errno == EINTR);
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		if (pr <= 0)
			soerr = pr == 0 ? ETIMEDOUT : errno;
		else
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr) {
			last = soerr;
			close(fd);
			fd = -1;
			continue;
		}
		break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return seterr(c, RB_IMAP_TEMP, "%s port %d: cannot connect: %s",
			      m->host, m->port,
			      last ? strerror(last)
				   : "no loopback address for tls = none");
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	struct timeval tv = {.tv_sec = m->timeout};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	*fd_r = fd;
	return RB_IMAP_OK;
}

static int
is_ip_literal(const char *h)
{
	unsigned char b[16];
	return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

/* Handshake on t->fd with SNI and full verification.  On success t->tls
 * is set; on any failure nothing was sent but the handshake. */
static int
tls_start(struct rb_imap *c, struct transport *t)
{
	const struct rb_mailbox_conf *m = c->m;
	int r = gnutls_certificate_allocate_credentials(&t->cred);
	if (r < 0)
		return seterr(c, RB_IMAP_TEMP, "TLS: %s", gnutls_strerror(r));
	if (m->ca_file) {
		r = gnutls_certificate_set_x509_trust_file(t->cred, m->ca_file,
							   GNUTLS_X509_FMT_PEM);
		if (r <= 0)
			return seterr(c, RB_IMAP_PERM,
				      "TLS: no CA certificate loaded from %s%s%s",
				      m->ca_file, r < 0 ? ": " : "",
				      r < 0 ? gnutls_strerror(r) : "");
	} else {
		r = gnutls_certificate_set_x509_system_trust(t->cred);
		if (r <= 0)
			return seterr(c, RB_IMAP_PERM,
				      "TLS: the system trust store is empty or "
				      "unreadable (install ca-certificates or "
				      "set ca_file)");
	}
	gnutls_session_t s;
	r = gnutls_init(&s, GNUTLS_CLIENT);
	if (r < 0)
		return seterr(c, RB_IMAP_TEMP, "TLS: %s", gnutls_strerror(r));
	t->tls = s;
	gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, t->cred);
	/* SNI only for names: RFC 6066 forbids IP literals there */
	if (!is_ip_literal(m->host))
		gnutls_server_name_set(s, GNUTLS_NAME_DNS, m->host,
				       strlen(m->host));
	/* chain + host name checked inside the handshake; it fails on any
	 * problem, before one byte of IMAP goes over the session */
	gnutls_session_set_verify_cert(s, m->host, 0);
	/* our own reads and writes: they keep the command's deadline and
	 * see the end of the stream */
	gnutls_transport_set_ptr(s, t);
	gnutls_transport_set_pull_function(s, tls_pull);
	gnutls_transport_set_pull_timeout_function(s, tls_pull_timeout);
	gnutls_transport_set_push_function(s, tls_push);
	gnutls_handshake_set_timeout(s, m->timeout * 1000);
	do
		r = gnutls_handshake(s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		unsigned st = gnutls_session_get_verify_cert_status(s);
		gnutls_datum_t out = {NULL, 0};
		gnutls_certificate_verification_status_print(
		    st, GNUTLS_CRT_X509, &out, 0);
		seterr(c, RB_IMAP_PERM,
		       "TLS: certificate of %s port %d refused (nothing "
		       "sent): %s",
		       m->host, m->port,
		       out.data ? (const char *)out.data : "verification failed");
		gnutls_free(out.data);
		return RB_IMAP_PERM;
	}
	if (r < 0)
		return seterr(c, RB_IMAP_TEMP, "TLS handshake with %s port %d: %s",
			      m->host, m->port,
			      t->fail ? t->fail : gnutls_strerror(r));
	/* belt and braces: check again after the handshake */
	unsigned st = 0;
	r = gnutls_certificate_verify_peers3(s, m->host, &st);
	if (r < 0 || st != 0)
		return seterr(c, RB_IMAP_PERM,
			      "TLS: certificate of %s not verified", m->host);
	return RB_IMAP_OK;
}

static void
read_caps(struct rb_imap *c)
{
	struct mailimap_capability_data *cap = NULL;
	cmd_begin(c, 0, 0);
	if (mailimap_capability(c->imap, &cap) == MAILIMAP_NO_ERROR && cap)
		mailimap_capability_data_free(cap);
	c->has_move = mailimap_has_extension(c->imap, "MOVE");
	c->has_uidplus = mailimap_has_extension(c->imap, "UIDPLUS");
	c->has_idle = mailimap_has_idle(c->imap);
}

/*
 * ENABLE QRESYNC (RFC 7162) when offered: the server then reports mail
 * removed from the selected folder (our own MOVEs, and the other
 * connection's) as VANISHED UID ranges instead of one "* N EXPUNGE" line
 * per mail.  A MOVE of 20,000 mails otherwise sends 20,000 lines to
 * each connection, which libetpan keeps in a list until the command
 * ends.  Nothing else changes for us: libetpan parses VANISHED (and the
 * HIGHESTMODSEQ of SELECT) and we never read either.  A server without
 * QRESYNC, or one refusing ENABLE, is used as before.
 */
static int
enable_qresync(struct rb_imap *c)
{
	if (!mailimap_has_extension(c->imap, "QRESYNC") ||
	    !mailimap_has_extension(c->imap, "ENABLE"))
		return RB_IMAP_OK;
	clist *l = clist_new();
	char *name = strdup("QRESYNC");
	struct mailimap_capability *cap =
	    name ? mailimap_capability_new(MAILIMAP_CAPABILITY_NAME, NULL, name)
		 : NULL;
	if (l == NULL || cap == NULL || clist_append(l, cap) < 0)
		abort();
	struct mailimap_capability_data *want = mailimap_capability_data_new(l);
	struct mailimap_capability_data *got = NULL;
	if (want == NULL)
		abort();
	cmd_begin(c, 0, 0);
	int r = mailimap_enable(c->imap, want, &got);
	mailimap_capability_data_free(want);
	if (got)
		mailimap_capability_data_free(got);
	if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE)
		return imap_fail(c, r, "ENABLE QRESYNC");
	return RB_IMAP_OK;
}

int
rb_imap_connect(const struct rb_mailbox_conf *m, const char *secret,
		struct rb_imap **out)
{
	struct rb_imap *c = calloc(1, sizeof *c);
	if (c == NULL)
		abort();
	*out = c;
	c->m = m;
	int fd = -1;
	int r = tcp_connect(c, &fd);
	if (r)
		return r;
	struct transport *t = calloc(1, sizeof *t);
	if (t == NULL)
		abort();
	t->fd = fd;
	t->timeout_ms = (int)m->timeout * 1000;
	rb_respscan_init(&t->scan);
	c->tr = t;
	cmd_begin(c, 0, 0);	/* the handshake's deadline */
	if (m->tls == RB_TLS_IMPLICIT && (r = tls_start(c, t)) != 0) {
		c->tr = NULL;
		if (t->tls)
			gnutls_deinit(t->tls);
		if (t->cred)
			gnutls_certificate_free_credentials(t->cred);
		close(fd);
		free(t);
		return r;
	}
	mailstream_low *low = mailstream_low_new(t, &tr_driver);
	if (low == NULL)
		abort();
	mailstream *stream = mailstream_new(low, 65536);
	if (stream == NULL)
		abort();
	c->tr = t;
	c->imap = mailimap_new(0, NULL);
	if (c->imap == NULL)
		abort();
	mailimap_set_timeout(c->imap, m->timeout);
	cmd_begin(c, 0, 0);
	r = mailimap_connect(c->imap, stream);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED)
		return seterr(c, RB_IMAP_TEMP,
			      "%s port %d: no IMAP greeting: %s", m->host,
			      m->port, lost_why(c, r));
	if (m->tls == RB_TLS_STARTTLS) {
		cmd_begin(c, 0, 0);
		r = mailimap_starttls(c->imap);
		if (r != MAILIMAP_NO_ERROR)
			return seterr(c, RB_IMAP_PERM,
				      "%s: STARTTLS refused (%s); not sending "
				      "credentials in clear",
				      m->host, server_text(c));
		/* nothing may be buffered between OK and the handshake (a
		 * man in the middle could inject responses there) */
		if (c->imap->imap_stream->read_buffer_len != 0)
			return seterr(c, RB_IMAP_PERM,
				      "%s: data after STARTTLS OK: refused",
				      m->host);
		cmd_begin(c, 0, 0);
		if ((r = tls_start(c, t)) != 0)
			return r;
	}
	read_caps(c);
	cmd_begin(c, 0, 0);
	if (m->xoauth2_command)
		r = mailimap_oauth2_authenticate(c->imap, m->user, secret);
	else
		r = mailimap_login(c->imap, m->user, secret);
	if (r != MAILIMAP_NO_ERROR) {
		if (r == MAILIMAP_ERROR_STREAM)
			return seterr(c, RB_IMAP_TEMP,
				      "%s: connection lost during login: %s",
				      m->host, lost_why(c, r));
		return seterr(c, RB_IMAP_PERM,
			      "%s: login as %s refused: %s", m->host, m->user,
			      server_text(c));
	}
	read_caps(c);
	return enable_qresync(c);
}

void
rb_imap_close(struct rb_imap *c)
{
	if (c == NULL)
		return;
	if (c->imap) {
		if (c->imap->imap_state >= MAILIMAP_STATE_AUTHENTICATED &&
		    c->imap->imap_stream && c->tr->fail == NULL) {
			/* a short wait: LOGOUT is a courtesy */
			cmd_begin(c, 0, 0);
			mailimap_logout(c->imap);
		}
		mailimap_free(c->imap);
	}
	if (c->tr) {
		rb_respscan_free(&c->tr->scan);
		free(c->tr);
	}
	for (size_t i = 0; i < c->ncreated; i++)
		free(c->created[i]);
	free(c->created);
	free(c);
}

/* Why a connection broke, for messages. */
static const char *
lost_why(const struct rb_imap *c, int r)
{
	if (c->tr && c->tr->fail)
		return c->tr->fail;
	return r == MAILIMAP_ERROR_PARSE ? "response not understood"
					 : "stream error";
}

/* libetpan result -> our code: stream/parse errors are TEMP (connection
 * unusable), a NO/BAD answer is PERM for that command. */
static int
imap_fail(struct rb_imap *c, int r, const char *what)
{
	if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE ||
	    r == MAILIMAP_ERROR_MEMORY || r == MAILIMAP_ERROR_CONNECTION_REFUSED)
		return seterr(c, RB_IMAP_TEMP, "%s: %s: connection lost: %s",
			      c->m->host, what, lost_why(c, r));
	return seterr(c, RB_IMAP_PERM, "%s: %s failed: %s", c->m->host, what,
		      server_text(c));
}

int
rb_imap_select(struct rb_imap *c, const char *folder, uint32_t *uidvalidity,
	       uint32_t *uidnext)
{
	cmd_begin(c, 0, 0);
	int r = mailimap_select(c->imap, folder);
	if (r == MAILIMAP_ERROR_SELECT)
		return seterr(c, RB_IMAP_NOFOLDER,
			      "%s: folder %s cannot be selected: %s",
			      c->m->host, folder, server_text(c));
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(c, r, "SELECT");
	struct mailimap_selection_info *si = c->imap->imap_selection_info;
	*uidvalidity = si ? si->sel_uidvalidity : 0;
	*uidnext = si ? si->sel_uidnext : 0;
	if (*uidvalidity == 0)
		return seterr(c, RB_IMAP_PERM, "%s: SELECT %s: no UIDVALIDITY",
			      c->m->host, folder);
	return RB_IMAP_OK;
}

/* Text bytes of one UID set per command at most (Dovecot refuses
 * command lines over imap_max_line_length, 64 KB by default). */
#define SET_TEXT_MAX 32000

static size_t
digits(uint32_t v)
{
	size_t d = 1;
	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

/* The last index of the run of consecutive UIDs starting at i, and in
 * *text the length of its text with the separating comma ("a:b," or
 * "a,"). */
static size_t
run_end(const uint32_t *u, size_t n, size_t i, size_t *text)
{
	size_t j = i;
	while (j + 1 < n && u[j + 1] == u[j] + 1)
		j++;
	*text = digits(u[i]) + 1 + (j > i ? digits(u[j]) + 1 : 0);
	return j;
}

/* A UID set from sorted UIDs, consecutive runs as intervals, taking as
 * many from u as fit in SET_TEXT_MAX bytes of text; *used says how many
 * (the caller sends the rest in another command). */
static struct mailimap_set *
uid_set_part(const uint32_t *u, size_t n, size_t *used)
{
	struct mailimap_set *s = mailimap_set_new_empty();
	size_t text = 0, i = 0;
	while (i < n) {
		size_t t, j = run_end(u, n, i, &t);
		if (i > 0 && text + t > SET_TEXT_MAX)
			break;
		text += t;
		if (j == i)
			mailimap_set_add_single(s, u[i]);
		else
			mailimap_set_add_interval(s, u[i], u[j]);
		i = j + 1;
	}
	*used = i;
	return s;
}

size_t
rb_imap_set_text_len(const uint32_t *u, size_t n)
{
	size_t text = 0;
	for (size_t i = 0, j, t; i < n; i = j + 1) {
		j = run_end(u, n, i, &t);
		text += t;
	}
	return text;
}

/* The whole set (for FETCH, whose sets come from bounded batches). */
static struct mailimap_set *
uid_set(const uint32_t *u, size_t n)
{
	size_t used;
	struct mailimap_set *s = uid_set_part(u, n, &used);
	if (used < n) {
		/* not expected here: add the rest anyway */
		for (size_t i = used; i < n; i++)
			mailimap_set_add_single(s, u[i]);
	}
	return s;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int
cmp_item(const void *a, const void *b)
{
	uint32_t x = ((const struct rb_imap_item *)a)->uid;
	uint32_t y = ((const struct rb_imap_item *)b)->uid;
	return x < y ? -1 : x > y;
}

/* UID FETCH lo:hi (UID RFC822.SIZE), appending UIDs > after. */
static int
fetch_sizes(struct rb_imap *c, uint32_t lo, uint32_t hi, uint32_t after,
	    struct rb_imap_item **items, size_t *n, size_t *cap)
{
	struct mailimap_set *set = mailimap_set_new_interval(lo, hi);
	struct mailimap_fetch_type *ft =
	    mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
						   mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
	    ft, mailimap_fetch_att_new_rfc822_size());
	clist *res = NULL;
	cmd_begin(c, 0, 0);
	int r = mailimap_uid_fetch(c->imap, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(c, r, "UID FETCH RFC822.SIZE");
	for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		uint32_t uid = 0;
		uint64_t size = 0;
		for (clistiter *j = clist_begin(ma->att_list); j;
		     j = clist_next(j)) {
			struct mailimap_msg_att_item *a = clist_content(j);
			if (a->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			struct mailimap_msg_att_static *st =
			    a->att_data.att_static;
			if (st->att_type == MAILIMAP_MSG_ATT_UID)
				uid = st->att_data.att_uid;
			else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE)
				size = st->att_data.att_rfc822_size;
		}
		/* the parser keeps 32 bits of RFC822.SIZE: the scanner saw
		 * the whole number */
		uint64_t whole = rb_respscan_size(&c->tr->scan, uid);
		if (whole)
			size = whole;
		/* "lo:*" returns the last mail even when its UID < lo */
		if (uid <= after || uid < lo || uid > hi)
			continue;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*items = realloc(*items, *cap * sizeof **items);
			if (*items == NULL)
				abort();
		}
		(*items)[(*n)++] = (struct rb_imap_item){uid, size};
	}
	mailimap_fetch_list_free(res);
	return RB_IMAP_OK;
}

int
rb_imap_list(struct rb_imap *c, uint32_t after, size_t max,
	     struct rb_imap_item **items, size_t *n)
{
	*items = NULL;
	*n = 0;
	size_t cap = 0;
	if (after == UINT32_MAX || max == 0)
		return RB_IMAP_OK;
	uint32_t lo = after + 1;
	uint32_t hi = (uint64_t)lo + max - 1 > UINT32_MAX
			  ? UINT32_MAX
			  : (uint32_t)(lo + max - 1);
	int r = fetch_sizes(c, lo, hi, after, items, n, &cap);
	if (r || *n > 0)
		goto done;
	/* Nothing in the window: a gap in the UIDs (mail moved away).
	 * Find the next UID with a search (one number per mail). */
	struct mailimap_set *set = mailimap_set_new_interval(lo, 0);
	struct mailimap_search_key *key = mailimap_search_key_new_uid(set);
	clist *res = NULL;
	cmd_limits(c, 0, SEARCH_LINE_MAX_BYTES,
		   SEARCH_LINE_MAX_BYTES + CMD_MAX_BYTES, NULL, 0);
	r = mailimap_uid_search(c->imap, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(c, r, "UID SEARCH");
	uint32_t next = 0;
	for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
		uint32_t u = *(uint32_t *)clist_content(it);
		if (u > after && (next == 0 || u < next))
			next = u;
	}
	mailimap_search_result_free(res);
	if (next == 0)
		return RB_IMAP_OK;
	hi = (uint64_t)next + max - 1 > UINT32_MAX
		 ? UINT32_MAX
		 : (uint32_t)(next + max - 1);
	r = fetch_sizes(c, next, hi, after, items, n, &cap);
done:
	if (*n > 1)
		qsort(*items, *n, sizeof **items, cmp_item);
	if (*n > max)
		*n = max;
	return r;
}

/* BODY.PEEK[] of items (sorted by UID), or with partial > 0
 * BODY.PEEK[]<0.partial>; their RFC822.SIZE (at most partial) bound the
 * literals, and their total bounds the answer and its deadline. */
static int
fetch_chunk(struct rb_imap *c, const struct rb_imap_item *items, size_t n,
	    uint32_t partial, rb_imap_body_cb cb, void *ctx)
{
	uint32_t *uids = calloc(n ? n : 1, sizeof *uids);
	struct rb_respscan_size *ann = malloc(n * sizeof *ann);
	if (uids == NULL || ann == NULL)
		abort();
	uint64_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		uids[i] = items[i].uid;
		uint64_t sz = partial && items[i].size > partial ? partial
								 : items[i].size;
		ann[i] = (struct rb_respscan_size){items[i].uid, sz};
		bytes += sz;
	}
	struct mailimap_set *set = uid_set(uids, n);
	free(uids);
	struct mailimap_fetch_type *ft =
	    mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
						   mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
	    ft, partial ? mailimap_fetch_att_new_body_peek_section_partial(
			      mailimap_section_new(NULL), 0, partial)
			: mailimap_fetch_att_new_body_peek_section(
			      mailimap_section_new(NULL)));
	clist *res = NULL;
	cmd_limits(c, (unsigned)(bytes / MIN_RATE_BYTES), LINE_MAX_BYTES,
		   bytes + n * PER_MAIL_BYTES + FETCH_SLACK_BYTES, ann, n);
	int r = mailimap_uid_fetch(c->imap, set, ft, &res);
	cmd_limits(c, 0, LINE_MAX_BYTES, CMD_MAX_BYTES, NULL, 0);
	free(ann);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(c, r, "UID FETCH BODY.PEEK[]");
	int rc = RB_IMAP_OK;
	for (clistiter *it = clist_begin(res); it && rc == RB_IMAP_OK;
	     it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		uint32_t uid = 0;
		const char *data = NULL;
		size_t len = 0;
		for (clistiter *j = clist_begin(ma->att_list); j;
		     j = clist_next(j)) {
			struct mailimap_msg_att_item *a = clist_content(j);
			if (a->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			struct mailimap_msg_att_static *st =
			    a->att_data.att_static;
			if (st->att_type == MAILIMAP_MSG_ATT_UID) {
				uid = st->att_data.att_uid;
			} else if (st->att_type ==
				   MAILIMAP_MSG_ATT_BODY_SECTION) {
				data = st->att_data.att_body_section
					   ->sec_body_part;
				len = st->att_data.att_body_section->sec_length;
			}
		}
		if (uid == 0 || data == NULL)
			continue;	/* a FETCH for flags only etc. */
		if (cb(ctx, uid, data, len) != 0)
			rc = seterr(c, RB_IMAP_TEMP, "fetch stopped");
	}
	mailimap_fetch_list_free(res);
	return rc;
}

int
rb_imap_fetch(struct rb_imap *c, const struct rb_imap_item *items, size_t n,
	      size_t budget, rb_imap_body_cb cb, void *ctx)
{
	int r = RB_IMAP_OK;
	size_t first = 0;
	uint64_t bytes = 0;
	for (size_t i = 0; i <= n && r == RB_IMAP_OK; i++) {
		if (i > first && (i == n || bytes + items[i].size > budget)) {
			r = fetch_chunk(c, items + first, i - first, 0, cb, ctx);
			first = i;
			bytes = 0;
		}
		if (i < n)
			bytes += items[i].size;
	}
	return r;
}

int
rb_imap_fetch_head(struct rb_imap *c, const struct rb_imap_item *items,
		   size_t n, uint32_t bytes, size_t budget, rb_imap_body_cb cb,
		   void *ctx)
{
	size_t per = bytes ? budget / bytes : n;
	if (per == 0)
		per = 1;
	int r = RB_IMAP_OK;
	for (size_t i = 0; i < n && r == RB_IMAP_OK; i += per) {
		size_t k = n - i < per ? n - i : per;
		r = fetch_chunk(c, items + i, k, bytes, cb, ctx);
	}
	return r;
}

static void
learn_delimiter(struct rb_imap *c)
{
	if (c->delim)
		return;
	clist *res = NULL;
	c->delim = '/';
	cmd_begin(c, 0, 0);
	if (mailimap_list(c->imap, "", "", &res) == MAILIMAP_NO_ERROR && res) {
		clistiter *it = clist_begin(res);
		if (it) {
			struct mailimap_mailbox_list *ml = clist_content(it);
			if (ml->mb_delimiter)
				c->delim = ml->mb_delimiter;
		}
		mailimap_list_result_free(res);
	}
}

/* The folder name with the server's delimiter; caller frees. */
static char *
server_folder(struct rb_imap *c, const char *folder)
{
	learn_delimiter(c);
	char *s = strdup(folder);
	if (s == NULL)
		abort();
	for (char *p = s; *p; p++)
		if (*p == '/')
			*p = c->delim;
	return s;
}

static int
ensure_folder(struct rb_imap *c, const char *name)
{
	for (size_t i = 0; i < c->ncreated; i++)
		if (!strcmp(c->created[i], name))
			return RB_IMAP_OK;
	cmd_begin(c, 0, 0);
	int r = mailimap_create(c->imap, name);
	if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE)
		return imap_fail(c, r, "CREATE");
	/* NO [ALREADYEXISTS] is fine; a real failure shows at MOVE time */
	c->created = realloc(c->created, (c->ncreated + 1) * sizeof(char *));
	if (c->created == NULL)
		abort();
	c->created[c->ncreated++] = strdup(name);
	return RB_IMAP_OK;
}

static int
store_flag(struct rb_imap *c, struct mailimap_set *set,
	   struct mailimap_flag *flag)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(fl, flag);
	struct mailimap_store_att_flags *sa =
	    mailimap_store_att_flags_new_add_flags_silent(fl);
	cmd_begin(c, 0, 0);
	int r = mailimap_uid_store(c->imap, set, sa);
	mailimap_store_att_flags_free(sa);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(c, r, "UID STORE");
	return RB_IMAP_OK;
}

static int
expunge(struct rb_imap *c, struct mailimap_set *set)
{
	cmd_begin(c, 0, 0);
	int r = c->has_uidplus ? mailimap_uid_expunge(c->imap, set)
			       : mailimap_expunge(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(c, r, "EXPUNGE");
	return RB_IMAP_OK;
}

/* The UIDs of a set (COPYUID's), in order, appended to *v; -1 when there
 * are more than max in all (a server answer is not trusted to be small). */
static int
set_expand(const struct mailimap_set *set, uint32_t **v, size_t *n,
	   size_t *cap, size_t max)
{
	if (set == NULL)
		return 0;
	for (clistiter *it = clist_begin(set->set_list); it;
	     it = clist_next(it)) {
		const struct mailimap_set_item *si = clist_content(it);
		uint32_t a = si->set_first, b = si->set_last;
		if (a > b) {
			uint32_t t = a;
			a = b;
			b = t;
		}
		if (a == 0 || (uint64_t)b - a + 1 > max - *n)
			return -1;
		for (uint64_t u = a; u <= b; u++) {
			if (*n == *cap) {
				*cap = *cap ? *cap * 2 : 64;
				*v = realloc(*v, *cap * sizeof **v);
				if (*v == NULL)
					abort();
			}
			(*v)[(*n)++] = (uint32_t)u;
		}
	}
	return 0;
}

/* Add one COPYUID answer to map; an answer that does not pair up (or
 * names more mails than were asked for) is ignored: the UIDs stay
 * unknown rather than wrong. */
static void
map_add(struct rb_imap_copyuid *map, uint32_t uidvalidity,
	struct mailimap_set *src, struct mailimap_set *dst, size_t asked)
{
	uint32_t *a = NULL, *b = NULL;
	size_t na = 0, nb = 0, ca = 0, cb = 0;
	if (src && dst && uidvalidity &&
	    set_expand(src, &a, &na, &ca, asked) == 0 &&
	    set_expand(dst, &b, &nb, &cb, asked) == 0 && na == nb &&
	    (map->n == 0 || map->uidvalidity == uidvalidity)) {
		if (map->n + na > map->cap) {
			map->cap = (map->n + na) * 2;
			map->src = realloc(map->src, map->cap * sizeof *map->src);
			map->dst = realloc(map->dst, map->cap * sizeof *map->dst);
			if (map->src == NULL || map->dst == NULL)
				abort();
		}
		memcpy(map->src + map->n, a, na * sizeof *a);
		memcpy(map->dst + map->n, b, nb * sizeof *b);
		map->n += na;
		map->uidvalidity = uidvalidity;
	}
	free(a);
	free(b);
	if (src)
		mailimap_set_free(src);
	if (dst)
		mailimap_set_free(dst);
}

void
rb_imap_copyuid_free(struct rb_imap_copyuid *map)
{
	free(map->src);
	free(map->dst);
	memset(map, 0, sizeof *map);
}

/* One UID MOVE (or COPY) of set to f, with COPYUID into map when asked
 * for and the server has UIDPLUS. */
static int
move_cmd(struct rb_imap *c, struct mailimap_set *set, size_t asked,
	 const char *f, int move, struct rb_imap_copyuid *map)
{
	uint32_t uv = 0;
	struct mailimap_set *src = NULL, *dst = NULL;
	int r;
	cmd_begin(c, 0, 0);
	if (map && c->has_uidplus)
		r = move ? mailimap_uidplus_uid_move(c->imap, set, f, &uv, &src,
						     &dst)
			 : mailimap_uidplus_uid_copy(c->imap, set, f, &uv, &src,
						     &dst);
	else
		r = move ? mailimap_uid_move(c->imap, set, f)
			 : mailimap_uid_copy(c->imap, set, f);
	if (map)
		map_add(map, uv, src, dst, asked);
	else if (src || dst) {
		if (src)
			mailimap_set_free(src);
		if (dst)
			mailimap_set_free(dst);
	}
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(c, r, move ? "UID MOVE" : "UID COPY");
	return RB_IMAP_OK;
}

int
rb_imap_move_map(struct rb_imap *c, const uint32_t *uids, size_t n,
		 const char *folder, struct rb_imap_copyuid *map)
{
	if (n == 0)
		return RB_IMAP_OK;
	char *f = server_folder(c, folder);
	int r = ensure_folder(c, f);
	if (r) {
		free(f);
		return r;
	}
	for (size_t done = 0, used; done < n && r == RB_IMAP_OK;
	     done += used) {
		struct mailimap_set *set =
		    uid_set_part(uids + done, n - done, &used);
		if (c->has_move) {
			r = move_cmd(c, set, used, f, 1, map);
		} else {
			r = move_cmd(c, set, used, f, 0, map);
			if (r == RB_IMAP_OK)
				r = store_flag(c, set,
					       mailimap_flag_new_deleted());
			if (r == RB_IMAP_OK)
				r = expunge(c, set);
		}
		mailimap_set_free(set);
	}
	free(f);
	return r;
}

int
rb_imap_move(struct rb_imap *c, const uint32_t *uids, size_t n,
	     const char *folder)
{
	return rb_imap_move_map(c, uids, n, folder, NULL);
}

/* UID SEARCH key: the UIDs found (malloc'ed, ascending), at most max. */
static int
search(struct rb_imap *c, struct mailimap_search_key *key, uint32_t **out,
       size_t *n, size_t max)
{
	*out = NULL;
	*n = 0;
	clist *res = NULL;
	cmd_begin(c, 0, 0);
	int r = mailimap_uid_search(c->imap, "UTF-8", key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(c, r, "UID SEARCH");
	size_t k = 0;
	for (clistiter *it = clist_begin(res); it; it = clist_next(it))
		k++;
	k = k < max ? k : max;
	*out = malloc((k + 1) * sizeof **out);
	if (*out == NULL)
		abort();
	for (clistiter *it = clist_begin(res); it && *n < k;
	     it = clist_next(it))
		(*out)[(*n)++] = *(uint32_t *)clist_content(it);
	mailimap_search_result_free(res);
	if (*n > 1)
		qsort(*out, *n, sizeof **out, cmp_u32);
	return RB_IMAP_OK;
}

int
rb_imap_search_header(struct rb_imap *c, const char *field,
		      const char *value, uint32_t **uids, size_t *n)
{
	struct mailimap_search_key *key =
	    mailimap_search_key_new_header(strdup(field), strdup(value));
	return search(c, key, uids, n, 1000);
}

int
rb_imap_select_dest(struct rb_imap *c, const char *folder,
		    uint32_t *uidvalidity, uint32_t *uidnext)
{
	char *f = server_folder(c, folder);
	int r = rb_imap_select(c, f, uidvalidity, uidnext);
	free(f);
	return r;
}

int
rb_imap_has_uid(struct rb_imap *c, uint32_t uid)
{
	uint32_t *u;
	size_t n;
	struct mailimap_search_key *key = mailimap_search_key_new_uid(
	    mailimap_set_new_single(uid));
	int r = search(c, key, &u, &n, 4);
	if (r != RB_IMAP_OK)
		return r;
	int found = 0;
	for (size_t i = 0; i < n; i++)
		found |= u[i] == uid;
	free(u);
	return found;
}

int
rb_imap_flag(struct rb_imap *c, const uint32_t *uids, size_t n,
	     const char *flag)
{
	if (n == 0)
		return RB_IMAP_OK;
	int r = RB_IMAP_OK;
	for (size_t done = 0, used; done < n && r == RB_IMAP_OK;
	     done += used) {
		struct mailimap_flag *fl;
		if (!strcasecmp(flag, "\\Seen"))
			fl = mailimap_flag_new_seen();
		else if (!strcasecmp(flag, "\\Flagged"))
			fl = mailimap_flag_new_flagged();
		else if (!strcasecmp(flag, "\\Answered"))
			fl = mailimap_flag_new_answered();
		else
			fl = mailimap_flag_new_flag_keyword(strdup(flag));
		struct mailimap_set *set =
		    uid_set_part(uids + done, n - done, &used);
		r = store_flag(c, set, fl);
		mailimap_set_free(set);
	}
	return r;
}

int
rb_imap_delete(struct rb_imap *c, const uint32_t *uids, size_t n)
{
	if (n == 0)
		return RB_IMAP_OK;
	int r = RB_IMAP_OK;
	for (size_t done = 0, used; done < n && r == RB_IMAP_OK;
	     done += used) {
		struct mailimap_set *set =
		    uid_set_part(uids + done, n - done, &used);
		r = store_flag(c, set, mailimap_flag_new_deleted());
		if (r == RB_IMAP_OK)
			r = expunge(c, set);
		mailimap_set_free(set);
	}
	return r;
}

int
rb_imap_has_idle(const struct rb_imap *c)
{
	return c->has_idle;
}

int
rb_imap_noop(struct rb_imap *c)
{
	cmd_begin(c, 0, 0);
	int r = mailimap_noop(c->imap);
	return r == MAILIMAP_NO_ERROR ? RB_IMAP_OK : imap_fail(c, r, "NOOP");
}

int
rb_imap_idle(struct rb_imap *c, unsigned seconds, volatile sig_atomic_t *stop)
{
	cmd_begin(c, seconds, 0);
	int r = mailimap_idle(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(c, r, "IDLE");
	int changed = 0;
	time_t end = time(NULL) + seconds;
	while (!*stop && time(NULL) < end) {
		if (c->imap->imap_stream->read_buffer_len > 0 ||
		    (c->tr->tls && gnutls_record_check_pending(c->tr->tls))) {
			changed = 1;
			break;
		}
		progress();	/* listening is a sign of life */
		struct pollfd p = {.fd = c->tr->fd, .events = POLLIN};
		int pr = poll(&p, 1, 1000);
		if (pr > 0) {
			changed = 1;
			break;
		}
		if (pr < 0 && errno != EINTR)
			break;
	}
	cmd_begin(c, 0, 0);
	r = mailimap_idle_done(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(c, r, "IDLE DONE");
	return changed;
}

/* data already read or decrypted that poll() would not see */
static int
idle_buffered(const struct rb_imap *c)
{
	return c->imap->imap_stream->read_buffer_len > 0 ||
	       (c->tr->tls && gnutls_record_check_pending(c->tr->tls));
}

int
rb_imap_idle_many(struct rb_imap *const *c, size_t n, unsigned seconds,
		  volatile sig_atomic_t *stop, size_t *failed)
{
	struct pollfd p[64];
	if (n == 0 || n > sizeof p / sizeof p[0])
		return RB_IMAP_PERM;
	size_t started = 0;
	int rc = 0;
	for (; started < n; started++) {
		int r = mailimap_idle(c[started]->imap);
		if (r != MAILIMAP_NO_ERROR) {
			*failed = started;
			rc = imap_fail(c[started], r, "IDLE");
			break;
		}
		p[started] = (struct pollfd){.fd = c[started]->tr->fd,
					     .events = POLLIN};
	}
	time_t end = time(NULL) + seconds;
	while (rc == 0 && !*stop && time(NULL) < end) {
		for (size_t i = 0; i < started && rc == 0; i++)
			if (idle_buffered(c[i]))
				rc = 1;
		if (rc)
			break;
		int pr = poll(p, (nfds_t)started, 1000);
		if (pr > 0) {
			rc = 1;
			break;
		}
		if (pr < 0 && errno != EINTR)
			break;
	}
	for (size_t i = 0; i < started; i++) {
		int r = mailimap_idle_done(c[i]->imap);
		if (r != MAILIMAP_NO_ERROR && rc >= 0) {
			*failed = i;
			rc = imap_fail(c[i], r, "IDLE DONE");
		}
	}
	return rc;
}
