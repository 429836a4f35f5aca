/* daemon/mailhead.h: header fields for the quarantine listing, read
 * without the MIME parser from hostile bytes. */
#include <stdlib.h>
#include <string.h>

#include "daemon/mailhead.h"
#include "t.h"

static const char *
get(const char *mail, const char *name)
{
	static char out[RB_MAILHEAD_MAX + 1];
	memset(out, 'x', sizeof out);
	return rb_mailhead_get(mail, strlen(mail), name, out) ? out : NULL;
}

int
main(void)
{
	const char *m = "Received: from a\r\n\tby b\r\n"
			"subject:  Undelivered\r\n  Mail  Returned\r\n"
			"Message-ID: <a@b>\r\n"
			"From: =?GB2312?B?xOO6ww==?= <postmaster@qq.com>\r\n"
			"\r\n"
			"Subject: not the header\r\n";
	T_STR(get(m, "Subject"), "Undelivered Mail Returned",
	      "folded value unfolded, blanks folded, name case-insensitive");
	T_STR(get(m, "Message-ID"), "<a@b>", "Message-ID");
	T_STR(get(m, "From"), "=?GB2312?B?xOO6ww==?= <postmaster@qq.com>",
	      "encoded words kept as they are");
	T_OK(get(m, "To") == NULL, "a field that is not there");
	T_OK(get("Subject: x\n\nMessage-ID: <body@x>\n", "Message-ID") == NULL,
	     "the body is not read");
	T_OK(get("X-Subject: no\nSubject: yes\n", "Subject") != NULL &&
		 !strcmp(get("X-Subject: no\nSubject: yes\n", "Subject"), "yes"),
	     "a field whose name ends with the name is another field");
	T_STR(get("Subject: a\x01" "b\xff" "c\n", "Subject"), "a?b?c",
	      "control characters and invalid UTF-8 replaced");
	T_OK(get("Subject:   \n", "Subject") == NULL, "an empty value");
	/* a long value is cut at a character boundary */
	char *big = malloc(5000);
	strcpy(big, "Subject: ");
	for (int i = 0; i < 1000; i++)
		strcat(big, "\xe4\xb8\xad");	/* U+4E2D, 3 bytes */
	strcat(big, "\n");
	const char *v = get(big, "Subject");
	T_OK(v && strlen(v) == 198 && strlen(v) % 3 == 0,
	     "cut to at most 200 bytes, whole characters");
	free(big);
	/* a header past 64 KiB is not looked at */
	char *far = malloc(70000 + 64);
	memset(far, 0, 70000 + 64);
	for (int i = 0; i < 7000; i++)
		memcpy(far + i * 10, "X-Pad: 12\n", 10);
	strcat(far, "Subject: late\n\n");
	T_OK(get(far, "Subject") == NULL, "only the first 64 KiB are read");
	free(far);
	return t_failed != 0;
}
