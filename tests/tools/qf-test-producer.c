/* qf-test-producer: emits the backbone test's deterministic stream through a
 * real qf_bus producer, durably, then keeps serving replay and heartbeats
 * until SIGTERM. Restartable: the next event index is stored in the same
 * transaction as the events, so a SIGKILL loses nothing and repeats nothing.
 *
 *   qf-test-producer --dir D --pub EP --replay EP --total N [--partitions P]
 *                    [--batch B] [--rate EV_PER_S] [--size BYTES] [--name N]
 *   qf-test-producer --expect N [--partitions P] [--size BYTES]
 *       prints the digest a consumer must reach, computed without the bus
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bustest.h"
#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_svc.h"

struct ctx {
	struct qf_bus_producer *prod;
	MDB_dbi state;
	uint64_t next, total, batch;
	size_t size;
};

static int s_emit(struct qf_txn *t, void *arg)
{
	struct ctx *c = arg;
	uint64_t i = c->next, end = c->next + c->batch;
	if (end > c->total)
		end = c->total;
	uint8_t buf[65536];
	for (; i < end; i++) {
		char key[16];
		bt_key(i, key);
		size_t n = bt_payload(i, c->size, buf);
		struct qf_bus_event ev = {QINGFENG__V1__EVENT_TYPE__EVENT_TYPE_UNSPECIFIED,
					  key, NULL, NULL, buf, n, 0};
		int rc = qf_bus_emit(c->prod, t, &ev, NULL, NULL, NULL);
		if (rc)
			return rc;
	}
	uint8_t v[8];
	qf_be64_put(v, end);
	return qf_txn_put(t, c->state, "next", 4, v, 8, 0);
}

static int s_load(struct qf_txn *t, void *arg)
{
	struct ctx *c = arg;
	MDB_val v;
	if (qf_txn_get(t, c->state, "next", 4, &v) == QF_OK && v.mv_size == 8)
		c->next = qf_be64_get(v.mv_data);
	return QF_OK;
}

static int s_expect(uint64_t total, uint32_t parts, size_t size)
{
	uint8_t(*chains)[32] = calloc(parts, 32);
	uint64_t *seq = calloc(parts, 8);
	uint8_t buf[65536];
	for (uint64_t i = 0; i < total; i++) {
		char key[16];
		bt_key(i, key);
		uint32_t p = qf_partition_of(key, parts);
		size_t n = bt_payload(i, size, buf);
		bt_chain(chains[p], ++seq[p], buf, n);
	}
	char hex[65];
	bt_digest(chains, parts, hex);
	printf("count=%llu digest=%s\n", (unsigned long long)total, hex);
	free(chains);
	free(seq);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *pub = NULL, *replay = NULL, *name = "testprod";
	uint64_t total = 0, expect = 0, rate = 0;
	uint32_t parts = 16;
	struct ctx c = {.batch = 1000, .size = 100};
	int has_expect = 0;
	static const struct option longs[] = {
		{"dir", 1, 0, 'd'},     {"pub", 1, 0, 'p'},   {"replay", 1, 0, 'r'},
		{"total", 1, 0, 't'},   {"partitions", 1, 0, 'P'}, {"batch", 1, 0, 'b'},
		{"rate", 1, 0, 'R'},    {"size", 1, 0, 's'},  {"name", 1, 0, 'n'},
		{"expect", 1, 0, 'e'},  {0, 0, 0, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'p': pub = optarg; break;
		case 'r': replay = optarg; break;
		case 't': total = strtoull(optarg, NULL, 10); break;
		case 'P': parts = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'b': c.batch = strtoull(optarg, NULL, 10); break;
		case 'R': rate = strtoull(optarg, NULL, 10); break;
		case 's': c.size = strtoul(optarg, NULL, 10); break;
		case 'n': name = optarg; break;
		case 'e': expect = strtoull(optarg, NULL, 10); has_expect = 1; break;
		default: return 2;
		}
	}
	if (qf_id_init())
		return 1;
	if (c.size > 65536)
		c.size = 65536;
	if (has_expect)
		return s_expect(expect, parts, c.size);
	if (!dir || !pub || !replay) {
		fprintf(stderr, "usage: see the header of qf-test-producer.c\n");
		return 2;
	}
	qf_svc_signals();
	char err[512];
	struct qf_store *store;
	struct qf_store_opts so = {.path = dir};
	if (qf_store_open(&store, &so, err, sizeof err)) {
		fprintf(stderr, "store: %s\n", err);
		return 1;
	}
	struct qf_clock clock;
	qf_clock_init_real(&clock);
	void *zctx = zmq_ctx_new();
	struct qf_bus_producer_opts po = {.name = name, .partitions = parts,
					  .pub_endpoint = pub, .replay_endpoint = replay,
					  .heartbeat_ms = 200};
	if (qf_bus_producer_new(&c.prod, zctx, store, &clock, &po, err, sizeof err)) {
		fprintf(stderr, "producer: %s\n", err);
		return 1;
	}
	c.total = total;
	qf_store_dbi(store, "test.state", 0, &c.state);
	qf_store_read(store, s_load, &c);
	fprintf(stderr, "producer: starting at %llu of %llu\n", (unsigned long long)c.next,
		(unsigned long long)total);
	int64_t t0 = qf_mono_ms();
	uint64_t start_next = c.next;
	while (!qf_svc_stop_flag) {
		int timeout = qf_bus_producer_tick(c.prod);
		if (c.next < c.total) {
			if (rate) {
				int64_t due = t0 + (int64_t)((c.next - start_next) * 1000 / rate);
				int64_t now = qf_mono_ms();
				if (due > now) {
					timeout = (int)(due - now) < timeout ? (int)(due - now)
									 : timeout;
					goto poll;
				}
			}
			int rc = qf_store_write(store, s_emit, &c);
			if (rc) {
				fprintf(stderr, "emit: %s\n", qf_strerror(rc));
				return 1;
			}
			c.next = c.next + c.batch > c.total ? c.total : c.next + c.batch;
			if (c.next == c.total)
				printf("producer: all %llu events committed\n",
				       (unsigned long long)c.total), fflush(stdout);
			timeout = 0;
		}
	poll:;
		zmq_pollitem_t it = {qf_bus_producer_replay_socket(c.prod), 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&it, 1, timeout) > 0)
			qf_bus_producer_serve(c.prod);
	}
	qf_bus_producer_destroy(&c.prod);
	zmq_ctx_term(zctx);
	qf_store_destroy(&store);
	return 0;
}
