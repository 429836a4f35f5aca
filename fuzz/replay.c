/*
 * Replays files (or directories of files) through the fuzz target, for
 * the normal test run.  Prints "ok"/"not ok" lines like the unit tests.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count;

static void
run_path(const char *p)
{
	struct stat st;
	if (stat(p, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(p);
		struct dirent *de;
		while (d && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			char sub[4096];
			snprintf(sub, sizeof(sub), "%s/%s", p, de->d_name);
			run_path(sub);
		}
		if (d)
			closedir(d);
		return;
	}
	size_t n;
	char *buf = rb_read_file(p, &n);
	if (buf == NULL)
		return;
	LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
	free(buf);
	count++;
}

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		run_path(argv[i]);
	/* reaching here means no crash and no sanitizer report */
	printf("%s - fuzz seed replay (%d inputs)\n", count > 0 ? "ok" : "not ok",
	       count);
	return count > 0 ? 0 : 1;
}
