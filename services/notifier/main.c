/* qf-notifier: tells the right people, over the channels they use, exactly
 * as often as needed.
 *
 * main is thin: arguments, configuration (settings table + cross-checks
 * against the community file), then the service struct, the core loop and
 * teardown in reverse. The modules: ntf_conf (configuration), ntf_consume +
 * ntf_facts + ntf_plan (events -> deliveries), ntf_queue (delivery states
 * and outcome events), ntf_dispatch (what goes out now), ntf_sender (the
 * libcurl thread), ntf_channel (wire formats), ntf_follow and ntf_api
 * (HTTP), ntf_keys (sealed contacts), ntf_store (records and indexes).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ntf.h"
#include "ntf_api.h"
#include "ntf_dispatch.h"
#include "ntf_sender.h"
#include "qf_err.h"
#include "qf_log.h"

static struct ntf_conf s_conf;

/* A key file that appears after the start is loaded within 10 s. */
static void s_key_poll(struct ntf *n)
{
	static int64_t next;
	int64_t now = qf_mono_ms();
	if (ntf_keys_ready(&n->keys) || now < next)
		return;
	next = now + 10000;
	char err[512];
	if (ntf_keys_load(&n->keys, s_conf.file, s_conf.seal_secret_file, err,
			  sizeof err) == 0)
		qf_info("contact_key_loaded", "file=%s", s_conf.seal_secret_file);
}

static int s_tick(void *app)
{
	struct ntf *n = app;
	s_key_poll(n);
	return ntf_dispatch_tick(n->dispatch);
}

static void s_reload(void *app)
{
	(void)app;
	qf_warn("reload_ignored",
		"reason=\"rules, templates and channels are read at start; "
		"restart the notifier to apply changes\"");
}

static void s_wake(void *arg) { qf_svc_wake(arg); }

static void s_print(const struct qf_cfg_errors *e)
{
	for (unsigned i = 0; i < e->n; i++)
		fprintf(stderr, "%s\n", e->msg[i]);
}

/* Load and check everything; prints every problem. */
static int s_configure(const char *file, struct ntf *n)
{
	static struct qf_cfg_errors errs;
	memset(&errs, 0, sizeof errs);
	int rc = ntf_conf_load(file, &s_conf, &errs);
	s_print(&errs);
	if (rc)
		return rc;
	memset(&errs, 0, sizeof errs);
	char *cpath = qf_cfg_resolve(file, s_conf.svc.community);
	rc = cpath ? qf_community_load(cpath, &n->com, &errs) : QF_ERR_NOMEM;
	free(cpath);
	s_print(&errs);
	if (rc)
		return rc;
	memset(&errs, 0, sizeof errs);
	errs.file = file;
	rc = ntf_conf_check(&s_conf, n->com, &errs);
	s_print(&errs);
	if (rc)
		return rc;
	memset(&errs, 0, sizeof errs);
	char *tpath = qf_cfg_resolve(file, s_conf.tokens_file);
	rc = tpath ? qf_tokens_load(tpath, n->com, &n->tokens, &errs) : QF_ERR_NOMEM;
	free(tpath);
	s_print(&errs);
	if (rc)
		return rc;
	char err[512];
	if (!s_conf.seal_key_missing &&
	    (rc = ntf_keys_load(&n->keys, file, s_conf.seal_secret_file, err,
				sizeof err))) {
		fprintf(stderr, "%s:0: setting 'contact.secret_key_file': %s\n", file,
			err);
		return rc;
	}
	char *dd = qf_cfg_resolve(file, s_conf.svc.data_dir);
	if (!dd)
		return QF_ERR_NOMEM;
	free(s_conf.svc.data_dir);
	s_conf.svc.data_dir = dd;
	n->conf = &s_conf;
	return 0;
}

