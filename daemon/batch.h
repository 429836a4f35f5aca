/*
 * batch: the mail of one batch and what becomes of each.
 *
 * A batch is a run of UIDs of one folder, listed and fetched together by
 * the fetcher thread, parsed by the parser thread, stored in one
 * transaction by the main thread; one thread holds it at a time (handed
 * over under the worker's mutex).  Each mail ends with a disposition:
 * processed (events with evidence), unknown (parsed, nothing known) or
 * quarantined (over the size limit, the parser failed on it too often,
 * or the parser flagged a structural error), and the disposition gives
 * the server action the mailbox configuration asks for.
 */
#ifndef RB_DAEMON_BATCH_H
#define RB_DAEMON_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/event.h"
#include "lib/arena.h"
#include "store/mailbox_state.h"

struct mbx;

enum { DISP_PROCESSED, DISP_UNKNOWN, DISP_QUARANTINE, DISP_NONE };

struct mail {
	uint32_t uid;
	uint64_t size;		/* RFC822.SIZE */
	char *data;		/* malloc'ed copy, NULL when not fetched */
	size_t len;
	int disp;
	const char *why;	/* quarantine reason (arena) */
	struct rb_event *ev;	/* in the batch arena */
	size_t nev;
	int have_hash;
	unsigned char sha[32];
	/* set when stored: the mail as stored holds an event of a known
	 * kind (store.h known_r; an unsubscribe request decided) */
	bool stored_known;
};

struct batch {
	struct rb_arena arena;
	struct mail *mails;	/* in UID order */
	size_t n;
	unsigned *attempts;	/* parser attempts so far, per mail */
	uint32_t last;		/* highest UID of the batch */
	unsigned long fetched;
	double wall, cpu;	/* fetch stage */
	double pwall, pcpu;	/* parse stage (the parser thread's CPU, not
				 * the parser child's) */
};

/* Quarantine ml with a reason (logged as a warning). */
void quarantine(struct mbx *b, struct batch *bt, struct mail *ml,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* rb_imap_fetch's callback: keep a copy of the body of uid and its
 * SHA-256 (ctx is the batch). */
int on_body(void *ctx, uint32_t uid, const char *data, size_t len);
/* Set ml's source and its disposition from its events. */
void classify(struct mbx *b, struct batch *bt, struct mail *ml);
/* Once stored: the disposition of ml from its events as stored, which
 * may differ from the parsed ones for an unsubscribe request (a request
 * of a mailbox marked `unsubscribe = yes` that the parser saw as
 * unknown is processed; a refused one is unknown).  Quarantine stays. */
void refile(struct mail *ml);
/* The server action for a disposition in *p; 0 when none. */
int action_for(const struct rb_mailbox_conf *m, int disp,
	       struct rb_pending *p);
void batch_free(struct batch *bt);

#endif
