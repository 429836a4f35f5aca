/*
 * cli_store: how commands reach the store.  --db CONNINFO (or
 * $REBOUND_DB, or the built-in cluster) is opened and migrated; a
 * password inside --db is refused, because the command line is visible
 * to every user (ps): passwords belong in PGPASSWORD, ~/.pgpass or a
 * passfile= option.  Errors are printed (sanitised); NULL is returned.
 */
#ifndef RB_CLI_STORE_H
#define RB_CLI_STORE_H

#include <stdbool.h>

struct rb_store;

/* migrate: apply pending migrations first (commands that write or read
 * tables); false only for `db status`. */
struct rb_store *rb_cli_store(const char *db_opt, bool migrate);
/* The actor recorded for manual changes: --actor, else $REBOUND_ACTOR,
 * else the login name, else the uid. */
const char *rb_cli_actor(const char *opt);

#endif
