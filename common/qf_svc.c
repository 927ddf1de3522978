/* qf_svc.c: command line, common configuration, signals and the core loop
 * shared by every service (qf_svc.h). */
#include "qf_svc.h"
#include "qf_access.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_procmetrics.h"
#include "qf_version.h"
#include "qf_vault.h"
#include "qf_zap.h"

#include <errno.h>
#include <stdatomic.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t qf_svc_stop_flag;
volatile sig_atomic_t qf_svc_reload_flag;

static void s_on_stop(int sig)
{
	(void)sig;
	qf_svc_stop_flag = 1;
}

static void s_on_hup(int sig)
{
	(void)sig;
	qf_svc_reload_flag = 1;
}

void qf_svc_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = s_on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = s_on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* ------------------------------------------------------------ config */

int qf_svc_parse_sources(const struct qf_cfg_setting *def, config_setting_t *s,
			 void *conf, struct qf_cfg_errors *errs)
{
	struct qf_svc_conf *c = (struct qf_svc_conf *)((char *)conf + def->offset);
	c->nsources = 0;
	if (!s)
		return QF_OK;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		qf_cfg_error(errs, s, NULL, "must be a list ( { pub = ...; replay = ...; }, ... )");
		return QF_ERR_CONFIG;
	}
	int rc = QF_OK;
	int n = config_setting_length(s);
	if (n > QF_SVC_MAX_SOURCES) {
		qf_cfg_error(errs, s, NULL, "at most %d sources", QF_SVC_MAX_SOURCES);
		return QF_ERR_CONFIG;
	}
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			qf_cfg_error(errs, g, NULL, "must be a group { pub = ...; replay = ...; }");
			rc = QF_ERR_CONFIG;
			continue;
		}
		const char *name = "", *pub = NULL, *replay = NULL, *key = "";
		if (qf_cfg_member_str(g, "name", 1, &name, errs) ||
		    qf_cfg_member_str(g, "pub", 0, &pub, errs) ||
		    qf_cfg_member_str(g, "replay", 0, &replay, errs) ||
		    qf_cfg_member_str(g, "server_key_file", 1, &key, errs)) {
			rc = QF_ERR_CONFIG;
			continue;
		}
		for (int m = 0; m < config_setting_length(g); m++) {
			const char *mn = config_setting_name(config_setting_get_elem(g, (unsigned)m));
			if (strcmp(mn, "name") && strcmp(mn, "pub") && strcmp(mn, "replay") &&
			    strcmp(mn, "server_key_file") && strcmp(mn, "accepts")) {
				qf_cfg_error(errs, config_setting_get_elem(g, (unsigned)m), NULL,
					     "unknown setting (name, pub, replay, server_key_file, "
					     "accepts)");
				rc = QF_ERR_CONFIG;
			}
		}
		unsigned k = c->nsources++;
		/* the event types this producer is granted (default: all) */
		config_setting_t *acc = config_setting_get_member(g, "accepts");
		c->sources[k].naccepts = 0;
		c->sources[k].accepts = c->source_accepts[k];
		for (int a = 0; acc && a < config_setting_length(acc); a++) {
			config_setting_t *ae = config_setting_get_elem(acc, (unsigned)a);
			const char *tn = config_setting_get_string(ae);
			int type = tn ? qf_event_type_parse(tn) : -1;
			if (type <= 0 || a >= 64) {
				qf_cfg_error(errs, ae, NULL,
					     "accepts names event types of the catalogue "
					     "(\"PETITION_SUBMITTED\", ...)");
				rc = QF_ERR_CONFIG;
				continue;
			}
			c->source_accepts[k][c->sources[k].naccepts++] = type;
		}
		c->sources[k].pub_endpoint = strdup(pub);
		c->sources[k].replay_endpoint = strdup(replay);
		c->source_names[k] = strdup(name);
		c->source_key_files[k] = strdup(key);
		if (!c->sources[k].pub_endpoint || !c->sources[k].replay_endpoint ||
		    !c->source_names[k] || !c->source_key_files[k])
			return QF_ERR_NOMEM;
	}
	return rc;
}

