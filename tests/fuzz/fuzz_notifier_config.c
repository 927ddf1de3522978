/* fuzz_notifier_config: the notifier's configuration loader and its
 * cross-checks on arbitrary file contents (channels, templates, rules,
 * contacts, groups). Every error must name the file and a line; nothing may
 * crash or leak, whatever the file holds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ntf_conf.h"
#include "qf_community.h"

static struct qf_community *s_com;

/* libconfig 1.5's scanner leaks a byte or two on some malformed input (the
 * repository's fuzz_config target finds the same with this input:
 * "channels = ( ... url =0\"\"; ..."): Debian's library, not ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig_yylex\nleak:strbuf_append\n";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	const char *root = getenv("QF_ROOT");
	char com[4096];
	snprintf(com, sizeof com, "%s/config/community.cfg", root ? root : "..");
	if (access(com, R_OK))
		snprintf(com, sizeof com, "%s/config/community.cfg",
			 root ? root : "../..");
	struct qf_cfg_errors errs;
	memset(&errs, 0, sizeof errs);
	if (qf_community_load(com, &s_com, &errs))
		abort();
	return 0;
}

static char s_path[64];

static void s_unlink(void)
{
	if (s_path[0])
		unlink(s_path);
}

static void s_check(const struct qf_cfg_errors *e, const char *path)
{
	for (unsigned i = 0; i < e->n; i++)
		if (strncmp(e->msg[i], path, strlen(path)) != 0 ||
		    e->msg[i][strlen(path)] != ':')
			abort(); /* every error starts with file: */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = s_path;
	if (!path[0]) {
		snprintf(s_path, sizeof s_path, "/tmp/qf-fuzz-ntfcfg-%d.cfg", getpid());
		atexit(s_unlink);
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct ntf_conf c;
	memset(&c, 0, sizeof c);
	static struct qf_cfg_errors e;
	memset(&e, 0, sizeof e);
	int rc = ntf_conf_load(path, &c, &e);
	s_check(&e, path);
	if (rc == 0) {
		memset(&e, 0, sizeof e);
		e.file = path;
		/* stderr noise (missing key warning) is fine here */
		ntf_conf_check(&c, s_com, &e);
		s_check(&e, path);
	}
	ntf_conf_free(&c);
	return 0;
}
