/*
 * man: the manual pages rebound(1) and rebound.conf(5), in roff, written
 * from the tables the program itself runs on, so that they cannot drift
 * from `rebound --help` and `rebound config check`:
 *   - rebound(1): the command table of cli/main.c (name, arguments,
 *     summary) and each command's own `--help` text;
 *   - rebound.conf(5): the key table of core/config.c (name, section,
 *     type, bounds, choices), the defaults the parser fills in, and the
 *     built-in suppression policy.  The description of each key is kept
 *     here; a key of the table without a description, or a description
 *     of a key the table lacks, makes rb_man_conf() fail (exit 1) instead
 *     of writing an incomplete page.
 * `make man` runs the hidden `rebound help --man` and `--man-conf`.
 */
#ifndef RB_MAN_H
#define RB_MAN_H

#include <stdio.h>

struct rb_man_cmd {
	const char *name, *args, *summary;
	int (*run)(int argc, char **argv);	/* for its --help text */
};

/* rebound(1) from cmds (ended by a NULL name): 0, or 1 on error. */
int rb_man_rebound(FILE *f, const struct rb_man_cmd *cmds);
/* rebound.conf(5): 0, or 1 (with a message on stderr) on error. */
int rb_man_conf(FILE *f);

#endif
