/* qf_svc.h: what every qingfeng service shares around its own logic: the
 * command line, the common configuration sections (service, http, bus,
 * store), signal handling, and the core loop.
 *
 * Design: one core thread per service owns the store's write side and every
 * ZeroMQ socket (producer, consumers). HTTP handlers run on libmicrohttpd's
 * pool and hand writes to the group-commit queue (qf_gc), which the core loop
 * drains in one transaction per turn. The loop sleeps in zmq_poll until a
 * socket, the queue, or the next timer needs it: idle costs nothing.
 */
#ifndef QF_SVC_H
#define QF_SVC_H

#include <signal.h>
#include <stddef.h>

#include "qf_bus.h"
#include "qf_cfg.h"
#include "qf_clock.h"
#include "qf_http.h"
#include "qf_metrics.h"
#include "qf_store.h"

#define QF_SVC_MAX_SOURCES 8

/* The common sections of every service's configuration file. */
struct qf_svc_conf {
	char *node;          /* service.node: producer id ("intake") */
	char *data_dir;      /* service.data_dir */
	char *log_level;     /* service.log_level */
	char *community;     /* service.community: community file (relative to
				the configuration file) */
	char *http_bind;     /* http.bind */
	int http_port;       /* http.port */
	int http_threads;    /* http.threads */
	int64_t http_max_body; /* http.max_body */
	int http_access_log; /* http.access_log: one line per request */
	int partitions;      /* bus.partitions */
	char *bus_pub;       /* bus.pub (bind) */
	char *bus_replay;    /* bus.replay (bind) */
	int64_t bus_retain;  /* bus.retain */
	int heartbeat_ms;    /* bus.heartbeat_ms */
	int sndhwm, rcvhwm;  /* bus.sndhwm, bus.rcvhwm */
	int batch_max;       /* bus.batch_max: consumed events per transaction */
	int instance, instances; /* bus.instance of bus.instances */
	int allow_plaintext; /* bus.allow_plaintext: non-loopback without CURVE */
	struct qf_bus_source sources[QF_SVC_MAX_SOURCES]; /* bus.sources */
	char *source_names[QF_SVC_MAX_SOURCES];
	int source_accepts[QF_SVC_MAX_SOURCES][64]; /* bus.sources.[i].accepts */
	unsigned nsources;
	int64_t map_size_mb; /* store.map_size_mb */
	int curve_enabled;   /* curve.enabled */
	char *curve_public_file, *curve_secret_file; /* curve.*_file */
	char *curve_allow_file; /* curve.allow_file: allowed client keys */
	/* loaded at start when CURVE is on */
	char curve_public[41], curve_secret[41];
	char *source_key_files[QF_SVC_MAX_SOURCES];
	char source_keys[QF_SVC_MAX_SOURCES][41];
	char *config_file;   /* the file loaded (copy) */
};

/* Table rows for the common sections; `T` is the service's config struct
 * type and `M` its struct qf_svc_conf member. Defaults: the caller passes the
 * service's default node name and ports. */
int qf_svc_parse_sources(const struct qf_cfg_setting *def, config_setting_t *s,
			 void *conf, struct qf_cfg_errors *errs);
