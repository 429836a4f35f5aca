/*
 * imap_move: what the daemon and `rebound quarantine` do to mail on the
 * server once it is dealt with: move it to another folder (and learn the
 * UIDs it got there), flag it, delete it.
 *
 * Folder names use '/' as the hierarchy separator and are created when
 * missing.  Sets of UIDs go in as few commands as the server's line
 * limit allows.  Errors as in imap.h.
 */
#ifndef RB_IMAP_MOVE_H
#define RB_IMAP_MOVE_H

#include <stddef.h>
#include <stdint.h>

struct rb_imap;

/* Move to folder (created when missing; '/' in the name is replaced by
 * the server's hierarchy delimiter): UID MOVE when offered, else UID COPY
 * + \Deleted + UID EXPUNGE (or EXPUNGE without UIDPLUS).  These three
 * send one command per UID set, split only when the set's text would
 * pass ~32 KB (servers cap command lines: Dovecot at 64 KB). */
int rb_imap_move(struct rb_imap *c, const uint32_t *uids, size_t n,
		 const char *folder);
/* Where moved mail landed, from the server's UIDPLUS answer (COPYUID of
 * UID MOVE or UID COPY): src[i] of the folder is dst[i] in the
 * destination, whose UIDVALIDITY is uidvalidity.  Mail the server named
 * no new UID for (no UIDPLUS, an answer that does not pair up) is not
 * in it.  Zero-initialise; free with rb_imap_copyuid_free. */
struct rb_imap_copyuid {
	uint32_t uidvalidity;
	uint32_t *src, *dst;
	size_t n, cap;
};
/* rb_imap_move, adding to *map (NULL: as rb_imap_move) what the server
 * said about each command's mails. */
int rb_imap_move_map(struct rb_imap *c, const uint32_t *uids, size_t n,
		     const char *folder, struct rb_imap_copyuid *map);
void rb_imap_copyuid_free(struct rb_imap_copyuid *map);
/* rb_imap_select of a folder named as rb_imap_move's destinations are
 * ('/' replaced by the server's delimiter). */
int rb_imap_select_dest(struct rb_imap *c, const char *folder,
			uint32_t *uidvalidity, uint32_t *uidnext);
/* Length of the UID set text for sorted UIDs (consecutive runs written
 * as "a:b"), as the commands above would send it. */
size_t rb_imap_set_text_len(const uint32_t *uids, size_t n);
/* Add a flag (\Seen, \Flagged, \Answered or a keyword). */
int rb_imap_flag(struct rb_imap *c, const uint32_t *uids, size_t n,
		 const char *flag);
/* \Deleted + UID EXPUNGE. */
int rb_imap_delete(struct rb_imap *c, const uint32_t *uids, size_t n);

#endif
