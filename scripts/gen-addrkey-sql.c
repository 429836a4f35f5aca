/*
 * gen-addrkey-sql: the Unicode data of the SQL address key
 * (store/migrations/300_senders.sql), taken from the libraries the C key
 * uses (core/addrkey.c), so that both compute the same key (INSERT
 * statements for the tables below, created by the migration):
 *
 *   rebound_casefold (cp, folded)   g_utf8_casefold of every code point
 *                                   it changes (glib's full folding)
 *   rebound_idna_map (cp, mapped, lead)
 *                                   what libidn2's UTS #46 processing
 *                                   (non-transitional) makes of a code
 *                                   point it does not keep as it is
 *   rebound_idna_valid (lo, hi, lead)
 *                                   the ranges it keeps as they are
 *   (lead: may start a label; a combining mark may not)
 *
 * A code point in neither idna table is refused by libidn2.  Prints SQL
 * on standard output.  Run by hand when glib or libidn2 move
 * to a new Unicode version, into a NEW migration:
 *
 *   cc -O2 scripts/gen-addrkey-sql.c $(pkg-config --cflags --libs \
 *      glib-2.0 libidn2) -o /tmp/gen && /tmp/gen > data.sql
 */
#include <glib.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* an E'' literal: backslash and quote escaped (the text is never NUL) */
static void
literal(const char *s)
{
	fputs("E'", stdout);
	for (; *s; s++) {
		if (*s == '\\' || *s == '\'')
			putchar('\\');
		putchar(*s);
	}
	putchar('\'');
}

/* rows go out as one INSERT per 500 */
static unsigned rows;
static const char *table;

static void
row_start(void)
{
	if (rows % 500 == 0)
		printf("%sINSERT INTO %s VALUES\n", rows ? ";\n" : "", table);
	else
		fputs(",\n", stdout);
	rows++;
}

static void
table_start(const char *t)
{
	if (rows)
		puts(";");
	rows = 0;
	table = t;
}

/* what libidn2 makes of the label s: its U-label form in out, or -1 */
static int
map_label(const char *s, char *out, size_t n)
{
	char *a = NULL, *u = NULL;
	if (idn2_to_ascii_8z(s, &a, IDN2_NONTRANSITIONAL) != IDN2_OK) {
		free(a);
		return -1;
	}
	int rc = idn2_to_unicode_8z8z(a, &u, 0) == IDN2_OK ? 0 : -1;
	if (rc == 0)
		snprintf(out, n, "%s", u);
	free(a);
	free(u);
	return rc;
}

int
main(void)
{
	table_start("rebound_casefold (cp, folded)");
	for (gunichar c = 0x41; c <= 0x10ffff; c++) {
		if (c >= 0xd800 && c <= 0xdfff)
			continue;
		char s[8];
		int l = g_unichar_to_utf8(c, s);
		s[l] = '\0';
		char *f = g_utf8_casefold(s, l);
		if (strcmp(f, s) != 0) {
			row_start();
			printf("(%u, ", (unsigned)c);
			literal(f);
			putchar(')');
		}
		g_free(f);
	}
	table_start("rebound_idna_map (cp, mapped, lead)");
	/* valid ranges collected while the mapped rows are printed */
	static unsigned lo[200000], hi[200000];
	static char lead[200000];
	size_t nr = 0;
	for (gunichar c = 0x21; c <= 0x10ffff; c++) {
		if ((c >= 0xd800 && c <= 0xdfff) || c == '.')
			continue;
		char s[8], p[16], m1[64], m2[64];
		int l = g_unichar_to_utf8(c, s);
		s[l] = '\0';
		snprintf(p, sizeof(p), "a%s", s);
		const char *m = NULL;
		int ld = 0;
		if (map_label(s, m1, sizeof(m1)) == 0) {
			m = m1;
			ld = 1;
		} else if (map_label(p, m2, sizeof(m2)) == 0 && m2[0] == 'a') {
			m = m2 + 1;
		}
		if (m == NULL)
			continue;	/* refused */
		if (strcmp(m, s) == 0) {
			if (nr > 0 && hi[nr - 1] == c - 1 && lead[nr - 1] == ld) {
				hi[nr - 1] = c;
			} else {
				lo[nr] = hi[nr] = c;
				lead[nr++] = (char)ld;
			}
			continue;
		}
		row_start();
		printf("(%u, ", (unsigned)c);
		literal(m);
		printf(", %s)", ld ? "true" : "false");
	}
	table_start("rebound_idna_valid (lo, hi, lead)");
	for (size_t i = 0; i < nr; i++) {
		row_start();
		printf("(%u, %u, %s)", lo[i], hi[i], lead[i] ? "true" : "false");
	}
	puts(";");
	return 0;
}