#define QF_SVC_SETTINGS(T, M, NODE, HTTP_PORT, PUB, REPLAY)                         \
	{"service.node", QF_CFG_STRING, offsetof(T, M.node), NODE, 0, 63, NULL,       \
	 "producer id, unique per replica"},                                          \
	{"service.data_dir", QF_CFG_STRING, offsetof(T, M.data_dir), "var/" NODE, 0,  \
	 4000, NULL, "LMDB store directory"},                                         \
	{"service.log_level", QF_CFG_STRING, offsetof(T, M.log_level), "info", 0, 8,  \
	 NULL, "debug, info, warn, error"},                                           \
	{"service.community", QF_CFG_STRING, offsetof(T, M.community),                \
	 "community.cfg", 0, 4000, NULL, "community file"},                           \
	{"http.bind", QF_CFG_STRING, offsetof(T, M.http_bind), "127.0.0.1", 0, 64,   \
	 NULL, "HTTP listen address"},                                                \
	{"http.port", QF_CFG_INT, offsetof(T, M.http_port), HTTP_PORT, 0, 65535,     \
	 NULL, "HTTP port (0: any free)"},                                            \
	{"http.threads", QF_CFG_INT, offsetof(T, M.http_threads), "4", 1, 64, NULL,  \
	 "HTTP worker threads"},                                                      \
	{"http.max_body", QF_CFG_INT64, offsetof(T, M.http_max_body), "1048576", 1024, \
	 268435456, NULL, "largest request body in bytes"},                           \
	{"http.access_log", QF_CFG_BOOL, offsetof(T, M.http_access_log), "true", 0, 0, \
	 NULL, "one log line per request (request id, route, status, time)"},       \
	{"bus.partitions", QF_CFG_INT, offsetof(T, M.partitions), "16", 1, 1024,     \
	 NULL, "partitions per stream (never change on a live system)"},              \
	{"bus.pub", QF_CFG_STRING, offsetof(T, M.bus_pub), PUB, 0, 256, NULL,        \
	 "PUB endpoint to bind"},                                                     \
	{"bus.replay", QF_CFG_STRING, offsetof(T, M.bus_replay), REPLAY, 0, 256,     \
	 NULL, "replay ROUTER endpoint to bind"},                                     \
	{"bus.retain", QF_CFG_INT64, offsetof(T, M.bus_retain), "0", 0, 1e15, NULL,  \
	 "events kept per partition (0: all)"},                                       \
	{"bus.heartbeat_ms", QF_CFG_INT, offsetof(T, M.heartbeat_ms), "1000", 50,    \
	 60000, NULL, "heartbeat period"},                                            \
	{"bus.sndhwm", QF_CFG_INT, offsetof(T, M.sndhwm), "10000", 1, 10000000,      \
	 NULL, "PUB send high-water mark"},                                           \
	{"bus.rcvhwm", QF_CFG_INT, offsetof(T, M.rcvhwm), "10000", 1, 10000000,      \
	 NULL, "SUB receive high-water mark"},                                        \
	{"bus.batch_max", QF_CFG_INT, offsetof(T, M.batch_max), "4096", 1, 65536,     \
	 NULL, "consumed events applied per transaction"},                            \
	{"bus.instance", QF_CFG_INT, offsetof(T, M.instance), "0", 0, 1023, NULL,    \
	 "this instance's number k (takes partitions p mod n == k)"},                 \
	{"bus.instances", QF_CFG_INT, offsetof(T, M.instances), "1", 1, 1024, NULL,  \
	 "number of instances n sharing the partitions"},                             \
	{"bus.allow_plaintext", QF_CFG_BOOL, offsetof(T, M.allow_plaintext), "false", \
	 0, 0, NULL, "accept bus endpoints beyond loopback without CURVE (insecure; " \
	 "warned every minute)"},                                                     \
	{"bus.sources", QF_CFG_CUSTOM, offsetof(T, M), NULL, 0, 0,                   \
	 qf_svc_parse_sources, "producers to consume"},                               \
	{"store.map_size_mb", QF_CFG_INT64, offsetof(T, M.map_size_mb), "64", 1,     \
	 1048576, NULL, "initial LMDB map size (grows on demand)"},                   \
	{"curve.enabled", QF_CFG_BOOL, offsetof(T, M.curve_enabled), "false", 0, 0,  \
	 NULL, "encrypt and authenticate every ZeroMQ socket"},                       \
	{"curve.public_key_file", QF_CFG_STRING, offsetof(T, M.curve_public_file), "", \
	 0, 4000, NULL, "this service's CURVE public key (Z85)"},                     \
	{"curve.secret_key_file", QF_CFG_STRING, offsetof(T, M.curve_secret_file), "", \
	 0, 4000, NULL, "this service's CURVE secret key (Z85)"},                     \
	{"curve.allow_file", QF_CFG_STRING, offsetof(T, M.curve_allow_file), "", 0,  \
	 4000, NULL, "public keys allowed to connect, one per line"}

/* 1 when a ZeroMQ endpoint stays on this host (tcp to 127.0.0.0/8, ::1 or
 * localhost; ipc; inproc). */
int qf_svc_endpoint_local(const char *endpoint);
/* 1 when CURVE is off and some bus endpoint is beyond loopback. */
int qf_svc_conf_plaintext(const struct qf_svc_conf *c);
/* Free what the common settings allocated (the table frees plain strings). */
void qf_svc_conf_free(struct qf_svc_conf *c);
/* Cross-setting checks after loading (instance < instances, CURVE files
 * readable, sources complete, no bus endpoint beyond loopback without CURVE
 * unless bus.allow_plaintext), and resolution of service.data_dir against
 * the configuration file's directory (made absolute; set config_file
 * first). Adds errors; returns 0 or QF_ERR_CONFIG. */
int qf_svc_conf_check(struct qf_svc_conf *c, struct qf_cfg_errors *errs);

