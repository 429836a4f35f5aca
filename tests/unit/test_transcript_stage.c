/* The SMTP stage of a Sendmail-style transcript: the command a failed
 * reply answers, with and without PIPELINING (rb_smtp_command_find). */
#include <string.h>

#include "parsers/module.h"
#include "t.h"

static const struct {
	const char *text, *want, *why;
} cases[] = {
    {">>> RCPT To:<a@example.jp>\n<<< 550 5.1.1 User unknown\n", "RCPT",
     "one command, its reply"},
    {">>> MAIL From:<s@example.org>\n<<< 250 ok\n>>> RCPT To:<a@example.jp>\n"
     "<<< 550 User unknown\n",
     "RCPT", "commands answered one by one"},
    {">>> MAIL From:<s@example.org> SIZE=10\n>>> RCPT To:<a@example.jp>\n"
     ">>> DATA\n<<< 250 2.1.0 Sender ok\n<<< 550 <a@example.jp>... User "
     "unknown\n<<< 503 5.0.0 Need RCPT (recipient)\n",
     "RCPT", "pipelined group: the second reply answers the second command"},
    {">>> DATA\n<<< 550 5.7.1 <a@example.jp>: Recipient address rejected: "
     "User unknown\n550 5.1.1 <a@example.jp>... User unknown\n<<< 554 5.5.1 "
     "Error: no valid recipients\n",
     "DATA", "only DATA shown: read as DATA's (Sisimai's reading)"},
    {">>> DATA\n<<< 354 Enter mail\n>>> .\n<<< 554 5.7.1 Message rejected\n",
     "DATA", "the reply to the end of the message"},
    {">>> DATA\n<<< 554 5.7.1 Message rejected as spam\n", "DATA",
     "one reply to DATA"},
    {">>> MAIL From:<s@example.org>\n>>> RCPT To:<a@example.jp>\n"
     "<<< 553-5.1.8 Sender domain\n<<< 553 5.1.8 does not exist\n"
     "<<< 503 Need MAIL\n",
     "MAIL", "a multi-line reply counts once"},
};

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got =
		    rb_smtp_command_find(cases[i].text, strlen(cases[i].text));
		T_STR(got, cases[i].want, "%s", cases[i].why);
	}
	return t_failed != 0;
}
