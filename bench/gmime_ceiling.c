/*
 * The ceiling the MIME library sets: parse each file with gmime and walk
 * its parts (the work rebound cannot avoid), nothing else.  Prints the
 * number of messages parsed.  Used by scripts/bench.sh only.
 *
 *   gmime_ceiling FILE...
 */
#include <stdio.h>
#include <stdlib.h>

#include <gmime/gmime.h>

static void
count_part(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	(void)parent;
	(void)part;
	(*(unsigned long *)data)++;
}

int
main(int argc, char **argv)
{
	unsigned long msgs = 0, parts = 0;
	g_mime_init();
	for (int i = 1; i < argc; i++) {
		GMimeStream *s = g_mime_stream_file_open(argv[i], "rb", NULL);
		if (s == NULL)
			continue;
		GMimeParser *p = g_mime_parser_new_with_stream(s);
		GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
		if (m != NULL) {
			g_mime_message_foreach(m, count_part, &parts);
			msgs++;
			g_object_unref(m);
		}
		g_object_unref(p);
		g_object_unref(s);
	}
	printf("%lu messages, %lu parts\n", msgs, parts);
	g_mime_shutdown();
	return 0;
}