/* ------------------------------------------------------------ arguments */
struct qf_svc_args {
	const char *config;   /* --config FILE */
	int check_config;     /* --check-config */
	const char *log_level; /* --log-level */
	const char *export_dir; /* --export DIR (services that support it) */
	int print_settings;     /* --settings: print the settings table, exit */
	int print_routes;       /* --routes: print the route table, exit */
};
/* Parse argv; on --help/--version or a usage error prints and returns 1
 * (exit code in *exit_code); 0 to continue. */
int qf_svc_args_parse(int argc, char **argv, const char *prog,
		      const char *default_config, struct qf_svc_args *a,
		      int *exit_code);

/* Load configuration with the table, print every error (file:line: setting)
 * to stderr. Returns 0 or QF_ERR_CONFIG. */
int qf_svc_load_config(const char *file, const struct qf_cfg_setting *table,
		       size_t n, void *conf);

/* ------------------------------------------------------------ core loop */

extern volatile sig_atomic_t qf_svc_stop_flag;
extern volatile sig_atomic_t qf_svc_reload_flag;
/* Install SIGINT/SIGTERM (stop) and SIGHUP (reload) handlers; ignore SIGPIPE. */
void qf_svc_signals(void);

struct qf_svc;

struct qf_svc_hooks {
	/* Timers and periodic work; returns ms until it wants to run again. */
	int (*tick)(void *app);
	/* SIGHUP: reload what can change without a restart. */
	void (*reload)(void *app);
	/* Extra poll items (e.g. curl multi sockets): fill at most max. */
	int (*pollitems)(void *app, zmq_pollitem_t *items, int max);
	/* After poll, with the items the app added (revents filled). */
	void (*polled)(void *app, zmq_pollitem_t *items, int n);
	void *app;
};

struct qf_svc_opts {
	struct qf_svc_conf *conf;
	const char *service;    /* log name: "intake" */
	int producer;           /* this service publishes a stream */
	/* consumer callbacks (NULL apply: consumes nothing) */
	int (*apply)(void *app, struct qf_txn *t, const struct qf_bus_msg *m);
	int (*on_incarnation)(void *app, struct qf_txn *t, const char *producer,
			      uint64_t old_epoch, uint64_t new_epoch);
	void (*on_gap)(void *app, const char *producer, uint32_t partition,
		       uint64_t have, uint64_t seen);
	unsigned gc_batch;      /* group-commit jobs per transaction */
	int public_only;        /* consume public parts only (qf_bus.h) */
};

/* Open the store, producer, consumer and group-commit queue (not HTTP:
 * the service starts that with qf_svc_http_start once its routes are set).
 * Logs and returns an error on failure. */
int qf_svc_open(struct qf_svc **out, const struct qf_svc_opts *o,
		const struct qf_svc_hooks *hooks);
/* The access gate's callbacks (qf_access.h), before qf_svc_http_start: then
 * every route is decided by the policy table. a stays the caller's. */
struct qf_access;
void qf_svc_set_access(struct qf_svc *s, const struct qf_access *a);
/* Start HTTP with the common settings and the service's routes. */
int qf_svc_http_start(struct qf_svc *s, const struct qf_http_route *routes,
		      size_t n, void *ctx, int (*ready)(void *ctx));
/* The same, with a /healthz detail callback (fills a JSON object). */
int qf_svc_http_start2(struct qf_svc *s, const struct qf_http_route *routes,
		       size_t n, void *ctx, int (*ready)(void *ctx),
		       void (*health)(void *ctx, json_t *obj));
/* Run until SIGINT/SIGTERM: then stop accepting HTTP, drain the queue,
 * and return 0. */
int qf_svc_run(struct qf_svc *s);
/* Close everything in reverse order. Accepts NULL; sets *s = NULL. */
void qf_svc_destroy(struct qf_svc **s);

struct qf_store *qf_svc_store(struct qf_svc *s);
struct qf_gc *qf_svc_gc(struct qf_svc *s);
/* The store's vault (private data sealed per subject, qf_vault.h). */
struct qf_vault *qf_svc_vault(struct qf_svc *s);
struct qf_bus_producer *qf_svc_producer(struct qf_svc *s);
struct qf_bus_consumer *qf_svc_consumer(struct qf_svc *s);
struct qf_metrics *qf_svc_metrics(struct qf_svc *s);
struct qf_clock *qf_svc_clock(struct qf_svc *s);
struct qf_http *qf_svc_http(struct qf_svc *s);
void *qf_svc_zctx(struct qf_svc *s);
/* Ready means: HTTP up and the consumer has caught up once (computed by the
 * core loop; safe to call from any thread). */
int qf_svc_ready(struct qf_svc *s);
/* Wake the core loop from another thread (e.g. new work outside qf_gc). */
void qf_svc_wake(struct qf_svc *s);

#endif