void qf_svc_conf_free(struct qf_svc_conf *c)
{
	for (unsigned i = 0; i < c->nsources; i++) {
		free((char *)c->sources[i].pub_endpoint);
		free((char *)c->sources[i].replay_endpoint);
		free(c->source_names[i]);
		free(c->source_key_files[i]);
	}
	c->nsources = 0;
	free(c->config_file);
	c->config_file = NULL;
}

static int s_read_key(const char *base, const char *file, char out[41],
		      const char *setting, struct qf_cfg_errors *errs)
{
	char *path = qf_cfg_resolve(base, file);
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f) {
		qf_cfg_error(errs, NULL, setting, "cannot read key file '%s': %s", file,
			     strerror(errno));
		free(path);
		return QF_ERR_CONFIG;
	}
	char line[256] = "";
	/* the key is the first 40-character word ('#' is a Z85 character, so
	   a line is a comment only if its first word is not a key) */
	int ok = 0;
	while (fgets(line, sizeof line, f)) {
		size_t l = strcspn(line, " \t\r\n");
		if (line[0] == '#' && l != 40)
			continue;
		if (l == 40) {
			memcpy(out, line, 40);
			out[40] = '\0';
			ok = 1;
		}
		break;
	}
	fclose(f);
	free(path);
	if (!ok) {
		qf_cfg_error(errs, NULL, setting, "'%s' holds no 40-character Z85 key", file);
		return QF_ERR_CONFIG;
	}
	return QF_OK;
}

/* A relative data_dir is relative to the configuration file's directory,
 * like every path in a configuration file; made absolute here so that the
 * service may chdir or resolve it again without harm. */
static int s_resolve_data_dir(struct qf_svc_conf *c)
{
	if (!c->data_dir || c->data_dir[0] == '/' || !c->config_file)
		return QF_OK;
	char *rel = qf_cfg_resolve(c->config_file, c->data_dir);
	if (!rel)
		return QF_ERR_NOMEM;
	char *abs = rel;
	if (rel[0] != '/') {
		char cwd[4096];
		if (!getcwd(cwd, sizeof cwd) || asprintf(&abs, "%s/%s", cwd, rel) < 0) {
			free(rel);
			return QF_ERR_IO;
		}
		free(rel);
	}
	free(c->data_dir);
	c->data_dir = abs;
	return QF_OK;
}

int qf_svc_endpoint_local(const char *ep)
{
	if (!ep)
		return 1;
	if (!strncmp(ep, "ipc://", 6) || !strncmp(ep, "inproc://", 9))
		return 1;
	if (strncmp(ep, "tcp://", 6))
		return 0;
	const char *h = ep + 6;
	return !strncmp(h, "127.", 4) || !strncmp(h, "localhost:", 10) ||
	       !strncmp(h, "[::1]:", 6);
}

/* Every bus endpoint, named by its setting, for the plaintext check. */
static int s_plaintext_endpoint(const struct qf_svc_conf *c, unsigned i,
				const char **ep, char *setting, size_t n)
{
	if (i == 0) {
		*ep = c->bus_pub;
		snprintf(setting, n, "bus.pub");
	} else if (i == 1) {
		*ep = c->bus_replay;
		snprintf(setting, n, "bus.replay");
	} else if (i - 2 < 2 * c->nsources) {
		unsigned k = (i - 2) / 2;
		*ep = (i % 2) ? c->sources[k].replay_endpoint : c->sources[k].pub_endpoint;
		snprintf(setting, n, "bus.sources.[%u].%s", k, (i % 2) ? "replay" : "pub");
	} else {
		return 0;
	}
	return 1;
}

int qf_svc_conf_plaintext(const struct qf_svc_conf *c)
{
	const char *ep;
	char setting[64];
	if (c->curve_enabled)
		return 0;
	for (unsigned i = 0; s_plaintext_endpoint(c, i, &ep, setting, sizeof setting); i++)
		if (!qf_svc_endpoint_local(ep))
			return 1;
	return 0;
}

