#include "imap_move.h"
#include "imap_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
struct mailimap_set *
rbi_uid_set(const uint32_t *u, size_t n)
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

static void
learn_delimiter(struct rb_imap *c)
{
	if (c->delim)
		return;
	clist *res = NULL;
	c->delim = '/';
	rbi_cmd_begin(c, 0, 0);
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
	rbi_cmd_begin(c, 0, 0);
	int r = mailimap_create(c->imap, name);
	if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE)
		return rbi_fail(c, r, "CREATE");
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
	rbi_cmd_begin(c, 0, 0);
	int r = mailimap_uid_store(c->imap, set, sa);
	mailimap_store_att_flags_free(sa);
	if (r != MAILIMAP_NO_ERROR)
		return rbi_fail(c, r, "UID STORE");
	return RB_IMAP_OK;
}

static int
expunge(struct rb_imap *c, struct mailimap_set *set)
{
	rbi_cmd_begin(c, 0, 0);
	int r = c->has_uidplus ? mailimap_uid_expunge(c->imap, set)
			       : mailimap_expunge(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return rbi_fail(c, r, "EXPUNGE");
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
	rbi_cmd_begin(c, 0, 0);
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
		return rbi_fail(c, r, move ? "UID MOVE" : "UID COPY");
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

