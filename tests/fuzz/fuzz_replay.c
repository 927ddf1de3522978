/* fuzz_replay: both sides of the replay protocol. The input is a replay
 * request served by a real producer (an outbox of 300 events in a fresh
 * store), and also decoded as a reply the way a consumer would. The answer
 * must always decode, and a FETCH answer must be in seq order from the
 * requested seq. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_id.h"
#include "qingfeng/v1/bus.pb-c.h"

static struct qf_bus_producer *s_prod;

static int s_fill(struct qf_txn *t, void *arg)
{
	(void)arg;
	for (int i = 0; i < 300; i++) {
		char key[16], payload[32];
		snprintf(key, sizeof key, "b%d", i % 7);
		snprintf(payload, sizeof payload, "event %d", i);
		struct qf_bus_event ev = {QINGFENG__V1__EVENT_TYPE__CASE_PROGRESS, key, "c", NULL,
					  payload, strlen(payload), 0};
		if (qf_bus_emit(s_prod, t, &ev, NULL, NULL, NULL))
			return -1;
	}
	return 0;
}

static void s_setup(void)
{
	static struct qf_clock clock;
	char dir[] = "/tmp/qf-fuzz-replay-XXXXXX";
	if (!mkdtemp(dir) || qf_id_init())
		abort();
	qf_clock_init_fake(&clock, 1700000000000);
	struct qf_store *st;
	struct qf_store_opts so = {.path = dir, .no_sync = 1};
	if (qf_store_open(&st, &so, NULL, 0))
		abort();
	void *z = zmq_ctx_new();
	char pub[64], rep[64];
	snprintf(pub, sizeof pub, "inproc://fuzz-pub-%d", getpid());
	snprintf(rep, sizeof rep, "inproc://fuzz-rep-%d", getpid());
	struct qf_bus_producer_opts po = {.name = "fuzz", .partitions = 4,
					  .pub_endpoint = pub, .replay_endpoint = rep,
					  .replay_max_events = 64};
	if (qf_bus_producer_new(&s_prod, z, st, &clock, &po, NULL, 0))
		abort();
	if (qf_store_write(st, s_fill, NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!s_prod)
		s_setup();
	uint8_t *out;
	size_t n;
	if (qf_bus_replay_answer(s_prod, data, size, &out, &n))
		abort();
	Qingfeng__V1__ReplayReply *r = qingfeng__v1__replay_reply__unpack(NULL, n, out);
	if (!r)
		abort(); /* our own answer must always decode */
	Qingfeng__V1__ReplayRequest *q = qingfeng__v1__replay_request__unpack(NULL, size, data);
	if (q && q->op == QINGFENG__V1__REPLAY_OP__REPLAY_FETCH &&
	    r->status == QINGFENG__V1__REPLAY_STATUS__REPLAY_OK) {
		uint64_t want = q->from_seq ? q->from_seq : 1;
		for (size_t i = 0; i < r->n_events; i++) {
			Qingfeng__V1__Envelope *e =
				qf_bus_decode(r->events[i].data, r->events[i].len);
			if (!e || e->seq != want + i || e->partition != q->partition)
				abort();
			qingfeng__v1__envelope__free_unpacked(e, NULL);
		}
	}
	if (q)
		qingfeng__v1__replay_request__free_unpacked(q, NULL);
	qingfeng__v1__replay_reply__free_unpacked(r, NULL);
	free(out);
	/* the consumer side: the same bytes as a reply */
	Qingfeng__V1__ReplayReply *c = qingfeng__v1__replay_reply__unpack(NULL, size, data);
	if (c) {
		for (size_t i = 0; i < c->n_events; i++) {
			Qingfeng__V1__Envelope *e =
				qf_bus_decode(c->events[i].data, c->events[i].len);
			if (e)
				qingfeng__v1__envelope__free_unpacked(e, NULL);
		}
		qingfeng__v1__replay_reply__free_unpacked(c, NULL);
	}
	return 0;
}
