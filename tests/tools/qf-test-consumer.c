/* qf-test-consumer: consumes the backbone test's stream through a real
 * qf_bus consumer and keeps, in the same transaction as the bus checkpoint,
 * a per-partition hash chain and count. It checks order itself (a seq that
 * is not the partition's next is a failure, exit 3), prints new
 * incarnations, and exits 0 once it has applied --until events, printing the
 * digest.
 *
 *   qf-test-consumer --dir D --pub EP --replay EP --until N [--partitions P]
 *                    [--rcvhwm H] [--slow-us U]
 */
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>

#include "bustest.h"
#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_svc.h"

struct ctx {
	MDB_dbi chain;
	uint32_t parts;
	uint64_t total;      /* committed count (loaded at start) */
	uint64_t txn_count;  /* count in the transaction being built */
	unsigned slow_us;
	int bad;
};

/* chain record: epoch(8) partition(4) -> last seq(8) hash(32) */
static int s_apply(void *app, struct qf_txn *t, const struct qf_bus_msg *m)
{
	struct ctx *c = app;
	const Qingfeng__V1__Envelope *e = m->env;
	uint8_t k[12], v[40] = {0};
	qf_be64_put(k, e->epoch);
	qf_be32_put(k + 8, e->partition);
	MDB_val old;
	uint64_t last = 0;
	if (qf_txn_get(t, c->chain, k, 12, &old) == QF_OK && old.mv_size == 40) {
		memcpy(v, old.mv_data, 40);
		last = qf_be64_get(v);
	}
	if (e->seq != last + 1) {
		fprintf(stderr, "ORDER VIOLATION partition=%u seq=%llu last=%llu\n",
			e->partition, (unsigned long long)e->seq, (unsigned long long)last);
		c->bad = 1;
		return QF_ERR_GAP;
	}
	bt_chain(v + 8, e->seq, e->payload.data, e->payload.len);
	qf_be64_put(v, e->seq);
	int rc = qf_txn_put(t, c->chain, k, 12, v, 40, 0);
	if (rc)
		return rc;
	uint8_t cnt[8];
	MDB_val cv;
	uint64_t total = 0;
	if (qf_txn_get(t, c->chain, "count", 5, &cv) == QF_OK && cv.mv_size == 8)
		total = qf_be64_get(cv.mv_data);
	qf_be64_put(cnt, total + 1);
	if (c->slow_us)
		usleep(c->slow_us);
	return qf_txn_put(t, c->chain, "count", 5, cnt, 8, 0);
}

static int s_incarnation(void *app, struct qf_txn *t, const char *producer,
			 uint64_t old_epoch, uint64_t new_epoch)
{
	(void)app;
	printf("INCARNATION producer=%s old=%016llx new=%016llx\n", producer,
	       (unsigned long long)old_epoch, (unsigned long long)new_epoch);
	fflush(stdout);
	return qf_txn_put(t, ((struct ctx *)app)->chain, "incarnation_count", 17, "1", 1, 0);
}

struct digest_ctx {
	struct ctx *c;
	uint64_t count;
	uint64_t epoch; /* digest over this epoch's chains (0: the first seen) */
	char hex[65];
};

static int s_digest(struct qf_txn *t, void *arg)
{
	struct digest_ctx *d = arg;
	uint8_t(*chains)[32] = calloc(d->c->parts, 32);
	MDB_val v;
	d->count = 0;
	if (qf_txn_get(t, d->c->chain, "count", 5, &v) == QF_OK && v.mv_size == 8)
		d->count = qf_be64_get(v.mv_data);
	for (uint32_t p = 0; p < d->c->parts; p++) {
		uint8_t k[12];
		qf_be64_put(k, d->epoch);
		qf_be32_put(k + 8, p);
		if (qf_txn_get(t, d->c->chain, k, 12, &v) == QF_OK && v.mv_size == 40)
			memcpy(chains[p], (uint8_t *)v.mv_data + 8, 32);
	}
	bt_digest(chains, d->c->parts, d->hex);
	free(chains);
	return QF_OK;
}

