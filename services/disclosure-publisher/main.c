/* main.c: qf-disclosure, the disclosure-publisher. Parse arguments, load
 * and check the configuration and the community file, open the service
 * (store, producer, consumer), start HTTP with the public routes, run; or,
 * with --export DIR, write the static site from the store and exit. */
#include "apply.h"
#include "auditlink.h"
#include "dp.h"
#include "export.h"
#include "dash.h"
#include "live.h"
#include "stats.h"
#include "web.h"

#include "qf_access.h"
#include "qf_err.h"
#include "qf_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C(f) offsetof(struct dp_conf, f)
static const struct qf_cfg_setting s_settings[] = {
    QF_SVC_SETTINGS(struct dp_conf, svc, "disclosure", "8083", "tcp://127.0.0.1:5581",
		    "tcp://127.0.0.1:5582"),
    {"disclosure.title", QF_CFG_STRING, C(title), "", 0, 200, NULL,
     "site title (empty: the community's name)"},
    {"disclosure.public_url", QF_CFG_STRING, C(public_url), "http://127.0.0.1:8083", 0,
     500, NULL, "absolute base URL of this service (feeds, exports)"},
    {"disclosure.intake_url", QF_CFG_STRING, C(intake_url), "http://127.0.0.1:8080", 0,
     500, NULL, "intake's base URL: where residents question an item"},
    {"disclosure.question_path", QF_CFG_STRING, C(question_path), "/", 0, 200,
     NULL, "intake's petition endpoint (form posts there)"},
    {"disclosure.audit_url", QF_CFG_STRING, C(audit_url), "http://127.0.0.1:8084", 0, 500,
     NULL, "audit service's base URL as this service reaches it"},
    {"disclosure.audit_public_url", QF_CFG_STRING, C(audit_public_url), "", 0, 500, NULL,
     "audit's address as the public reaches it, for links on pages (empty: audit_url)"},
    {"disclosure.audit_link", QF_CFG_BOOL, C(audit_link), "true", 0, 0, NULL,
     "look up each snapshot announcement in the audit log (GET /v1/streams, /v1/leaves)"},
    {"disclosure.page_size", QF_CFG_INT, C(page_size), "20", 1, 500, NULL,
     "cases per page by default"},
    {"disclosure.max_page_size", QF_CFG_INT, C(max_page_size), "100", 1, 1000, NULL,
     "largest page_size a client may ask for"},
    {"disclosure.live_keep", QF_CFG_INT, C(live_keep), "200", 10, 100000, NULL,
     "recent live events kept for the dashboard"},
    {"disclosure.sse_max_clients", QF_CFG_INT, C(sse_max_clients), "256", 1, 100000, NULL,
     "live dashboard connections at most"},
    {"disclosure.sse_keepalive_s", QF_CFG_INT, C(sse_keepalive_s), "15", 1, 3600, NULL,
     "seconds between keep-alive comments on the event stream"},
    {"disclosure.location_decimals", QF_CFG_INT, C(location_decimals), "3", 0, 6, NULL,
     "decimals of latitude/longitude published (0: none)"},
    {"disclosure.satisfied_min_rating", QF_CFG_INT, C(satisfied_min), "4", 1, 5, NULL,
     "a rating at or above this counts as satisfied"},
    {"disclosure.feed_entries", QF_CFG_INT, C(feed_entries), "50", 1, 1000, NULL,
     "entries per Atom feed"},
    {"disclosure.export_cases", QF_CFG_INT, C(export_cases), "500", 1, 1000000, NULL,
     "cases written to a static export (newest first)"},
};
#define NSETTINGS (sizeof s_settings / sizeof s_settings[0])

static int s_url_ok(const char *u)
{
	return !strncmp(u, "http://", 7) || !strncmp(u, "https://", 8);
}

