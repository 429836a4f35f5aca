/*
 * lease: one worker per server account, across processes and hosts.
 *
 * The lease is a row of the database (store/mailbox_state.h) naming its
 * holder "HOST:PID" (or "INSTANCE:PID") and an expiry.  A worker takes it
 * before touching the account, renews it every third of lease_seconds
 * and with every batch (whose transaction checks it still holds it), and
 * releases it when it stops.  A lease held by a dead process of this
 * host is taken over at once instead of waiting for it to expire.
 */
#ifndef RB_DAEMON_LEASE_H
#define RB_DAEMON_LEASE_H

struct mbx;

/* Take or renew the lease when due (main thread, b->db connected):
 * ST_OK held, ST_LEASE held by another (the IMAP connections are closed),
 * or a database error. */
int lease_keep(struct mbx *b);

#endif