int qf_svc_conf_check(struct qf_svc_conf *c, struct qf_cfg_errors *errs)
{
	int rc = QF_OK;
	if (!c->curve_enabled && !c->allow_plaintext) {
		const char *ep;
		char setting[64];
		for (unsigned i = 0; s_plaintext_endpoint(c, i, &ep, setting, sizeof setting);
		     i++) {
			if (qf_svc_endpoint_local(ep))
				continue;
			qf_cfg_error(errs, NULL, setting,
				     "'%s' is beyond loopback and curve.enabled is false: every "
				     "event, private parts included, would cross the network in "
				     "clear and anyone reaching it could publish or read (turn "
				     "CURVE on, or set bus.allow_plaintext = true to accept that)",
				     ep);
			rc = QF_ERR_CONFIG;
		}
	}
	if (s_resolve_data_dir(c)) {
		qf_cfg_error(errs, NULL, "service.data_dir", "cannot resolve the path");
		rc = QF_ERR_CONFIG;
	}
	if (c->instance >= c->instances) {
		qf_cfg_error(errs, NULL, "bus.instance",
			     "instance %d must be below bus.instances %d", c->instance,
			     c->instances);
		rc = QF_ERR_CONFIG;
	}
	if (qf_log_level_parse(c->log_level) < 0) {
		qf_cfg_error(errs, NULL, "service.log_level",
			     "'%s' is not debug, info, warn or error", c->log_level);
		rc = QF_ERR_CONFIG;
	}
	if (!c->node[0]) {
		qf_cfg_error(errs, NULL, "service.node", "must not be empty");
		rc = QF_ERR_CONFIG;
	}
	if (c->curve_enabled) {
		if (s_read_key(c->config_file, c->curve_public_file, c->curve_public,
			       "curve.public_key_file", errs) ||
		    s_read_key(c->config_file, c->curve_secret_file, c->curve_secret,
			       "curve.secret_key_file", errs))
			rc = QF_ERR_CONFIG;
		for (unsigned i = 0; i < c->nsources; i++) {
			char setting[64];
			snprintf(setting, sizeof setting, "bus.sources.[%u].server_key_file", i);
			if (!c->source_key_files[i][0]) {
				qf_cfg_error(errs, NULL, setting,
					     "required when curve.enabled is true");
				rc = QF_ERR_CONFIG;
				continue;
			}
			if (s_read_key(c->config_file, c->source_key_files[i], c->source_keys[i],
				       setting, errs))
				rc = QF_ERR_CONFIG;
			else
				c->sources[i].server_key = c->source_keys[i];
		}
		if (!c->curve_allow_file[0]) {
			qf_cfg_error(errs, NULL, "curve.allow_file",
				     "required when curve.enabled is true (the ZAP allow-list)");
			rc = QF_ERR_CONFIG;
		}
	}
	return rc;
}