/* Cross checks beyond the table; every error names its setting. */
static int s_check(struct dp_conf *c, struct qf_cfg_errors *errs)
{
	int rc = qf_svc_conf_check(&c->svc, errs);
	const struct {
		const char *name, *value;
	} urls[] = {{"disclosure.public_url", c->public_url},
		    {"disclosure.intake_url", c->intake_url},
		    {"disclosure.audit_url", c->audit_url},
		    {"disclosure.audit_public_url",
		     c->audit_public_url[0] ? c->audit_public_url : c->audit_url}};
	for (size_t i = 0; i < 4; i++)
		if (!s_url_ok(urls[i].value) || strpbrk(urls[i].value, " \"'<>")) {
			qf_cfg_error(errs, NULL, urls[i].name,
				     "'%s' is not an http:// or https:// URL",
				     urls[i].value);
			rc = QF_ERR_CONFIG;
		}
	if (c->question_path[0] != '/' || strpbrk(c->question_path, " \"'<>")) {
		qf_cfg_error(errs, NULL, "disclosure.question_path",
			     "must be a path starting with /");
		rc = QF_ERR_CONFIG;
	}
	if (c->page_size > c->max_page_size) {
		qf_cfg_error(errs, NULL, "disclosure.page_size",
			     "%d is above disclosure.max_page_size %d", c->page_size,
			     c->max_page_size);
		rc = QF_ERR_CONFIG;
	}
	return rc;
}

static int s_ready(void *ctx)
{
	struct dp *dp = ctx;
	return qf_svc_ready(dp->svc);
}

static int s_tick(void *app) { return live_tick(app); }

/* Staff phones of the community file, digits only: the masker keeps them
 * (a notice may give an office number on purpose). */
static int s_allow_list(struct dp *dp)
{
	struct qf_community *c = dp->community;
	dp->allow = calloc(c->nstaff + 1, sizeof *dp->allow);
	if (!dp->allow)
		return QF_ERR_NOMEM;
	for (unsigned i = 0; i < c->nstaff; i++) {
		const char *p = c->staff[i].phone ? c->staff[i].phone : "";
		char d[40];
		size_t n = 0;
		for (; *p && n < sizeof d - 1; p++)
			if (*p >= '0' && *p <= '9')
				d[n++] = *p;
		d[n] = '\0';
		if (n >= 7 && !(dp->allow[dp->nallow] = strdup(d)))
			return QF_ERR_NOMEM;
		if (n >= 7)
			dp->nallow++;
	}
	return QF_OK;
}

static void s_reload(void *app)
{
	struct dp *dp = app;
	struct qf_cfg_errors errs = {0};
	struct qf_community *c = NULL;
	if (qf_community_load(dp->community_path, &c, &errs)) {
		for (unsigned i = 0; i < errs.n; i++)
			qf_warn("reload_failed", "error=\"%s\"", errs.msg[i]);
		return;
	}
	pthread_rwlock_wrlock(&dp->community_lock);
	struct qf_community *old = dp->community;
	dp->community = c;
	pthread_rwlock_unlock(&dp->community_lock);
	qf_community_free(&old);
	qf_info("reloaded", "community=%s", dp->community_path);
}

static void s_world(void *svc, const struct qf_community **c, const struct qf_tokens **t)
{
	(void)svc;
	*c = NULL;
	*t = NULL;
}

