/*
 * testhook: fault injection for the test suite, and nothing else.
 *
 * A hook is read only when the process runs with REBOUND_TEST_HOOKS=1
 * (tests/run.sh sets it); otherwise every hook is off whatever the
 * environment holds, so a production process never crashes, stalls or
 * hangs because of a stray variable.  The hooks:
 *   CRASH_BEFORE_COMMIT, CRASH_AFTER_COMMIT  daemon: abort around a batch's COMMIT
 *   STALL_BATCH=SECONDS                      store: hold a batch transaction open
 *   PARSER_CRASH=MARKER, PARSER_HANG=MARKER  parser child: crash or hang on a
 *                                            mail that contains MARKER
 *   WORKER_STALL                             daemon: a worker stops making progress
 *   WATCHDOG_SECONDS=N                       daemon: the watchdog's bound, in seconds
 *   MIGRATION_SKIP=VERSION                   store: migrate as if VERSION and every
 *                                            later migration did not exist
 * each read from the variable REBOUND_TEST_<name>.
 */
#ifndef RB_TESTHOOK_H
#define RB_TESTHOOK_H

/* The hook's value (REBOUND_TEST_<name>), or NULL when it is unset,
 * empty, or the test switch is off. */
const char *rb_test_hook(const char *name);

#endif
