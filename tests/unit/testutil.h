/* testutil.h: small helpers shared by the unit tests (temporary dirs). */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh directory under /tmp; the caller removes it with tu_rmdir. */
static inline char *tu_tmpdir(const char *tag)
{
	char *d = malloc(128);
	snprintf(d, 128, "/tmp/qf-unit-%s-XXXXXX", tag);
	if (!mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}

static inline void tu_rmdir(char *d)
{
	if (!d)
		return;
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", d);
	free(d);
}

#endif
