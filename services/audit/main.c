/* qf-audit: the transparency log of qingfeng. Parses arguments, loads and
 * checks the configuration, opens the service, runs the core loop, and
 * closes everything in reverse (audit.h has the map of the modules). */
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "audit.h"
#include "qf_access.h"
#include "qf_err.h"
#include "qf_log.h"

#define S(T, F) offsetof(T, F)
static const struct qf_cfg_setting s_settings[] = {
    QF_SVC_SETTINGS(struct audit_conf, svc, "audit", "8084", "tcp://127.0.0.1:5591",
		    "tcp://127.0.0.1:5592"),
    {"checkpoint.origin", QF_CFG_STRING, S(struct audit_conf, origin), "", 0, 255, NULL,
     "the log's origin line (default: the key's name)"},
    {"checkpoint.key_file", QF_CFG_STRING, S(struct audit_conf, key_file), "", 0, 4000,
     NULL, "signer key (qfctl audit keygen); empty: a development key in data_dir"},
    {"checkpoint.every_entries", QF_CFG_INT64, S(struct audit_conf, every_entries),
     "1000", 1, 1e12, NULL, "sign when this many entries are new"},
    {"checkpoint.every_seconds", QF_CFG_INT, S(struct audit_conf, every_seconds), "10", 1,
     86400, NULL, "sign at least this often while entries are new"},
    {"alerts.max_transfers", QF_CFG_INT, S(struct audit_conf, max_transfers), "3", 0,
     1000, NULL, "alert when a case is transferred more often"},
    {"alerts.contact_view_roles", QF_CFG_STRING, S(struct audit_conf, view_roles), "", 0,
     512, NULL, "roles that may view any petitioner's contact (comma-separated)"},
    {"alerts.contact_view_grace_s", QF_CFG_INT, S(struct audit_conf, view_grace_s), "30",
     0, 86400, NULL, "wait for the handling record before judging a contact view"},
    {"alerts.contact_view_max_wait_s", QF_CFG_INT, S(struct audit_conf, view_max_wait_s),
     "60", 1, 86400, NULL,
     "judge a contact view after this long even if a producer has not caught up"},
    {"alerts.clock_skew_ms", QF_CFG_INT, S(struct audit_conf, skew_ms), "5000", 0,
     3600000, NULL, "clock difference tolerated between producers"},
    {"alerts.gap_alert_s", QF_CFG_INT, S(struct audit_conf, gap_alert_s), "30", 1, 86400,
     NULL, "a stream gap not healed by replay this long is an alert"},
    {"public.pub", QF_CFG_STRING, S(struct audit_conf, public_pub), "", 0, 256, NULL,
     "PUB endpoint of the public event stream (every leaf, no CURVE); empty: off"},
    {"public.sndhwm", QF_CFG_INT, S(struct audit_conf, public_sndhwm), "100000", 1,
     10000000, NULL,
     "public stream high-water mark (beyond it leaves are dropped; "
     "subscribers read them from /v1/leaves)"},
    {"access.tokens_file", QF_CFG_STRING, S(struct audit_conf, tokens_file), "", 0, 4000,
     NULL, "staff bearer tokens for reading private parts; empty: no private reads"},
};
#define NSETTINGS (sizeof s_settings / sizeof s_settings[0])

static struct audit_conf s_conf;

static int s_tick(void *app)
{
	struct audit *a = app;
	int t1 = audit_ckpt_tick(a);
	int t2 = audit_rules_tick(a);
	int t3 = audit_pub_tick(a);
	if (t2 < t1)
		t1 = t2;
	return t3 < t1 ? t3 : t1;
}

static double s_size(void *arg)
{
	return (double)qf_merkle_log_committed(((struct audit *)arg)->log);
}

static double s_ckpt_size(void *arg) { return (double)((struct audit *)arg)->ckpt_size; }

static void s_metrics(struct audit *a, struct qf_metrics *m)
{
	qf_metrics_gauge_fn(m, "qf_audit_tree_size", "Leaves in the log (committed)",
			    NULL, s_size, a);
	qf_metrics_gauge_fn(m, "qf_audit_checkpoint_size",
			    "Tree size of the last checkpoint", NULL, s_ckpt_size, a);
	a->m_ckpts = qf_metrics_counter(m, "qf_audit_checkpoints_total",
					"Checkpoints signed", NULL);
	a->m_proofs =
	    qf_metrics_counter(m, "qf_audit_proofs_total", "Proofs served", NULL);
	a->m_published = qf_metrics_counter(m, "qf_audit_public_leaves_total",
					    "Leaves sent on the public stream", NULL);
	a->m_reads =
	    qf_metrics_counter(m, "qf_audit_private_reads_total",
			       "Private parts read (each a PRIVATE_READ event)", NULL);
	a->m_forgotten =
	    qf_metrics_counter(m, "qf_audit_subjects_forgotten_total",
			       "Subjects whose private parts retention deleted", NULL);
	for (int k = 1; k < 7; k++) {
		char l[64];
		snprintf(l, sizeof l, "kind=\"%s\"", audit_alert_kind_name(k));
		a->m_alerts[k] = qf_metrics_counter(m, "qf_audit_alerts_total",
						    "Irregularity alerts raised", l);
	}
}

