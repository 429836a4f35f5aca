/*
 * imap_fetch: reading a selected folder (ingest/imap.h's connection):
 * the UIDs above a point with their sizes, the bodies of chosen mails,
 * and searches.
 *
 * Fetching never marks mail as read (BODY.PEEK[]); sizes are read first
 * (RFC822.SIZE) so oversized mail is never fetched whole; bodies are
 * fetched in sub-batches bounded by a byte budget (libetpan holds a whole
 * FETCH response in memory), and every answer is bounded by what was
 * asked for (respscan.h).  Errors as in imap.h.
 */
#ifndef RB_IMAP_FETCH_H
#define RB_IMAP_FETCH_H

#include <stddef.h>
#include <stdint.h>

struct rb_imap;

struct rb_imap_item {
	uint32_t uid;
	uint64_t size;		/* RFC822.SIZE (64 bits: a server may say
				 * more than 4 GiB) */
};

/*
 * Up to max mails with UID > after, in UID order, with their sizes.
 * *items is malloc'ed (caller frees), *n may be 0.
 */
int rb_imap_list(struct rb_imap *c, uint32_t after, size_t max,
		 struct rb_imap_item **items, size_t *n);

/* Called once per fetched mail; data valid during the call only.  A
 * non-zero return stops the fetch with RB_IMAP_TEMP. */
typedef int (*rb_imap_body_cb)(void *ctx, uint32_t uid, const char *data,
			       size_t len);
/* BODY.PEEK[] of the given mails (sorted by UID), at most budget bytes
 * (by RFC822.SIZE) per FETCH command.  UIDs the server no longer has are
 * silently absent. */
int rb_imap_fetch(struct rb_imap *c, const struct rb_imap_item *items,
		  size_t n, size_t budget, rb_imap_body_cb cb, void *ctx);

/* BODY.PEEK[]<0.bytes> of the given mails: the first bytes of each (a
 * mail over max_size: its report parts come first), at most budget bytes
 * per FETCH command. */
int rb_imap_fetch_head(struct rb_imap *c, const struct rb_imap_item *items,
		       size_t n, uint32_t bytes, size_t budget,
		       rb_imap_body_cb cb, void *ctx);

/* UID SEARCH HEADER field value in the selected folder: the UIDs
 * (malloc'ed, ascending, at most 1000). */
int rb_imap_search_header(struct rb_imap *c, const char *field,
			  const char *value, uint32_t **uids, size_t *n);
/* 1 when the selected folder has a mail with this UID, 0 when not, or an
 * error code. */
int rb_imap_has_uid(struct rb_imap *c, uint32_t uid);
#endif
