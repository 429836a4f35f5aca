/* The IMAP response scanner: limits on lines, literals and commands, and
 * sizes checked in 64 bits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/respscan.h"
#include "t.h"

static int
feed(struct rb_respscan *s, const char *text)
{
	return rb_respscan_feed(s, text, strlen(text));
}

/* the same text one byte at a time */
static int
feed_bytes(struct rb_respscan *s, const char *text)
{
	for (; *text; text++)
		if (rb_respscan_feed(s, text, 1) != 0)
			return -1;
	return 0;
}

int
main(void)
{
	struct rb_respscan s;
	static const struct rb_respscan_size ann[] = {{5, 10}, {7, 500}};

	rb_respscan_init(&s);
	rb_respscan_command(&s, 100, 1000, 0, ann, 2);
	T_OK(feed(&s, "* 1 FETCH (UID 5 BODY[] {10}\r\n0123456789)\r\n") == 0,
	     "a literal of its announced size passes");
	T_OK(feed_bytes(&s, "* 2 FETCH (UID 7 BODY[] {500}\r\n") == 0 &&
		 s.literal_left == 500,
	     "byte by byte: the literal is seen");
	char body[500];
	memset(body, '\n', sizeof body);	/* newlines inside a literal */
	T_OK(rb_respscan_feed(&s, body, sizeof body) == 0 &&
		 feed(&s, ")\r\n") == 0,
	     "newlines inside a literal are not lines");
	T_OK(feed(&s, "* 3 FETCH (UID 5 BODY[] {11}\r\n") != 0 &&
		 strstr(s.err, "larger than its RFC822.SIZE 10"),
	     "a literal larger than the announced size: %s", s.err);
	rb_respscan_free(&s);

	rb_respscan_init(&s);
	rb_respscan_command(&s, 100, 1000, 0, NULL, 0);
	T_OK(feed(&s, "* 1 FETCH (UID 9 BODY[] {4000000000}\r\n") != 0 &&
		 strstr(s.err, "over the limit of 1000"),
	     "a literal over the limit: %s", s.err);
	rb_respscan_init(&s);
	rb_respscan_command(&s, 100, 0, 0, NULL, 0);
	T_OK(feed(&s, "* 1 FETCH (UID 9 BODY[] {18446744073709551616}\r\n") !=
		 0,
	     "a literal size beyond 64 bits: %s", s.err);

	rb_respscan_init(&s);
	rb_respscan_command(&s, 64, 0, 0, NULL, 0);
	char line[200];
	memset(line, 'x', sizeof line);
	T_OK(feed(&s, "* OK short\r\n") == 0, "a short line passes");
	T_OK(rb_respscan_feed(&s, line, sizeof line) != 0 &&
		 strstr(s.err, "longer than 64"),
	     "an endless line stops at the limit: %s", s.err);

	rb_respscan_init(&s);
	rb_respscan_command(&s, 0, 0, 0, NULL, 0);
	T_OK(feed(&s, "* 1 FETCH (UID 5 RFC822.SIZE 4294967796)\r\n") == 0 &&
		 rb_respscan_size(&s, 5) == 4294967796ULL &&
		 rb_respscan_size(&s, 6) == 0,
	     "an RFC822.SIZE over 32 bits is kept whole");
	T_OK(feed(&s, "* 2 FETCH (RFC822.SIZE 500 UID 4294967297)\r\n") != 0,
	     "a UID over 32 bits: %s", s.err);
	rb_respscan_free(&s);
	rb_respscan_init(&s);
	rb_respscan_command(&s, 0, 0, 0, NULL, 0);
	T_OK(feed(&s, "* OK [HIGHESTMODSEQ 123456789012345] UID 99999999999 "
		      "is fine in text\r\n") == 0,
	     "numbers outside FETCH responses are not checked");
	rb_respscan_command(&s, 0, 0, 100, NULL, 0);
	int r = 0;
	for (int i = 0; i < 20 && r == 0; i++)
		r = feed(&s, "* 1 EXPUNGE\r\n");
	T_OK(r != 0 && strstr(s.err, "more than 100 bytes"),
	     "many short lines stop at the command's budget: %s", s.err);
	rb_respscan_free(&s);
	return t_failed != 0;
}
