/* bench_bus: the backbone's throughput beside raw ZeroMQ, in one run.
 *
 *   bench_bus raw    --count N --size S   PUB/SUB over tcp loopback, no store
 *   bench_bus e2e    --count N --size S   producer commits (fsync) and
 *                                          publishes; consumer applies
 *                                          durably (effect + checkpoint, fsync)
 *   bench_bus all    (default) raw, then e2e, then replay catch-up: a fresh
 *                    consumer pulls all N from the producer's outbox
 *
 * Prints one line per measurement: name, events, seconds, events/s. Not a
 * test: nothing is asserted beyond completeness.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_store.h"

static int s_port(void)
{
	/* a free port: bind to 0, read it, close (small race, fine for a bench) */
	void *z = zmq_ctx_new(), *s = zmq_socket(z, ZMQ_PUB);
	char ep[64];
	size_t len = sizeof ep;
	zmq_bind(s, "tcp://127.0.0.1:*");
	zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len);
	zmq_close(s);
	zmq_ctx_term(z);
	return atoi(strrchr(ep, ':') + 1);
}

static double s_now(void)
{
	return (double)qf_mono_ns() / 1e9;
}

/* ------------------------------------------------------------------ raw */

struct raw {
	void *z;
	char ep[64];
	long count;
	size_t size;
	atomic_long got;
	double t_first, t_last;
};

static void *raw_sub(void *arg)
{
	struct raw *r = arg;
	void *s = zmq_socket(r->z, ZMQ_SUB);
	int hwm = 1000000, tmo = 2000;
	zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
	zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
	zmq_connect(s, r->ep);
	char *buf = malloc(r->size + 16);
	for (;;) {
		int n = zmq_recv(s, buf, r->size + 16, 0);
		if (n < 0)
			break;
		if (n == 3) /* "end" */
			break;
		if (atomic_load(&r->got) == 0)
			r->t_first = s_now();
		atomic_fetch_add(&r->got, 1);
		r->t_last = s_now();
	}
	free(buf);
	zmq_close(s);
	return NULL;
}

