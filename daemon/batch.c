#include "daemon/batch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/worker.h"
#include "lib/log.h"
#include "lib/sha256.h"

static struct mail *
find_mail(struct batch *bt, uint32_t uid)
{
	size_t lo = 0, hi = bt->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (bt->mails[mid].uid == uid)
			return &bt->mails[mid];
		if (bt->mails[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void
quarantine(struct mbx *b, struct batch *bt, struct mail *ml, const char *fmt,
	   ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	ml->disp = DISP_QUARANTINE;
	ml->why = rb_arena_strdup(&bt->arena, why);
	rb_warn("%s UID %u: quarantined: %s", b->folder, ml->uid, why);
}

static void
set_source(struct mbx *b, struct batch *bt, struct mail *ml)
{
	char *src = rb_arena_printf(&bt->arena,
				    "imap://%s/%s;UIDVALIDITY=%u/;UID=%u",
				    b->account, b->folder, b->uidvalidity,
				    ml->uid);
	for (size_t i = 0; i < ml->nev; i++)
		ml->ev[i].file = src;
}

int
on_body(void *ctx, uint32_t uid, const char *data, size_t len)
{
	struct batch *bt = ctx;
	struct mail *ml = find_mail(bt, uid);
	if (ml == NULL || ml->data || ml->disp == DISP_QUARANTINE)
		return 0;
	bt->fetched++;
	ml->data = malloc(len + 1);
	if (ml->data == NULL)
		abort();
	memcpy(ml->data, data, len);
	ml->data[len] = '\0';
	ml->len = len;
	rb_sha256(data, len, ml->sha);
	ml->have_hash = 1;
	return 0;
}

/* Disposition of a parsed mail from its events. */
void
classify(struct mbx *b, struct batch *bt, struct mail *ml)
{
	set_source(b, bt, ml);
	if (ml->disp == DISP_QUARANTINE)
		return;
	/* a structural limit or unreadable mail: the parser says why */
	for (size_t i = 0; i < ml->nev; i++)
		if (ml->ev[i].error) {
			quarantine(b, bt, ml, "%s", ml->ev[i].error);
			return;
		}
	int known = 0;
	for (size_t i = 0; i < ml->nev; i++)
		known |= ml->ev[i].kind != RB_KIND_UNKNOWN;
	ml->disp = known ? DISP_PROCESSED : DISP_UNKNOWN;
}

void
refile(struct mail *ml)
{
	if (ml->disp == DISP_PROCESSED || ml->disp == DISP_UNKNOWN)
		ml->disp = ml->stored_known ? DISP_PROCESSED : DISP_UNKNOWN;
}

void
batch_free(struct batch *bt)
{
	if (bt == NULL)
		return;
	for (size_t i = 0; i < bt->n; i++)
		free(bt->mails[i].data);
	free(bt->mails);
	free(bt->attempts);
	rb_arena_free(&bt->arena);
	free(bt);
}

/* The server action for a disposition (returns 0 when none). */
int
action_for(const struct rb_mailbox_conf *m, int disp, struct rb_pending *p)
{
	switch (disp) {
	case DISP_PROCESSED:
		if (m->on_processed == RB_DONE_MOVE) {
			p->action = RB_PENDING_MOVE;
			p->dest = m->processed_folder;
		} else if (m->on_processed == RB_DONE_FLAG) {
			p->action = RB_PENDING_FLAG;
			p->dest = m->processed_flag;
		} else {
			p->action = RB_PENDING_DELETE;
			p->dest = NULL;
		}
		return 1;
	case DISP_UNKNOWN:
		if (m->unknown_action == RB_UNKNOWN_LEAVE)
			return 0;
		p->action = RB_PENDING_MOVE;
		p->dest = m->unknown_action == RB_UNKNOWN_MOVE
			      ? m->unknown_folder
			      : m->quarantine_folder;
		return 1;
	case DISP_QUARANTINE:
		p->action = RB_PENDING_MOVE;
		p->dest = m->quarantine_folder;
		return 1;
	}
	return 0;
}
