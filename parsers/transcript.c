/* transcript: SMTP transcripts quoted in notices (implementation). */
#include "transcript.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "module.h"
#include "text.h"
#include "textline.h"

/* Postfix's transcript ("In:  RCPT TO:<a>", "Out: 550 5.1.1 ..."): the
 * first failing reply (its continuation lines too) and the command it
 * answered.  Returns the reply (arena) or NULL. */
const char *
rb_transcript_inout_failure(struct rb_arena *a, const char *text, size_t len,
			    const char **cmd)
{
	size_t pos = 0, ll;
	const char *line, *last_cmd = NULL;	/* of the last In: line */
	char diag[RB_LINE_DIAG_MAX];
	size_t dl = 0;
	bool in_reply = false;
	while (rb_next_line(text, len, &pos, &line, &ll)) {
		size_t i = 0;
		while (i < ll && (line[i] == ' ' || line[i] == '\t'))
			i++;
		const char *t = line + i;
		size_t tl = ll - i;
		bool is_in = tl >= 3 && strncasecmp(t, "In:", 3) == 0;
		bool is_out = tl >= 4 && strncasecmp(t, "Out:", 4) == 0;
		if (in_reply) {
			/* "Out: 550-..." lines and indented continuations
			 * belong to the reply; anything else ends it */
			if (is_out) {
				size_t k = 4;
				while (k < tl && t[k] == ' ')
					k++;
				if (k + 3 < tl && t[k] == diag[0] &&
				    t[k + 3] != ' ' && t[k + 3] != '-')
					break;
				if (k < tl && t[k] == diag[0]) {
					rb_line_join(diag, &dl, t + k, tl - k);
					continue;
				}
				break;
			}
			if (!is_in && i > 0 && tl > 0) {
				rb_line_join(diag, &dl, t, tl);
				continue;
			}
			break;
		}
		if (is_in) {
			size_t k = 3;
			while (k < tl && t[k] == ' ')
				k++;
			last_cmd = rb_smtp_verb(t + k, tl - k);
			continue;
		}
		if (!is_out)
			continue;
		size_t k = 4;
		while (k < tl && t[k] == ' ')
			k++;
		if (k + 2 < tl && (t[k] == '4' || t[k] == '5') &&
		    isdigit((unsigned char)t[k + 1]) &&
		    isdigit((unsigned char)t[k + 2])) {
			rb_line_join(diag, &dl, t + k, tl - k);
			in_reply = true;
		}
	}
	if (dl == 0)
		return NULL;
	*cmd = last_cmd;
	return rb_arena_strndup(a, diag, dl);
}