int main(int argc, char **argv)
{
	struct qf_svc_args args;
	int code = 0;
	if (qf_svc_args_parse(argc, argv, "qf-disclosure", "config/disclosure.cfg", &args,
			      &code))
		return code;
	if (args.print_settings) {
		qf_cfg_describe(stdout, s_settings, NSETTINGS);
		return 0;
	}
	if (args.print_routes) {
		qf_http_routes_print(dp_routes, dp_nroutes, stdout);
		return 0;
	}
	static struct dp_conf conf;
	struct qf_cfg_errors errs = {0};
	int rc = qf_svc_load_config(args.config, s_settings, NSETTINGS, &conf);
	conf.svc.config_file = strdup(args.config);
	errs.file = args.config;
	if (rc == QF_OK)
		rc = s_check(&conf, &errs);
	struct dp dp = {0};
	dp.conf = &conf;
	pthread_rwlock_init(&dp.community_lock, NULL);
	pthread_mutex_init(&dp.status_lock, NULL);
	pthread_mutex_init(&dp.cache_lock, NULL);
	if (rc == QF_OK) {
		dp.community_path = qf_cfg_resolve(args.config, conf.svc.community);
		struct qf_cfg_errors cerrs = {0};
		if (!dp.community_path ||
		    qf_community_load(dp.community_path, &dp.community, &cerrs)) {
			for (unsigned i = 0; i < cerrs.n; i++)
				fprintf(stderr, "%s\n", cerrs.msg[i]);
			rc = QF_ERR_CONFIG;
		}
	}
	for (unsigned i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if (args.check_config) {
		if (rc == QF_OK)
			printf("%s: configuration ok\n", args.config);
		code = rc == QF_OK ? 0 : 1;
		goto out_conf;
	}
	if (rc) {
		code = 1;
		goto out_conf;
	}
	const char *lvl = args.log_level ? args.log_level : conf.svc.log_level;
	int level = qf_log_level_parse(lvl);
	qf_log_init("disclosure", level < 0 ? QF_LOG_INFO : (enum qf_log_level)level);
	qf_svc_signals();
	snprintf(dp.title, sizeof dp.title, "%s",
		 conf.title[0] ? conf.title : dp.community->name);
	if (s_allow_list(&dp)) {
		code = 1;
		goto out_conf;
	}
	struct qf_svc_opts o = {
	    .conf = &conf.svc,
	    .service = "disclosure",
	    .producer = !args.export_dir,
	    .apply = args.export_dir ? NULL : dp_apply,
	    .on_incarnation = dp_on_incarnation,
	    .public_only = 1, /* the board is a public surface: public parts only */
	};
	struct qf_svc_hooks hooks = {.tick = s_tick, .reload = s_reload, .app = &dp};
	if (qf_svc_open(&dp.svc, &o, &hooks)) {
		code = 1;
		goto out_conf;
	}
	dp.store = qf_svc_store(dp.svc);
	dp.prod = qf_svc_producer(dp.svc);
	dp.clock = qf_svc_clock(dp.svc);
	if ((rc = dp_db_open(&dp))) {
		qf_error("store_failed", "error=\"%s\"", qf_strerror(rc));
		code = 1;
		goto out_svc;
	}
	if (args.export_dir) {
		rc = dp_export(&dp, args.export_dir);
		code = rc ? 1 : 0;
		goto out_svc;
	}
	if ((rc = sse_hub_new(&dp.hub, (unsigned)conf.sse_max_clients, 512))) {
		code = 1;
		goto out_svc;
	}
	if (conf.audit_link && auditlink_start(&dp.alink, &dp)) {
		code = 1;
		goto out_svc;
	}
	/* no staff here: the gate only checks that every route is public */
	static const struct qf_access access = {s_world, NULL, NULL};
	qf_svc_set_access(dp.svc, &access);
	if (qf_svc_http_start(dp.svc, dp_routes, dp_nroutes, &dp, s_ready)) {
		code = 1;
		goto out_svc;
	}
	qf_info("started", "node=%s http=%d community=%s", conf.svc.node,
		conf.svc.http_port, dp.community->code);
	qf_svc_run(dp.svc);
	sse_hub_close(dp.hub);
out_svc:
	auditlink_stop(&dp.alink);
	qf_svc_destroy(&dp.svc);
	sse_hub_destroy(&dp.hub);
	live_pending_free(&dp);
out_conf:
	for (unsigned i = 0; i < dp.nallow; i++)
		free(dp.allow[i]);
	free(dp.allow);
	qf_community_free(&dp.community);
	free(dp.community_path);
	pthread_rwlock_destroy(&dp.community_lock);
	free(dp.status_json);
	pthread_mutex_destroy(&dp.status_lock);
	stats_cache_free(&dp);
	pthread_mutex_destroy(&dp.cache_lock);
	qf_svc_conf_free(&conf.svc);
	qf_cfg_free(s_settings, NSETTINGS, &conf);
	return code;
}
