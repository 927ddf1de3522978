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
#include "qf_access.h"
#include "ntf_dispatch.h"
#include "ntf_reload.h"
#include "ntf_sender.h"
#include "qf_err.h"
#include "qf_log.h"

/* A key file that appears after the start is loaded within 10 s. */
static void s_key_poll(struct ntf *n)
{
	static int64_t next;
	int64_t now = qf_mono_ms();
	if (ntf_keys_ready(&n->keys) || now < next)
		return;
	next = now + 10000;
	/* contact.secret_key_file needs a restart: every generation has the
	   start's */
	const struct ntf_conf *c = n->conf;
	char err[512];
	if (ntf_keys_load(&n->keys, c->file, c->seal_secret_file, err, sizeof err) == 0)
		qf_info("contact_key_loaded", "file=%s", c->seal_secret_file);
}

static int s_tick(void *app)
{
	struct ntf *n = app;
	s_key_poll(n);
	return ntf_dispatch_tick(n->dispatch);
}

/* SIGHUP (core thread): rules, templates and the rest, see ntf_reload.h */
static void s_reload(void *app) { ntf_reload(app); }

static void s_wake(void *arg) { qf_svc_wake(arg); }

static void s_print(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

/* Load and check everything; prints every problem. */
static int s_configure(const char *file, struct ntf *n, struct ntf_gen **out)
{
	struct ntf_gen *g = NULL;
	int rc = ntf_gen_load(file, NULL, s_print, NULL, &g);
	if (rc)
		return rc;
	char err[512];
	if (!g->conf.seal_key_missing &&
	    (rc = ntf_keys_load(&n->keys, file, g->conf.seal_secret_file, err,
				sizeof err))) {
		fprintf(stderr, "%s:0: setting 'contact.secret_key_file': %s\n", file,
			err);
		ntf_gen_free(&g);
		return rc;
	}
	g->no = 1;
	*out = g;
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
	if (a.print_settings) {
		qf_cfg_describe(stdout, ntf_conf_table, ntf_conf_table_len);
		return 0;
	}
	if (a.print_routes) {
		qf_http_routes_print(ntf_routes, ntf_nroutes, stdout);
		return 0;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "qf-notifier: cannot initialise libsodium\n");
		return 1;
	}
	struct ntf n;
	memset(&n, 0, sizeof n);
	struct ntf_gen *boot = NULL;
	int rc = s_configure(a.config, &n, &boot);
	if (a.check_config) {
		if (!rc)
			printf("%s: configuration ok (%u channels, %u templates, %u "
			       "rules)\n",
			       a.config, boot->conf.nchannels, boot->conf.ntemplates,
			       boot->conf.nrules);
		ec = rc ? 1 : 0;
		goto out_conf;
	}
	if (rc) {
		ec = 1;
		goto out_conf;
	}
	/* the start's generation: qf_svc keeps pointing at its common settings,
	   the dispatcher and the sender at its channels (reloads share them) */
	n.conf = &boot->conf;
	n.com = boot->com;
	atomic_store_explicit(&n.gen, boot, memory_order_release);
	struct ntf_conf *bconf = &boot->conf;
	qf_log_init("notifier", (enum qf_log_level)qf_log_level_parse(
				    a.log_level ? a.log_level : bconf->svc.log_level));
	qf_svc_signals();
	if (!ntf_keys_ready(&n.keys))
		qf_warn("contact_key_missing",
			"file=%s effect=\"petitioners and followers wait "
			"until the key file appears\"",
			bconf->seal_secret_file);
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		qf_error("curl_init_failed", "error=libcurl");
		ec = 1;
		goto out_conf;
	}
	struct qf_svc_opts so = {
	    .conf = &bconf->svc,
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
	n.m_expired = qf_metrics_counter(
	    m, "qf_notifier_private_expired_total",
	    "Subjects whose private data was forgotten (PRIVATE_EXPIRED)", NULL);
	n.m_reload_ok = qf_metrics_counter(m, "qf_notifier_reloads_total",
					   "Configuration reloads (SIGHUP) by result",
					   "result=\"ok\"");
	n.m_reload_failed = qf_metrics_counter(m, "qf_notifier_reloads_total",
					       "Configuration reloads (SIGHUP) by result",
					       "result=\"failed\"");
	if ((rc = ntf_db_open(n.store, &n.db))) {
		qf_error("store_dbs_failed", "error=\"%s\"", qf_strerror(rc));
		ec = 1;
		goto out_svc;
	}
	if ((rc = ntf_dispatch_new(&n.dispatch, &n)) ||
	    (rc = ntf_sender_start(&n.sender, &n.keys, n.clock, bconf->nchannels, s_wake,
				   svc))) {
		qf_error("start_failed", "error=\"%s\"", qf_strerror(rc));
		ec = 1;
		goto out_dispatch;
	}
	static struct qf_access access;
	ntf_api_access(&n, &access);
	qf_svc_set_access(svc, &access);
	if (qf_svc_http_start(svc, ntf_routes, ntf_nroutes, &n, ntf_api_ready)) {
		ec = 1;
		goto out_dispatch;
	}
	qf_info("started",
		"node=%s channels=%u rules=%u templates=%u follow=%s sources=%u",
		bconf->svc.node, bconf->nchannels, bconf->nrules, bconf->ntemplates,
		bconf->follow_enabled ? "on" : "off", bconf->svc.nsources);
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
	ntf_db_close(&n.db);
out_curl:
	curl_global_cleanup();
out_conf:
	/* every thread that read a generation has stopped: free them all */
	struct ntf_gen *last = atomic_load_explicit(&n.gen, memory_order_acquire);
	if (last)
		boot = last; /* the newest: the older ones hang behind it */
	ntf_gen_free(&boot);
	ntf_keys_wipe(&n.keys);
	return ec;
}