static void bench_raw(long count, size_t size)
{
	struct raw r = {.z = zmq_ctx_new(), .count = count, .size = size};
	snprintf(r.ep, sizeof r.ep, "tcp://127.0.0.1:%d", s_port());
	void *pub = zmq_socket(r.z, ZMQ_PUB);
	int hwm = 1000000;
	zmq_setsockopt(pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
	zmq_bind(pub, r.ep);
	pthread_t t;
	pthread_create(&t, NULL, raw_sub, &r);
	usleep(300000); /* slow joiner */
	char *msg = calloc(1, size);
	double t0 = s_now();
	for (long i = 0; i < count; i++)
		zmq_send(pub, msg, size, 0);
	for (int i = 0; i < 10; i++)
		zmq_send(pub, "end", 3, 0);
	pthread_join(t, NULL);
	long got = atomic_load(&r.got);
	double secs = r.t_last - t0;
	printf("raw-zmq-pubsub   size=%zu events=%ld received=%ld seconds=%.3f events_per_s=%.0f\n",
	       size, count, got, secs, got / secs);
	fflush(stdout);
	free(msg);
	zmq_close(pub);
	zmq_ctx_term(r.z);
}

/* ------------------------------------------------------------------ e2e */

struct e2e {
	void *z;
	struct qf_clock clock;
	char pub[64], rep[64];
	char *pdir;
	long count;
	size_t size;
	int batch;
	struct qf_store *ps;
	struct qf_bus_producer *p;
	atomic_int stop_producer;
	atomic_int producer_ready;
	long emitted;
	MDB_dbi effect;
};

struct emit_ctx {
	struct e2e *e;
	long from, n;
	uint8_t *payload;
};

static int emit_fn(struct qf_txn *t, void *arg)
{
	struct emit_ctx *c = arg;
	for (long i = c->from; i < c->from + c->n; i++) {
		char key[16];
		snprintf(key, sizeof key, "B%02ld", i % 37);
		memcpy(c->payload, &i, sizeof i);
		struct qf_bus_event ev = {QINGFENG__V1__EVENT_TYPE__CASE_PROGRESS, key, "C",
					  NULL, c->payload, c->e->size, 0};
		int rc = qf_bus_emit(c->e->p, t, &ev, NULL, NULL, NULL);
		if (rc)
			return rc;
	}
	return QF_OK;
}

static void *producer_thread(void *arg)
{
	struct e2e *e = arg;
	struct emit_ctx c = {e, 0, 0, calloc(1, e->size)};
	atomic_store(&e->producer_ready, 1);
	while (!atomic_load(&e->stop_producer)) {
		if (e->emitted < e->count) {
			c.from = e->emitted;
			c.n = e->count - e->emitted < e->batch ? e->count - e->emitted : e->batch;
			if (qf_store_write(e->ps, emit_fn, &c)) {
				fprintf(stderr, "emit failed\n");
				exit(1);
			}
			e->emitted += c.n;
		}
		qf_bus_producer_tick(e->p);
		zmq_pollitem_t it = {qf_bus_producer_replay_socket(e->p), 0, ZMQ_POLLIN, 0};
		zmq_poll(&it, 1, e->emitted < e->count ? 0 : 5);
		qf_bus_producer_serve(e->p);
	}
	free(c.payload);
	return NULL;
}

struct cons_ctx {
	struct e2e *e;
	uint64_t applied;
};

static int apply_fn(void *app, struct qf_txn *t, const struct qf_bus_msg *m)
{
	struct cons_ctx *c = app;
	/* the effect: one small record per event, like a view update */
	uint8_t k[8], v[16];
	qf_be64_put(k, m->env->partition);
	qf_be64_put(v, m->env->seq);
	qf_be64_put(v + 8, m->len);
	c->applied++;
	return qf_txn_put(t, c->e->effect, k, 8, v, 16, 0);
}

static double run_consumer(struct e2e *e, const char *tag, double *t_first)
{
	char *dir = strdup("/tmp/qf-bench-cons-XXXXXX");
	if (!mkdtemp(dir))
		exit(1);
	struct qf_store *cs;
	struct qf_store_opts so = {.path = dir, .map_size = 256u << 20};
	if (qf_store_open(&cs, &so, NULL, 0) || qf_store_dbi(cs, "effect", 0, &e->effect))
		exit(1);
	struct cons_ctx cc = {e, 0};
	struct qf_bus_source src = {e->pub, e->rep, NULL};
	struct qf_bus_consumer_opts co = {.name = tag, .sources = &src, .nsources = 1,
					  .rcvhwm = 100000, .apply = apply_fn, .app = &cc};
	struct qf_bus_consumer *c;
	if (qf_bus_consumer_new(&c, e->z, cs, &e->clock, &co, NULL, 0))
		exit(1);
	double t0 = s_now();
	*t_first = 0;
	uint64_t applied = 0;
	while (applied < (uint64_t)e->count) {
		zmq_pollitem_t it[2];
		int n = qf_bus_consumer_pollitems(c, it, 2);
		int tmo = qf_bus_consumer_tick(c);
		zmq_poll(it, n, tmo > 50 ? 50 : tmo);
		qf_bus_consumer_process(c);
		qf_bus_consumer_counts(c, &applied, NULL, NULL, NULL);
		if (applied && !*t_first)
			*t_first = s_now();
		if (s_now() - t0 > 300) {
			fprintf(stderr, "%s: gave up after 300 s at %llu\n", tag,
				(unsigned long long)applied);
			break;
		}
	}
	double t1 = s_now();
	qf_bus_consumer_destroy(&c);
	qf_store_destroy(&cs);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
	free(dir);
	return t1;
}

static void bench_e2e(long count, size_t size, int batch, int do_replay)
{
	struct e2e e = {.z = zmq_ctx_new(), .count = count, .size = size, .batch = batch};
	qf_clock_init_real(&e.clock);
	snprintf(e.pub, sizeof e.pub, "tcp://127.0.0.1:%d", s_port());
	snprintf(e.rep, sizeof e.rep, "tcp://127.0.0.1:%d", s_port());
	e.pdir = strdup("/tmp/qf-bench-prod-XXXXXX");
	if (!mkdtemp(e.pdir))
		exit(1);
	struct qf_store_opts so = {.path = e.pdir, .map_size = 256u << 20};
	if (qf_store_open(&e.ps, &so, NULL, 0))
		exit(1);
	struct qf_bus_producer_opts po = {.name = "bench", .partitions = 16,
					  .pub_endpoint = e.pub, .replay_endpoint = e.rep,
					  .sndhwm = 100000};
	char err[256];
	if (qf_bus_producer_new(&e.p, e.z, e.ps, &e.clock, &po, err, sizeof err)) {
		fprintf(stderr, "producer: %s\n", err);
		exit(1);
	}
	/* the consumer connects first (in its own thread below), then the
	   producer starts: end to end = commit + publish + durable apply */
	pthread_t pt;
	double t_first;
	double t0 = s_now();
	pthread_create(&pt, NULL, producer_thread, &e);
	double t_end = run_consumer(&e, "bench-e2e", &t_first);
	printf("durable-e2e      size=%zu events=%ld seconds=%.3f events_per_s=%.0f "
	       "(producer batch %d, synced commits on both sides)\n",
	       size, count, t_end - t0, count / (t_end - t0), batch);
	fflush(stdout);
	if (do_replay) {
		/* everything is in the outbox now: a fresh consumer catches up */
		double t1 = s_now();
		double t_end2 = run_consumer(&e, "bench-replay", &t_first);
		printf("replay-catch-up  size=%zu events=%ld seconds=%.3f events_per_s=%.0f\n",
		       size, count, t_end2 - t1, count / (t_end2 - t1));
		fflush(stdout);
	}
	atomic_store(&e.stop_producer, 1);
	pthread_join(pt, NULL);
	printf("producer-store   bytes=%llu\n", (unsigned long long)qf_store_used_bytes(e.ps));
	qf_bus_producer_destroy(&e.p);
	qf_store_destroy(&e.ps);
	zmq_ctx_term(e.z);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", e.pdir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", e.pdir);
	free(e.pdir);
}

int main(int argc, char **argv)
{
	long count = 200000;
	size_t size = 256;
	int batch = 1000;
	const char *mode = argc > 1 && argv[1][0] != '-' ? argv[1] : "all";
	static const struct option longs[] = {{"count", 1, 0, 'n'},
					      {"size", 1, 0, 's'},
					      {"batch", 1, 0, 'b'},
					      {0, 0, 0, 0}};
	int ch;
	optind = argc > 1 && argv[1][0] != '-' ? 2 : 1;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'n': count = atol(optarg); break;
		case 's': size = (size_t)atol(optarg); break;
		case 'b': batch = atoi(optarg); break;
		default: return 2;
		}
	}
	if (qf_id_init())
		return 1;
	if (!strcmp(mode, "raw") || !strcmp(mode, "all"))
		bench_raw(count, size);
	if (!strcmp(mode, "e2e") || !strcmp(mode, "all"))
		bench_e2e(count, size, batch, !strcmp(mode, "all"));
	return 0;
}
