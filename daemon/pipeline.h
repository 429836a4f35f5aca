/*
 * pipeline: all new mail of one folder, in four threads.
 *
 * The fetcher thread lists and fetches batch n+1 on connection 1 while
 * the parser thread parses batch n in the parser child (counting failed
 * attempts on its own database connection), the calling (main) thread
 * stores batch n-1 in one transaction, and the mover thread carries out
 * the server actions of what has committed on connection 2.  They meet
 * in one mutex-protected hand-over per stage (struct mbx).  Every thread
 * is joined before run_pipeline returns, whatever failed; what was
 * committed but not moved stays in imap_pending for the next pass.
 *
 * SIGTERM or SIGHUP: the batch in the main thread's hands is finished,
 * batches fetched or parsed ahead are dropped (read again next time).
 */
#ifndef RB_DAEMON_PIPELINE_H
#define RB_DAEMON_PIPELINE_H

#include <stdint.h>

struct mbx;

/* Read the folder b->folder (selected on b->imap) from the cursor *last
 * on; *last follows the commits.  An ST_ code. */
int run_pipeline(struct mbx *b, uint32_t *last);

#endif
