/*
 * transcript: SMTP transcripts that notices quote, read for the reply
 * that failed and the command it answered.
 */
#ifndef RB_TRANSCRIPT_H
#define RB_TRANSCRIPT_H

#include <stddef.h>

#include "lib/arena.h"

/*
 * Postfix's transcript ("In:  RCPT TO:<a>", "Out: 550 5.1.1 ..."): the
 * first failing reply (its continuation lines too), copied into the
 * arena, and in *cmd the command of the "In:" line above it (NULL when
 * none).  NULL when no "Out:" line carries a 4xx/5xx reply.
 */
const char *rb_transcript_inout_failure(struct rb_arena *a, const char *text,
					size_t len, const char **cmd);

#endif