/* The first epoch recorded (smallest key) unless one is given. */
static int s_first_epoch(struct qf_txn *t, void *arg)
{
	struct digest_ctx *d = arg;
	MDB_cursor *cur;
	MDB_val k, v;
	if (mdb_cursor_open(qf_txn_mdb(t), d->c->chain, &cur))
		return QF_ERR_STORE;
	int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0) {
		if (k.mv_size == 12) {
			d->epoch = qf_be64_get(k.mv_data);
			break;
		}
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return QF_OK;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *pub = NULL, *replay = NULL;
	uint64_t until = 0, want_epoch = 0;
	int rcvhwm = 0;
	struct ctx c = {.parts = 16};
	static const struct option longs[] = {
		{"dir", 1, 0, 'd'},   {"pub", 1, 0, 'p'},     {"replay", 1, 0, 'r'},
		{"until", 1, 0, 'u'}, {"partitions", 1, 0, 'P'}, {"rcvhwm", 1, 0, 'h'},
		{"slow-us", 1, 0, 's'}, {"epoch", 1, 0, 'E'}, {0, 0, 0, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'p': pub = optarg; break;
		case 'r': replay = optarg; break;
		case 'u': until = strtoull(optarg, NULL, 10); break;
		case 'P': c.parts = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'h': rcvhwm = atoi(optarg); break;
		case 's': c.slow_us = (unsigned)atoi(optarg); break;
		case 'E': want_epoch = strtoull(optarg, NULL, 16); break;
		default: return 2;
		}
	}
	if (!dir || !pub || !replay || qf_id_init())
		return 2;
	qf_svc_signals();
	char err[512];
	struct qf_store *store;
	struct qf_store_opts so = {.path = dir};
	if (qf_store_open(&store, &so, err, sizeof err)) {
		fprintf(stderr, "store: %s\n", err);
		return 1;
	}
	qf_store_dbi(store, "test.chain", 0, &c.chain);
	struct qf_clock clock;
	qf_clock_init_real(&clock);
	void *zctx = zmq_ctx_new();
	struct qf_bus_source src = {pub, replay, NULL};
	struct qf_bus_consumer_opts co = {.name = "testcons", .sources = &src,
					  .nsources = 1, .rcvhwm = rcvhwm,
					  .apply = s_apply, .on_incarnation = s_incarnation,
					  .app = &c};
	struct qf_bus_consumer *cons;
	if (qf_bus_consumer_new(&cons, zctx, store, &clock, &co, err, sizeof err)) {
		fprintf(stderr, "consumer: %s\n", err);
		return 1;
	}
	struct digest_ctx d = {&c, 0, 0, ""};
	int rc = 0;
	while (!qf_svc_stop_flag) {
		zmq_pollitem_t items[4];
		int n = qf_bus_consumer_pollitems(cons, items, 4);
		int timeout = qf_bus_consumer_tick(cons);
		zmq_poll(items, n, timeout);
		int a = qf_bus_consumer_process(cons);
		if (c.bad) {
			rc = 3;
			break;
		}
		if (a < 0 && a != QF_ERR_GAP)
			fprintf(stderr, "process: %s\n", qf_strerror(a));
		if (until) {
			qf_store_read(store, s_digest, &d);
			if (d.count >= until)
				break;
		}
	}
	d.epoch = want_epoch;
	if (!d.epoch)
		qf_store_read(store, s_first_epoch, &d);
	qf_store_read(store, s_digest, &d);
	uint64_t applied, dups, gaps, inc;
	qf_bus_consumer_counts(cons, &applied, &dups, &gaps, &inc);
	printf("count=%llu digest=%s\n", (unsigned long long)d.count, d.hex);
	fprintf(stderr, "consumer: applied=%llu dups=%llu gaps=%llu incarnations=%llu\n",
		(unsigned long long)applied, (unsigned long long)dups,
		(unsigned long long)gaps, (unsigned long long)inc);
	qf_bus_consumer_destroy(&cons);
	zmq_ctx_term(zctx);
	qf_store_destroy(&store);
	return rc;
}
