/* fuzz_config: the configuration loader (libconfig + the settings table +
 * the community file loader) on arbitrary file contents. Errors must be
 * reported, never crash; every error names a file and line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qf_community.h"
#include "qf_svc.h"

struct conf {
	struct qf_svc_conf svc;
	int answer;
	char *text;
};

static const struct qf_cfg_setting s_table[] = {
	QF_SVC_SETTINGS(struct conf, svc, "fuzz", "8080", "tcp://127.0.0.1:5551",
			"tcp://127.0.0.1:5552"),
	{"app.answer", QF_CFG_INT, offsetof(struct conf, answer), "42", 0, 100, NULL, ""},
	{"app.text", QF_CFG_STRING, offsetof(struct conf, text), "", 0, 64, NULL, ""},
};

static void s_check(const struct qf_cfg_errors *e, const char *path)
{
	for (unsigned i = 0; i < e->n; i++)
		if (strncmp(e->msg[i], path, strlen(path)) != 0 ||
		    e->msg[i][strlen(path)] != ':')
			abort(); /* every error starts with file: */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (!path[0])
		snprintf(path, sizeof path, "/tmp/qf-fuzz-config-%d.cfg", getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct conf c;
	memset(&c, 0, sizeof c);
	static struct qf_cfg_errors e;
	memset(&e, 0, sizeof e);
	qf_cfg_load(path, s_table, sizeof s_table / sizeof s_table[0], &c, &e);
	s_check(&e, path);
	qf_cfg_free(s_table, sizeof s_table / sizeof s_table[0], &c);
	qf_svc_conf_free(&c.svc);
	memset(&e, 0, sizeof e);
	struct qf_community *com = NULL;
	if (qf_community_load(path, &com, &e) == 0) {
		qf_calendar_add_working(com, 1700000000000, 3600000);
		qf_community_free(&com);
	}
	s_check(&e, path);
	return 0;
}
