#include "imap_int.h"
#include "lib/clock.h"

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


/* Limits and deadline of the next command. */
void
rbi_cmd_limits(struct rb_imap *c, unsigned extra_s, uint64_t line_max,
	   uint64_t bytes_max, const struct rb_respscan_size *ann, size_t n)
{
	struct transport *t = c->tr;
	if (t == NULL)
		return;
	t->deadline_s = 3 * c->m->timeout + extra_s;
	t->deadline = rb_clock_ms() + (long long)t->deadline_s * 1000;
	rb_respscan_command(&t->scan, line_max, c->m->max_size, bytes_max,
			    ann, n);
}

void
rbi_cmd_begin(struct rb_imap *c, unsigned extra_s, uint64_t extra_bytes)
{
	rbi_cmd_limits(c, extra_s, LINE_MAX_BYTES, CMD_MAX_BYTES + extra_bytes,
		   NULL, 0);
}

int
rbi_seterr(struct rb_imap *c, int code, const char *fmt, ...)
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
			long long left = t->deadline - rb_clock_ms();
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
		if (t->deadline && rb_clock_ms() >= t->deadline)
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
		long long left = t->deadline - rb_clock_ms();
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
		return rbi_seterr(c, RB_IMAP_TEMP, "%s: cannot resolve: %s",
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
		return rbi_seterr(c, RB_IMAP_TEMP, "%s port %d: cannot connect: %s",
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
		return rbi_seterr(c, RB_IMAP_TEMP, "TLS: %s", gnutls_strerror(r));
	if (m->ca_file) {
		r = gnutls_certificate_set_x509_trust_file(t->cred, m->ca_file,
							   GNUTLS_X509_FMT_PEM);
		if (r <= 0)
			return rbi_seterr(c, RB_IMAP_PERM,
				      "TLS: no CA certificate loaded from %s%s%s",
				      m->ca_file, r < 0 ? ": " : "",
				      r < 0 ? gnutls_strerror(r) : "");
	} else {
		r = gnutls_certificate_set_x509_system_trust(t->cred);
		if (r <= 0)
			return rbi_seterr(c, RB_IMAP_PERM,
				      "TLS: the system trust store is empty or "
				      "unreadable (install ca-certificates or "
				      "set ca_file)");
	}
	gnutls_session_t s;
	r = gnutls_init(&s, GNUTLS_CLIENT);
	if (r < 0)
		return rbi_seterr(c, RB_IMAP_TEMP, "TLS: %s", gnutls_strerror(r));
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
		rbi_seterr(c, RB_IMAP_PERM,
		       "TLS: certificate of %s port %d refused (nothing "
		       "sent): %s",
		       m->host, m->port,
		       out.data ? (const char *)out.data : "verification failed");
		gnutls_free(out.data);
		return RB_IMAP_PERM;
	}
	if (r < 0)
		return rbi_seterr(c, RB_IMAP_TEMP, "TLS handshake with %s port %d: %s",
			      m->host, m->port,
			      t->fail ? t->fail : gnutls_strerror(r));
	/* belt and braces: check again after the handshake */
	unsigned st = 0;
	r = gnutls_certificate_verify_peers3(s, m->host, &st);
	if (r < 0 || st != 0)
		return rbi_seterr(c, RB_IMAP_PERM,
			      "TLS: certificate of %s not verified", m->host);
	return RB_IMAP_OK;
}

