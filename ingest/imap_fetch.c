#include "imap_fetch.h"
#include "imap_int.h"

#include <stdlib.h>
#include <string.h>

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The next static attribute (UID, RFC822.SIZE, a body section...) of a
 * FETCH answer's attribute list from *j on; NULL at the end. */
static struct mailimap_msg_att_static *
next_static(clistiter **j)
{
	for (; *j; *j = clist_next(*j)) {
		struct mailimap_msg_att_item *a = clist_content(*j);
		if (a->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC) {
			*j = clist_next(*j);
			return a->att_data.att_static;
		}
	}
	return NULL;
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
	rbi_cmd_begin(c, 0, 0);
	int r = mailimap_uid_fetch(c->imap, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return rbi_fail(c, r, "UID FETCH RFC822.SIZE");
	for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		uint32_t uid = 0;
		uint64_t size = 0;
		clistiter *j = clist_begin(ma->att_list);
		struct mailimap_msg_att_static *st;
		while ((st = next_static(&j)) != NULL) {
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
	rbi_cmd_limits(c, 0, SEARCH_LINE_MAX_BYTES,
		   SEARCH_LINE_MAX_BYTES + CMD_MAX_BYTES, NULL, 0);
	r = mailimap_uid_search(c->imap, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return rbi_fail(c, r, "UID SEARCH");
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
	struct mailimap_set *set = rbi_uid_set(uids, n);
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
	rbi_cmd_limits(c, (unsigned)(bytes / MIN_RATE_BYTES), LINE_MAX_BYTES,
		   bytes + n * PER_MAIL_BYTES + FETCH_SLACK_BYTES, ann, n);
	int r = mailimap_uid_fetch(c->imap, set, ft, &res);
	rbi_cmd_limits(c, 0, LINE_MAX_BYTES, CMD_MAX_BYTES, NULL, 0);
	free(ann);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return rbi_fail(c, r, "UID FETCH BODY.PEEK[]");
	int rc = RB_IMAP_OK;
	for (clistiter *it = clist_begin(res); it && rc == RB_IMAP_OK;
	     it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		uint32_t uid = 0;
		const char *data = NULL;
		size_t len = 0;
		clistiter *j = clist_begin(ma->att_list);
		struct mailimap_msg_att_static *st;
		while ((st = next_static(&j)) != NULL) {
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
			rc = rbi_seterr(c, RB_IMAP_TEMP, "fetch stopped");
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

/* UID SEARCH key: the UIDs found (malloc'ed, ascending), at most max. */
static int
search(struct rb_imap *c, struct mailimap_search_key *key, uint32_t **out,
       size_t *n, size_t max)
{
	*out = NULL;
	*n = 0;
	clist *res = NULL;
	rbi_cmd_begin(c, 0, 0);
	int r = mailimap_uid_search(c->imap, "UTF-8", key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return rbi_fail(c, r, "UID SEARCH");
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