int main(int argc, char **argv)
{
	struct qf_svc_args args;
	int code = 0;
	if (qf_svc_args_parse(argc, argv, "qf-audit", "config/audit.cfg", &args, &code))
		return code;
	if (args.print_settings) {
		qf_cfg_describe(stdout, s_settings, NSETTINGS);
		return 0;
	}
	if (args.print_routes) {
		qf_http_routes_print(audit_routes, audit_nroutes, stdout);
		return 0;
	}
	int bad = qf_svc_load_config(args.config, s_settings, NSETTINGS, &s_conf) != 0;
	if (bad && (!s_conf.svc.data_dir || !s_conf.svc.node || !s_conf.svc.log_level ||
		    !s_conf.origin || !s_conf.key_file || !s_conf.public_pub ||
		    !s_conf.tokens_file)) {
		fprintf(stderr, "%s: configuration has errors\n", args.config);
		return 1;
	}
	s_conf.svc.config_file = strdup(args.config);
	if (!s_conf.svc.config_file)
		return 1;
	/* cross-setting checks run even after table errors: report everything */
	struct qf_cfg_errors errs = {.file = args.config};
	bad |= qf_svc_conf_check(&s_conf.svc, &errs) != 0;
	bad |= audit_keys_check(&s_conf, &errs) != 0;
	bad |= audit_private_check(&s_conf, &errs) != 0;
	for (unsigned i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if (args.check_config || bad) {
		if (!bad)
			printf("%s: configuration ok\n", args.config);
		else
			fprintf(stderr, "%s: configuration has errors\n", args.config);
		qf_cfg_free(s_settings, NSETTINGS, &s_conf);
		qf_svc_conf_free(&s_conf.svc);
		return bad ? 1 : 0;
	}

	qf_log_init("audit", qf_log_level_parse(args.log_level ? args.log_level
							       : s_conf.svc.log_level));
	qf_svc_signals();
	int rc = 1;
	struct audit a = {.conf = &s_conf};
	struct qf_svc_opts o = {
	    .conf = &s_conf.svc,
	    .service = "audit",
	    .producer = 1,
	    .apply = audit_apply,
	    .on_incarnation = audit_on_incarnation,
	    .on_gap = audit_on_gap,
	};
	struct qf_svc_hooks hooks = {.tick = s_tick, .app = &a};
	if (qf_svc_open(&a.svc, &o, &hooks))
		goto out;
	a.store = qf_svc_store(a.svc);
	a.prod = qf_svc_producer(a.svc);
	a.clock = qf_svc_clock(a.svc);
	a.vault = qf_svc_vault(a.svc);
	int err;
	if ((err = audit_ingest_open(&a)) || (err = audit_rules_open(&a)) ||
	    (err = audit_private_open(&a))) {
		qf_error("open_failed", "error=\"%s\"", qf_strerror(err));
		goto out;
	}
	if (audit_keys_load(&a) || audit_ckpt_open(&a) || audit_pub_open(&a))
		goto out;
	s_metrics(&a, qf_svc_metrics(a.svc));
	static struct qf_access access;
	audit_access(&a, &access);
	qf_svc_set_access(a.svc, &access);
	if (qf_svc_http_start(a.svc, audit_routes, audit_nroutes, &a, audit_ready))
		goto out;
	qf_info("started", "size=%llu checkpoint=%llu origin=%s sources=%u",
		(unsigned long long)qf_merkle_log_committed(a.log),
		(unsigned long long)a.ckpt_size, a.origin, s_conf.svc.nsources);
	rc = qf_svc_run(a.svc) ? 1 : 0;
out:
	audit_pub_close(&a);
	qf_svc_destroy(&a.svc);
	audit_private_close(&a);
	qf_merkle_log_destroy(&a.log);
	audit_rules_close(&a);
	free(a.vkey);
	sodium_memzero(&a.signer, sizeof a.signer);
	qf_cfg_free(s_settings, NSETTINGS, &s_conf);
	qf_svc_conf_free(&s_conf.svc);
	qf_info("stopped", "rc=%d", rc);
	return rc;
}