int main(int argc, char **argv)
{
	/* before any jansson use: opened contacts never linger in freed memory */
	ntf_keys_wiping_json_alloc();
	struct qf_svc_args a;
	int ec = 0;
	if (qf_svc_args_parse(argc, argv, "qf-notifier", "config/notifier.cfg", &a, &ec))
		return ec;
	if (sodium_init() < 0) {
		fprintf(stderr, "qf-notifier: cannot initialise libsodium\n");
		return 1;
	}
	struct ntf n;
	memset(&n, 0, sizeof n);
	int rc = s_configure(a.config, &n);
	if (a.check_config) {
		if (!rc)
			printf("%s: configuration ok (%u channels, %u templates, %u "
			       "rules)\n",
			       a.config, s_conf.nchannels, s_conf.ntemplates,
			       s_conf.nrules);
		ec = rc ? 1 : 0;
		goto out_conf;
	}
	if (rc) {
		ec = 1;
		goto out_conf;
	}
	qf_log_init("notifier", (enum qf_log_level)qf_log_level_parse(
				    a.log_level ? a.log_level : s_conf.svc.log_level));
	qf_svc_signals();
	if (!ntf_keys_ready(&n.keys))
		qf_warn("contact_key_missing",
			"file=%s effect=\"petitioners and followers wait "
			"until the key file appears\"",
			s_conf.seal_secret_file);
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		qf_error("curl_init_failed", "error=libcurl");
		ec = 1;
		goto out_conf;
	}
	struct qf_svc_opts so = {
	    .conf = &s_conf.svc,
	    .service = "notifier",
	    .producer = 1,
	    .apply = ntf_consume_apply,
	};
	struct qf_svc_hooks hooks = {.tick = s_tick, .reload = s_reload, .app = &n};
	struct qf_svc *svc = NULL;
	if (qf_svc_open(&svc, &so, &hooks)) {
		ec = 1;
		goto out_curl;
	}
	n.svc = svc;
	n.store = qf_svc_store(svc);
	n.prod = qf_svc_producer(svc);
	n.clock = qf_svc_clock(svc);
	struct qf_metrics *m = qf_svc_metrics(svc);
	n.m_created = qf_metrics_counter(
	    m, "qf_notifier_deliveries_created_total",
	    "Deliveries written (one per recipient and channel)", NULL);
	n.m_unaddressed = qf_metrics_counter(
	    m, "qf_notifier_unaddressed_total",
	    "Intended recipients without an address on a channel", NULL);
	n.m_ignored = qf_metrics_counter(
	    m, "qf_notifier_events_malformed_total",
	    "Events skipped because their payload did not decode", NULL);
	n.m_released = qf_metrics_counter(m, "qf_notifier_released_total",
					  "Dead letters released by operators", NULL);
	n.m_follows = qf_metrics_counter(m, "qf_notifier_follows_confirmed_total",
					 "Follows confirmed", NULL);
	if ((rc = ntf_db_open(n.store, &n.db))) {
		qf_error("store_dbs_failed", "error=\"%s\"", qf_strerror(rc));
		ec = 1;
		goto out_svc;
	}
	if ((rc = ntf_dispatch_new(&n.dispatch, &n)) ||
	    (rc = ntf_sender_start(&n.sender, &n.keys, n.clock, s_conf.nchannels, s_wake,
				   svc))) {
		qf_error("start_failed", "error=\"%s\"", qf_strerror(rc));
		ec = 1;
		goto out_dispatch;
	}
	if (qf_svc_http_start(svc, ntf_routes, ntf_nroutes, &n, ntf_api_ready)) {
		ec = 1;
		goto out_dispatch;
	}
	qf_info("started",
		"node=%s channels=%u rules=%u templates=%u follow=%s sources=%u",
		s_conf.svc.node, s_conf.nchannels, s_conf.nrules, s_conf.ntemplates,
		s_conf.follow_enabled ? "on" : "off", s_conf.svc.nsources);
	qf_svc_run(svc);
	/* finish what is in flight (bounded), record its outcomes, then stop */
	ntf_dispatch_pause(n.dispatch, 1);
	for (int i = 0; i < 60 && ntf_dispatch_inflight(n.dispatch); i++) {
		usleep(50000);
		ntf_dispatch_tick(n.dispatch);
	}
	qf_info("stopped", "inflight_abandoned=%u", ntf_dispatch_inflight(n.dispatch));
out_dispatch:
	ntf_sender_stop(&n.sender);
	ntf_dispatch_destroy(&n.dispatch);
out_svc:
	qf_svc_destroy(&svc);
out_curl:
	curl_global_cleanup();
out_conf:
	qf_tokens_free(&n.tokens);
	qf_community_free(&n.com);
	ntf_keys_wipe(&n.keys);
	ntf_conf_free(&s_conf);
	return ec;
}
