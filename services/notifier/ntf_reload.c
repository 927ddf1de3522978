/* ntf_reload.c: generations of the configuration, SIGHUP (ntf_reload.h). */
#include "ntf_reload.h"
#include "qf_err.h"
#include "qf_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_report_all(const struct qf_cfg_errors *e, ntf_report_fn report, void *arg)
{
	for (unsigned i = 0; i < e->n; i++)
		report(arg, e->msg[i]);
}

/* ------------------------------------------------------------ restart-only */

/* Settings the running service was built from: the common sections (the
 * community file aside) and the key that opens contacts. */
static int s_restart_only(const char *path)
{
	static const char *const prefixes[] = {"service.", "http.",  "bus.",
					       "store.",   "curve.", NULL};
	if (strcmp(path, "service.community") == 0)
		return 0;
	if (strcmp(path, "contact.secret_key_file") == 0 ||
	    strcmp(path, "contact.required") == 0)
		return 1;
	for (const char *const *p = prefixes; *p; p++)
		if (strncmp(path, *p, strlen(*p)) == 0)
			return 1;
	return 0;
}

static int s_sources_same(const struct qf_svc_conf *a, const struct qf_svc_conf *b)
{
	if (a->nsources != b->nsources)
		return 0;
	for (unsigned i = 0; i < a->nsources; i++) {
		const char *x[] = {a->source_names[i], a->sources[i].pub_endpoint,
				   a->sources[i].replay_endpoint, a->source_key_files[i]};
		const char *y[] = {b->source_names[i], b->sources[i].pub_endpoint,
				   b->sources[i].replay_endpoint, b->source_key_files[i]};
		for (unsigned k = 0; k < 4; k++)
			if (strcmp(x[k] ? x[k] : "", y[k] ? y[k] : ""))
				return 0;
	}
	return 1;
}

static void s_value(const struct qf_cfg_setting *d, const void *conf, char *buf, size_t n)
{
	const char *p = (const char *)conf + d->offset;
	char q[300];
	switch (d->type) {
	case QF_CFG_INT:
		snprintf(buf, n, "%d", *(const int *)p);
		break;
	case QF_CFG_INT64:
		snprintf(buf, n, "%lld", (long long)*(const int64_t *)p);
		break;
	case QF_CFG_BOOL:
		snprintf(buf, n, "%s", *(const int *)p ? "true" : "false");
		break;
	case QF_CFG_DOUBLE:
		snprintf(buf, n, "%g", *(const double *)p);
		break;
	case QF_CFG_STRING: {
		const char *s = *(char *const *)p;
		snprintf(buf, n, "%s", qf_log_q(s && s[0] ? s : "\"\"", q, sizeof q));
		break;
	}
	default:
		snprintf(buf, n, "(list)");
	}
}

/* Compare each restart-only setting of `c` with the running `run`; warn
 * about every difference and put the running value back into c, so the
 * published configuration says what actually runs. */
static int s_keep_restart_only(struct ntf_conf *c, const struct ntf_conf *run)
{
	for (size_t i = 0; i < ntf_conf_table_len; i++) {
		const struct qf_cfg_setting *d = &ntf_conf_table[i];
		if (!s_restart_only(d->path))
			continue;
		char *pc = (char *)c + d->offset;
		const char *pr = (const char *)run + d->offset;
		int same;
		size_t size = 0;
		switch (d->type) {
		case QF_CFG_INT:
		case QF_CFG_BOOL:
			size = sizeof(int);
			break;
		case QF_CFG_INT64:
			size = sizeof(int64_t);
			break;
		case QF_CFG_DOUBLE:
			size = sizeof(double);
			break;
		default:
			break;
		}
		if (d->type == QF_CFG_STRING)
			same = strcmp(*(char **)pc ? *(char **)pc : "",
				      *(char *const *)pr ? *(char *const *)pr : "") == 0;
		else if (d->type == QF_CFG_CUSTOM)
			/* bus.sources: the consumer runs with the sources it was
			   opened with (qf_svc keeps the start's settings) */
			same = s_sources_same(&c->svc, &run->svc);
		else
			same = memcmp(pc, pr, size) == 0;
		if (same)
			continue;
		char now[320], want[320];
		s_value(d, run, now, sizeof now);
		s_value(d, c, want, sizeof want);
		qf_warn("reload_setting_ignored",
			"setting=%s running=%s configured=%s effect=\"needs a restart; "
			"the running value is kept\"",
			d->path, now, want);
		if (d->type == QF_CFG_STRING) {
			const char *v = *(char *const *)pr;
			char *copy = strdup(v ? v : "");
			if (!copy)
				return QF_ERR_NOMEM;
			free(*(char **)pc);
			*(char **)pc = copy;
		} else if (size) {
			memcpy(pc, pr, size);
		}
	}
	return 0;
}