int qf_svc_load_config(const char *file, const struct qf_cfg_setting *table,
		       size_t n, void *conf)
{
	static struct qf_cfg_errors errs;
	memset(&errs, 0, sizeof errs);
	int rc = qf_cfg_load(file, table, n, conf, &errs);
	for (unsigned i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	return rc;
}

/* ------------------------------------------------------------ arguments */

int qf_svc_args_parse(int argc, char **argv, const char *prog,
		      const char *default_config, struct qf_svc_args *a,
		      int *exit_code)
{
	static const struct option longs[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'k'},
		{"log-level", required_argument, NULL, 'l'},
		{"export", required_argument, NULL, 'e'},
		{"settings", no_argument, NULL, 's'},
		{"routes", no_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	memset(a, 0, sizeof *a);
	a->config = default_config;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "c:hV", longs, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->config = optarg;
			break;
		case 'k':
			a->check_config = 1;
			break;
		case 'l':
			a->log_level = optarg;
			break;
		case 'e':
			a->export_dir = optarg;
			break;
		case 's':
			a->print_settings = 1;
			break;
		case 'r':
			a->print_routes = 1;
			break;
		case 'V':
			printf("%s (qingfeng) %s, event catalogue %s\n", prog, QF_VERSION,
			       QF_CATALOGUE);
			*exit_code = 0;
			return 1;
		case 'h':
			printf("usage: %s [--config FILE] [--check-config] [--log-level LEVEL]\n"
			       "  --config FILE     configuration (default %s)\n"
			       "  --check-config    check the configuration and exit\n"
			       "  --log-level L     debug, info, warn or error\n"
			       "  --settings        list every setting (Markdown) and exit\n"
			       "  --routes          list every HTTP route with its access-policy\n"
			       "                    action (JSON lines) and exit\n",
			       prog, default_config);
			*exit_code = 0;
			return 1;
		default:
			fprintf(stderr, "usage: %s [--config FILE] [--check-config]\n", prog);
			*exit_code = 2;
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		*exit_code = 2;
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------ core */

struct qf_svc {
	struct qf_svc_opts o;
	struct qf_svc_hooks hooks;
	struct qf_svc_conf *conf;
	void *zctx;
	struct qf_zap *zap;
	struct qf_store *store;
	struct qf_vault *vault;
	const struct qf_access *access; /* the HTTP gate's callbacks (the app's) */
	int plaintext;                  /* bus beyond loopback without CURVE */
	int64_t plaintext_warned;       /* mono ms of the last warning */
	struct qf_gc *gc;
	struct qf_bus_producer *prod;
	struct qf_bus_consumer *cons;
	struct qf_http *http;
	struct qf_metrics *metrics;
	struct qf_clock clock;
	int wake_fd[2];
	atomic_int caught_up_once; /* set by the core loop, read by HTTP threads */
	struct qf_metric *m_gc_batches, *m_gc_jobs;
};

static double s_store_used(void *arg)
{
	return (double)qf_store_used_bytes(arg);
}

static double s_store_map(void *arg)
{
	return (double)qf_store_map_size(arg);
}

static double s_gc_queued(void *arg)
{
	return (double)qf_gc_queued(arg);
}

static double s_zap_denied(void *arg)
{
	return (double)qf_zap_denied(arg);
}

int qf_svc_open(struct qf_svc **out, const struct qf_svc_opts *o,
		const struct qf_svc_hooks *hooks)
{
	char err[512];
	int rc;
	struct qf_svc *s = calloc(1, sizeof *s);
	if (!s)
		return QF_ERR_NOMEM;
	s->o = *o;
	if (hooks)
		s->hooks = *hooks;
	s->conf = o->conf;
	s->wake_fd[0] = s->wake_fd[1] = -1;
	qf_clock_from_env(&s->clock);
	if ((rc = qf_id_init()))
		goto fail_msg;
	if ((rc = qf_metrics_new(&s->metrics)) ||
	    (rc = qf_procmetrics_register(s->metrics, o->service)))
		goto fail_msg;
	s->zctx = zmq_ctx_new();
	if (!s->zctx) {
		rc = QF_ERR_BUS;
		goto fail_msg;
	}
	struct qf_bus_curve curve = {0};
	if (s->conf->curve_enabled) {
		char *allow = qf_cfg_resolve(s->conf->config_file, s->conf->curve_allow_file);
		rc = allow ? qf_zap_start(&s->zap, s->zctx, allow, err, sizeof err)
			   : QF_ERR_NOMEM;
		free(allow);
		if (rc) {
			qf_error("zap_failed", "error=%s", err);
			goto fail;
		}
		curve.public_key = s->conf->curve_public;
		curve.secret_key = s->conf->curve_secret;
	}
	struct qf_store_opts so = {.path = s->conf->data_dir,
				   .map_size = (size_t)s->conf->map_size_mb << 20};
	rc = qf_store_open(&s->store, &so, err, sizeof err);
	if (rc) {
		qf_error("store_open_failed", "path=%s error=\"%s\"", s->conf->data_dir, err);
		goto fail;
	}
	if ((rc = qf_vault_open(&s->vault, s->store))) {
		qf_error("vault_open_failed", "path=%s error=\"%s\"", s->conf->data_dir,
			 qf_strerror(rc));
		goto fail;
	}
	qf_metrics_gauge_fn(s->metrics, "qf_store_used_bytes", "LMDB data in use", NULL,
			    s_store_used, s->store);
	qf_metrics_gauge_fn(s->metrics, "qf_store_map_bytes", "LMDB map size", NULL,
			    s_store_map, s->store);
	if ((rc = qf_gc_new(&s->gc, s->store, o->gc_batch)))
		goto fail_msg;
	qf_metrics_gauge_fn(s->metrics, "qf_group_commit_queue_depth",
			    "Writes waiting for the next group commit", NULL, s_gc_queued,
			    s->gc);
	/* always exported (0 without CURVE) so dashboards need no special case */
	qf_metrics_counter_fn(s->metrics, "qf_zap_denied_total",
			      "Connections refused by the CURVE allow-list", NULL, s_zap_denied,
			      s->zap);
	if (o->producer) {
		struct qf_bus_producer_opts po = {
			.name = s->conf->node,
			.partitions = (uint32_t)s->conf->partitions,
			.pub_endpoint = s->conf->bus_pub,
			.replay_endpoint = s->conf->bus_replay,
			.sndhwm = s->conf->sndhwm,
			.retain = (uint64_t)s->conf->bus_retain,
			.heartbeat_ms = s->conf->heartbeat_ms,
			.curve = s->conf->curve_enabled ? &curve : NULL,
			.vault = s->vault,
		};
		rc = qf_bus_producer_new(&s->prod, s->zctx, s->store, &s->clock, &po, err,
					 sizeof err);
		if (rc) {
			qf_error("producer_failed", "error=\"%s\"", err);
			goto fail;
		}
		qf_bus_producer_metrics(s->prod, s->metrics);
		char epoch[17];
		uint64_t e = qf_bus_producer_epoch(s->prod);
		uint8_t eb[8];
		qf_be64_put(eb, e);
		qf_info("producer_ready", "producer=%s epoch=%s partitions=%d pub=%s replay=%s",
			s->conf->node, qf_hex(eb, 8, epoch), s->conf->partitions,
			s->conf->bus_pub, s->conf->bus_replay);
	}
	if (o->apply && s->conf->nsources) {
		struct qf_bus_consumer_opts co = {
			.name = s->conf->node,
			.sources = s->conf->sources,
			.nsources = s->conf->nsources,
			.part_mod = (uint32_t)s->conf->instances,
			.part_rem = (uint32_t)s->conf->instance,
			.rcvhwm = s->conf->rcvhwm,
			.batch_max = (unsigned)s->conf->batch_max,
			.curve = s->conf->curve_enabled ? &curve : NULL,
			.public_only = o->public_only,
			.apply = o->apply,
			.on_incarnation = o->on_incarnation,
			.on_gap = o->on_gap,
			.app = s->hooks.app,
		};
		rc = qf_bus_consumer_new(&s->cons, s->zctx, s->store, &s->clock, &co, err,
					 sizeof err);
		if (rc) {
			qf_error("consumer_failed", "error=\"%s\"", err);
			goto fail;
		}
		qf_bus_consumer_metrics(s->cons, s->metrics);
	}
	if (pipe(s->wake_fd)) {
		rc = QF_ERR_IO;
		goto fail_msg;
	}
	s->m_gc_batches = qf_metrics_counter(s->metrics, "qf_group_commit_batches_total",
					     "Group-commit transactions", NULL);
	s->m_gc_jobs = qf_metrics_counter(s->metrics, "qf_group_commit_jobs_total",
					  "Requests committed by group commit", NULL);
	*out = s;
	return QF_OK;
fail_msg:
	qf_error("service_open_failed", "error=\"%s\"", qf_strerror(rc));
fail:
	qf_svc_destroy(&s);
	return rc;
}

int qf_svc_http_start(struct qf_svc *s, const struct qf_http_route *routes,
		      size_t n, void *ctx, int (*ready)(void *ctx))
{
	return qf_svc_http_start2(s, routes, n, ctx, ready, NULL);
}

/* The access log: the request id ties it to the client's and proxies'
 * logs; no path, query or address is written (they can be personal). */
static void s_access_log(void *ctx, const struct qf_http_log_line *l)
{
	(void)ctx;
	qf_info("http", "id=%s method=%s route=%s status=%u ms=%.1f", l->request_id,
		l->method, l->route, l->status, l->ms);
}

int qf_svc_http_start2(struct qf_svc *s, const struct qf_http_route *routes,
		       size_t n, void *ctx, int (*ready)(void *ctx),
		       void (*health)(void *ctx, json_t *obj))
{
	char err[256], title[64];
	snprintf(title, sizeof title, "qingfeng %s", s->o.service ? s->o.service : "");
	struct qf_http_opts ho = {
		.bind_addr = s->conf->http_bind,
		.port = (uint16_t)s->conf->http_port,
		.threads = (unsigned)s->conf->http_threads,
		.max_body = (size_t)s->conf->http_max_body,
		.routes = routes,
		.nroutes = n,
		.ctx = ctx,
		.metrics = s->metrics,
		.ready = ready,
		.health = health,
		.gate = s->access ? qf_access_gate : NULL,
		.access_log = s->conf->http_access_log ? s_access_log : NULL,
		.title = title,
		.gate_ctx = (void *)s->access,
	};
	int rc = qf_http_start(&s->http, &ho, err, sizeof err);
	if (rc) {
		qf_error("http_failed", "error=\"%s\"", err);
		return rc;
	}
	qf_info("http_listening", "addr=%s port=%u", s->conf->http_bind,
		qf_http_port(s->http));
	return QF_OK;
}

void qf_svc_wake(struct qf_svc *s)
{
	char c = 1;
	ssize_t w = write(s->wake_fd[1], &c, 1);
	(void)w;
}

int qf_svc_ready(struct qf_svc *s)
{
	return !s->cons || atomic_load(&s->caught_up_once);
}

static void s_gc_turn(struct qf_svc *s)
{
	uint64_t b0, j0, b1, j1;
	qf_gc_stats(s->gc, &b0, &j0);
	int rc = qf_gc_run(s->gc, NULL, NULL);
	if (rc < 0)
		qf_error("group_commit_failed", "error=\"%s\"", qf_strerror(rc));
	qf_gc_stats(s->gc, &b1, &j1);
	qf_metric_add(s->m_gc_batches, (double)(b1 - b0));
	qf_metric_add(s->m_gc_jobs, (double)(j1 - j0));
}

/* The operator's opt-out of CURVE beyond loopback is said once a minute. */
static void s_plaintext_warn(struct qf_svc *s)
{
	if (!s->plaintext)
		return;
	int64_t now = qf_mono_ms();
	if (now < s->plaintext_warned + 60000)
		return;
	s->plaintext_warned = now;
	qf_warn("bus_plaintext",
		"detail=\"bus endpoints beyond loopback without CURVE (bus.allow_plaintext): "
		"events cross the network in clear and unauthenticated\"");
}

int qf_svc_run(struct qf_svc *s)
{
	zmq_pollitem_t items[64];
	s->plaintext = qf_svc_conf_plaintext(s->conf);
	s->plaintext_warned = -60000;
	while (!qf_svc_stop_flag) {
		s_plaintext_warn(s);
		int n = 0, timeout = 1000;
		int i_router = -1, i_gc, i_wake, i_cons = -1, ncons = 0, i_app = -1, napp = 0;
		if (s->prod) {
			i_router = n;
			items[n++] = (zmq_pollitem_t){qf_bus_producer_replay_socket(s->prod), 0,
						      ZMQ_POLLIN, 0};
			int t = qf_bus_producer_tick(s->prod);
			if (t < timeout)
				timeout = t;
		}
		i_gc = n;
		items[n++] = (zmq_pollitem_t){NULL, qf_gc_fd(s->gc), ZMQ_POLLIN, 0};
		i_wake = n;
		items[n++] = (zmq_pollitem_t){NULL, s->wake_fd[0], ZMQ_POLLIN, 0};
		if (s->cons) {
			i_cons = n;
			ncons = qf_bus_consumer_pollitems(s->cons, items + n, 32);
			n += ncons;
			int t = qf_bus_consumer_tick(s->cons);
			if (t < timeout)
				timeout = t;
		}
		if (s->hooks.tick) {
			int t = s->hooks.tick(s->hooks.app);
			if (t >= 0 && t < timeout)
				timeout = t;
		}
		if (s->hooks.pollitems) {
			i_app = n;
			napp = s->hooks.pollitems(s->hooks.app, items + n, 64 - n);
			n += napp;
		}
		int rc = zmq_poll(items, n, timeout);
		if (rc < 0 && zmq_errno() != EINTR) {
			qf_error("poll_failed", "error=\"%s\"", zmq_strerror(zmq_errno()));
			break;
		}
		if (qf_svc_reload_flag) {
			qf_svc_reload_flag = 0;
			qf_info("reload", "signal=SIGHUP");
			if (s->hooks.reload)
				s->hooks.reload(s->hooks.app);
		}
		if (s->cons && !atomic_load(&s->caught_up_once) &&
		    qf_bus_consumer_caught_up(s->cons))
			atomic_store(&s->caught_up_once, 1);
		if (rc <= 0)
			continue;
		if (i_router >= 0 && (items[i_router].revents & ZMQ_POLLIN))
			qf_bus_producer_serve(s->prod);
		if (items[i_wake].revents & ZMQ_POLLIN) {
			char buf[64];
			ssize_t r = read(s->wake_fd[0], buf, sizeof buf);
			(void)r;
		}
		if (s->cons) {
			int any = 0;
			for (int i = 0; i < ncons; i++)
				any |= items[i_cons + i].revents & ZMQ_POLLIN;
			if (any) {
				int a = qf_bus_consumer_process(s->cons);
				if (a < 0)
					qf_error("consume_failed", "error=\"%s\"", qf_strerror(a));
			}
		}
		if (items[i_gc].revents & ZMQ_POLLIN)
			s_gc_turn(s);
		if (napp && s->hooks.polled)
			s->hooks.polled(s->hooks.app, items + i_app, napp);
	}
	/* graceful stop: no new connections, finish queued writes */
	qf_info("stopping", "reason=signal");
	qf_http_close_begin(s->http);
	/* everything submitted before the close: commit and answer it all */
	for (int i = 0; i < 1000; i++) {
		uint64_t b0, b1;
		qf_gc_stats(s->gc, &b0, NULL);
		s_gc_turn(s);
		qf_gc_stats(s->gc, &b1, NULL);
		if (b1 == b0)
			break;
	}
	return 0;
}

void qf_svc_destroy(struct qf_svc **sp)
{
	if (!sp || !*sp)
		return;
	struct qf_svc *s = *sp;
	qf_http_stop(&s->http);
	qf_gc_destroy(&s->gc);
	qf_bus_consumer_destroy(&s->cons);
	qf_bus_producer_destroy(&s->prod);
	qf_zap_stop(&s->zap);
	if (s->zctx)
		zmq_ctx_term(s->zctx);
	qf_vault_destroy(&s->vault);
	qf_store_destroy(&s->store);
	qf_metrics_destroy(&s->metrics);
	if (s->wake_fd[0] >= 0)
		close(s->wake_fd[0]);
	if (s->wake_fd[1] >= 0)
		close(s->wake_fd[1]);
	free(s);
	*sp = NULL;
}

struct qf_store *qf_svc_store(struct qf_svc *s) { return s->store; }
struct qf_gc *qf_svc_gc(struct qf_svc *s) { return s->gc; }
void qf_svc_set_access(struct qf_svc *s, const struct qf_access *a)
{
	s->access = a;
}

struct qf_vault *qf_svc_vault(struct qf_svc *s)
{
	return s->vault;
}

struct qf_bus_producer *qf_svc_producer(struct qf_svc *s) { return s->prod; }
struct qf_bus_consumer *qf_svc_consumer(struct qf_svc *s) { return s->cons; }
struct qf_metrics *qf_svc_metrics(struct qf_svc *s) { return s->metrics; }
struct qf_clock *qf_svc_clock(struct qf_svc *s) { return &s->clock; }
struct qf_http *qf_svc_http(struct qf_svc *s) { return s->http; }
void *qf_svc_zctx(struct qf_svc *s) { return s->zctx; }
