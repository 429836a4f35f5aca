#include "webhook.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct url {
	bool tls;
	char host[256];
	char port[8];
	char path[2048];
};

static int
parse(const char *u, struct url *o)
{
	memset(o, 0, sizeof(*o));
	const char *p;
	if (!strncasecmp(u, "https://", 8)) {
		o->tls = true;
		p = u + 8;
		snprintf(o->port, sizeof(o->port), "443");
	} else if (!strncasecmp(u, "http://", 7)) {
		p = u + 7;
		snprintf(o->port, sizeof(o->port), "80");
	} else {
		return -1;
	}
	size_t hl = strcspn(p, "/?#");
	const char *hp = p, *end = p + hl;
	if (memchr(hp, '@', hl))
		return -1;	/* no credentials in URLs */
	const char *colon = NULL;
	if (hl > 0 && hp[0] == '[') {
		const char *rb = memchr(hp, ']', hl);
		if (rb == NULL)
			return -1;
		if ((size_t)(rb - hp - 1) >= sizeof(o->host))
			return -1;
		memcpy(o->host, hp + 1, (size_t)(rb - hp - 1));
		if (rb + 1 < end && rb[1] == ':')
			colon = rb + 1;
	} else {
		colon = memchr(hp, ':', hl);
		size_t n = colon ? (size_t)(colon - hp) : hl;
		if (n == 0 || n >= sizeof(o->host))
			return -1;
		memcpy(o->host, hp, n);
	}
	if (colon) {
		size_t n = (size_t)(end - colon - 1);
		if (n == 0 || n >= sizeof(o->port))
			return -1;
		memcpy(o->port, colon + 1, n);
		for (size_t i = 0; i < n; i++)
			if (o->port[i] < '0' || o->port[i] > '9')
				return -1;
	}
	snprintf(o->path, sizeof(o->path), "%s", *end ? end : "/");
	if (o->path[0] != '/')
		return -1;
	for (const char *q = o->path; *q; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f)
			return -1;
	return 0;
}

bool
rb_webhook_url_ok(const char *url)
{
	struct url u;
	return parse(url, &u) == 0;
}

static int
dial(const struct url *u, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	int e = getaddrinfo(u->host, u->port, &hints, &res);
	if (e != 0) {
		snprintf(err, errlen, "%s: %s", u->host, gai_strerror(e));
		return -1;
	}
	int fd = -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
						   SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			int soerr = 0;
			socklen_t sl = sizeof(soerr);
			if (poll(&p, 1, 10000) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) ==
				0 &&
			    soerr == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to %s port %s", u->host,
			 u->port);
		return -1;
	}
	/* blocking from here, with timeouts */
	int fl = fcntl(fd, F_GETFL);
	struct timeval tv = {.tv_sec = 30};
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
		close(fd);
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* write all, through TLS when s */
static int
put(int fd, gnutls_session_t s, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w;
		if (s) {
			w = gnutls_record_send(s, b, n);
			if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
				continue;
		} else {
			w = send(fd, b, n, MSG_NOSIGNAL);
			if (w < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
		}
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int
rb_webhook_post(const char *url, const char *body, size_t len,
		const char *secret, bool insecure, char *err, size_t errlen)
{
	struct url u;
	if (parse(url, &u) != 0) {
		snprintf(err, errlen, "not an http(s) URL");
		return -1;
	}
	/* the signature: HMAC-SHA256("T." + body) */
	char ts[24];
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	char hex[65] = "";
	if (secret && secret[0]) {
		gnutls_hmac_hd_t h;
		unsigned char mac[32];
		if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, secret,
				     strlen(secret)) != 0) {
			snprintf(err, errlen, "HMAC unavailable");
			return -1;
		}
		gnutls_hmac(h, ts, strlen(ts));
		gnutls_hmac(h, ".", 1);
		gnutls_hmac(h, body, len);
		gnutls_hmac_deinit(h, mac);
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	}
	int fd = dial(&u, err, errlen);
	if (fd < 0)
		return -1;
	gnutls_session_t s = NULL;
	gnutls_certificate_credentials_t cred = NULL;
	int status = -1;
	if (u.tls) {
		if (gnutls_certificate_allocate_credentials(&cred) != 0 ||
		    gnutls_certificate_set_x509_system_trust(cred) < 0 ||
		    gnutls_init(&s, GNUTLS_CLIENT) != 0 ||
		    gnutls_set_default_priority(s) != 0 ||
		    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) !=
			0 ||
		    gnutls_server_name_set(s, GNUTLS_NAME_DNS, u.host,
					   strlen(u.host)) != 0) {
			snprintf(err, errlen, "TLS set-up failed");
			goto out;
		}
		if (!insecure)
			gnutls_session_set_verify_cert(s, u.host, 0);
		gnutls_transport_set_int(s, fd);
		gnutls_handshake_set_timeout(s, 30000);
		int r;
		do {
			r = gnutls_handshake(s);
		} while (r < 0 && !gnutls_error_is_fatal(r));
		if (r < 0) {
			snprintf(err, errlen, "TLS with %s: %s", u.host,
				 gnutls_strerror(r));
			goto out;
		}
	}
	char head[4096];
	int hn = snprintf(head, sizeof(head),
			  "POST %s HTTP/1.1\r\nHost: %s%s%s\r\n"
			  "User-Agent: rebound-watch\r\n"
			  "Content-Type: application/json\r\n"
			  "Content-Length: %zu\r\nX-Rebound-Timestamp: %s\r\n"
			  "%s%s%s"
			  "Connection: close\r\n\r\n",
			  u.path, u.host,
			  strcmp(u.port, u.tls ? "443" : "80") ? ":" : "",
			  strcmp(u.port, u.tls ? "443" : "80") ? u.port : "",
			  len, ts, hex[0] ? "X-Rebound-Signature: sha256=" : "",
			  hex, hex[0] ? "\r\n" : "");
	if (hn <= 0 || (size_t)hn >= sizeof(head) ||
	    put(fd, s, head, (size_t)hn) != 0 || put(fd, s, body, len) != 0) {
		snprintf(err, errlen, "cannot send to %s", u.host);
		goto out;
	}
	/* the status line is all we need */
	char resp[256];
	size_t got = 0;
	while (got < sizeof(resp) - 1 && !memchr(resp, '\n', got)) {
		ssize_t r = s ? gnutls_record_recv(s, resp + got,
						   sizeof(resp) - 1 - got)
			      : recv(fd, resp + got, sizeof(resp) - 1 - got, 0);
		if (s && (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED))
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	resp[got] = '\0';
	int code;
	if (sscanf(resp, "HTTP/%*d.%*d %d", &code) == 1 && code >= 100 &&
	    code <= 599)
		status = code;
	else
		snprintf(err, errlen, "no HTTP answer from %s", u.host);
out:
	if (s) {
		gnutls_bye(s, GNUTLS_SHUT_WR);
		gnutls_deinit(s);
	}
	if (cred)
		gnutls_certificate_free_credentials(cred);
	close(fd);
	return status;
}