/* ------------------------------------------------------------ generations */

void ntf_gen_free(struct ntf_gen **gp)
{
	if (!gp)
		return;
	struct ntf_gen *g = *gp;
	while (g) {
		struct ntf_gen *older = g->older;
		qf_tokens_free(&g->tokens);
		qf_community_free(&g->com);
		ntf_conf_free(&g->conf);
		free(g);
		g = older;
	}
	*gp = NULL;
}

int ntf_gen_load(const char *file, const struct ntf_gen *run, ntf_report_fn report,
		 void *arg, struct ntf_gen **out)
{
	*out = NULL;
	struct ntf_gen *g = calloc(1, sizeof *g);
	/* errs keeps the lines the settings were found on, for the checks made
	   after loading; other files (community, tokens) get their own */
	struct qf_cfg_errors *errs = calloc(1, sizeof *errs);
	struct qf_cfg_errors *other = calloc(1, sizeof *other);
	int rc = QF_ERR_NOMEM;
	if (!g || !errs || !other)
		goto fail;
	rc = ntf_conf_load(file, &g->conf, errs);
	s_report_all(errs, report, arg);
	if (rc)
		goto fail;
	if (run) {
		char diff[512];
		unsigned nd =
		    ntf_conf_keep_channels(&g->conf, &run->conf, diff, sizeof diff);
		if (nd) {
			char q[600];
			qf_warn("reload_channels_kept",
				"changed=%s effect=\"channel changes need a restart; the "
				"running channels are kept\"",
				qf_log_q(diff, q, sizeof q));
		}
	}
	char *cpath = qf_cfg_resolve(file, g->conf.svc.community);
	rc = cpath ? qf_community_load(cpath, &g->com, other) : QF_ERR_NOMEM;
	free(cpath);
	s_report_all(other, report, arg);
	if (rc)
		goto fail;
	errs->n = 0;
	errs->file = g->conf.file;
	rc = ntf_conf_check(&g->conf, g->com, errs);
	s_report_all(errs, report, arg);
	if (rc)
		goto fail;
	memset(other, 0, sizeof *other);
	char *tpath = qf_cfg_resolve(file, g->conf.tokens_file);
	rc = tpath ? qf_tokens_load(tpath, g->com, &g->tokens, other) : QF_ERR_NOMEM;
	free(tpath);
	s_report_all(other, report, arg);
	if (rc)
		goto fail;
	/* service.data_dir was resolved by qf_svc_conf_check (in ntf_conf_check) */
	if (run && (rc = s_keep_restart_only(&g->conf, &run->conf)))
		goto fail;
	free(errs);
	free(other);
	*out = g;
	return 0;
fail:
	if (rc == QF_ERR_NOMEM)
		report(arg, "out of memory while loading the configuration");
	free(errs);
	free(other);
	ntf_gen_free(&g);
	return rc ? rc : QF_ERR_CONFIG;
}

/* ------------------------------------------------------------ SIGHUP */

struct rlog {
	unsigned n;
};

static void s_log_error(void *arg, const char *msg)
{
	struct rlog *l = arg;
	char q[700];
	l->n++;
	qf_error("reload_error", "error=%s", qf_log_q(msg, q, sizeof q));
}

int ntf_reload(struct ntf *n)
{
	struct ntf_gen *cur = ntf_cur(n);
	struct ntf_gen *g = NULL;
	struct rlog l = {0};
	char fq[300];
	const char *file = qf_log_q(cur->conf.file, fq, sizeof fq);
	int rc = ntf_gen_load(cur->conf.file, cur, s_log_error, &l, &g);
	if (rc) {
		qf_metric_inc(n->m_reload_failed);
		qf_error("reload_failed",
			 "file=%s errors=%u generation=%u effect=\"the running "
			 "configuration is kept\"",
			 file, l.n, cur->no);
		return rc;
	}
	g->no = cur->no + 1;
	g->older = cur;
	/* the core thread's view: we are on it, between two turns */
	n->conf = &g->conf;
	n->com = g->com;
	/* other threads: everything g holds is written before the pointer is
	   (release); they load it with acquire (ntf_cur) */
	atomic_store_explicit(&n->gen, g, memory_order_release);
	qf_metric_inc(n->m_reload_ok);
	qf_info("reload_ok",
		"file=%s generation=%u rules=%u templates=%u groups=%u "
		"staff_contacts=%u channels=%u",
		file, g->no, g->conf.nrules, g->conf.ntemplates, g->conf.ngroups,
		g->conf.ncontacts, g->conf.nchannels);
	return 0;
}