static void
read_caps(struct rb_imap *c)
{
	struct mailimap_capability_data *cap = NULL;
	rbi_cmd_begin(c, 0, 0);
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
	rbi_cmd_begin(c, 0, 0);
	int r = mailimap_enable(c->imap, want, &got);
	mailimap_capability_data_free(want);
	if (got)
		mailimap_capability_data_free(got);
	if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE)
		return rbi_fail(c, r, "ENABLE QRESYNC");
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
	rbi_cmd_begin(c, 0, 0);	/* the handshake's deadline */
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
	rbi_cmd_begin(c, 0, 0);
	r = mailimap_connect(c->imap, stream);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED)
		return rbi_seterr(c, RB_IMAP_TEMP,
			      "%s port %d: no IMAP greeting: %s", m->host,
			      m->port, lost_why(c, r));
	if (m->tls == RB_TLS_STARTTLS) {
		rbi_cmd_begin(c, 0, 0);
		r = mailimap_starttls(c->imap);
		if (r != MAILIMAP_NO_ERROR)
			return rbi_seterr(c, RB_IMAP_PERM,
				      "%s: STARTTLS refused (%s); not sending "
				      "credentials in clear",
				      m->host, server_text(c));
		/* nothing may be buffered between OK and the handshake (a
		 * man in the middle could inject responses there) */
		if (c->imap->imap_stream->read_buffer_len != 0)
			return rbi_seterr(c, RB_IMAP_PERM,
				      "%s: data after STARTTLS OK: refused",
				      m->host);
		rbi_cmd_begin(c, 0, 0);
		if ((r = tls_start(c, t)) != 0)
			return r;
	}
	read_caps(c);
	rbi_cmd_begin(c, 0, 0);
	if (m->xoauth2_command)
		r = mailimap_oauth2_authenticate(c->imap, m->user, secret);
	else
		r = mailimap_login(c->imap, m->user, secret);
	if (r != MAILIMAP_NO_ERROR) {
		if (r == MAILIMAP_ERROR_STREAM)
			return rbi_seterr(c, RB_IMAP_TEMP,
				      "%s: connection lost during login: %s",
				      m->host, lost_why(c, r));
		return rbi_seterr(c, RB_IMAP_PERM,
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
			rbi_cmd_begin(c, 0, 0);
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
int
rbi_fail(struct rb_imap *c, int r, const char *what)
{
	if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE ||
	    r == MAILIMAP_ERROR_MEMORY || r == MAILIMAP_ERROR_CONNECTION_REFUSED)
		return rbi_seterr(c, RB_IMAP_TEMP, "%s: %s: connection lost: %s",
			      c->m->host, what, lost_why(c, r));
	return rbi_seterr(c, RB_IMAP_PERM, "%s: %s failed: %s", c->m->host, what,
		      server_text(c));
}

int
rb_imap_select(struct rb_imap *c, const char *folder, uint32_t *uidvalidity,
	       uint32_t *uidnext)
{
	rbi_cmd_begin(c, 0, 0);
	int r = mailimap_select(c->imap, folder);
	if (r == MAILIMAP_ERROR_SELECT)
		return rbi_seterr(c, RB_IMAP_NOFOLDER,
			      "%s: folder %s cannot be selected: %s",
			      c->m->host, folder, server_text(c));
	if (r != MAILIMAP_NO_ERROR)
		return rbi_fail(c, r, "SELECT");
	struct mailimap_selection_info *si = c->imap->imap_selection_info;
	*uidvalidity = si ? si->sel_uidvalidity : 0;
	*uidnext = si ? si->sel_uidnext : 0;
	if (*uidvalidity == 0)
		return rbi_seterr(c, RB_IMAP_PERM, "%s: SELECT %s: no UIDVALIDITY",
			      c->m->host, folder);
	return RB_IMAP_OK;
}

int
rb_imap_has_idle(const struct rb_imap *c)
{
	return c->has_idle;
}

int
rb_imap_noop(struct rb_imap *c)
{
	rbi_cmd_begin(c, 0, 0);
	int r = mailimap_noop(c->imap);
	return r == MAILIMAP_NO_ERROR ? RB_IMAP_OK : rbi_fail(c, r, "NOOP");
}

int
rb_imap_idle(struct rb_imap *c, unsigned seconds, volatile sig_atomic_t *stop)
{
	rbi_cmd_begin(c, seconds, 0);
	int r = mailimap_idle(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return rbi_fail(c, r, "IDLE");
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
	rbi_cmd_begin(c, 0, 0);
	r = mailimap_idle_done(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return rbi_fail(c, r, "IDLE DONE");
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
			rc = rbi_fail(c[started], r, "IDLE");
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
			rc = rbi_fail(c[i], r, "IDLE DONE");
		}
	}
	return rc;
}
