/* bus_test: the backbone in one process (inproc sockets, real LMDB stores):
 * exactly-once in-order apply, aborted transactions publish nothing and keep
 * seqs gapless, consumer restart from its checkpoint, heavy PUB drops healed
 * by replay, a wiped producer reported as a new incarnation, retention and
 * truncated history reported as an unhealable gap, live-only watchers, and
 * malformed replay requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qingfeng/v1/bus.pb-c.h"
#include "testutil.h"

#define PARTS 4

struct app {
	uint64_t last[PARTS];  /* last seq applied per partition (current epoch) */
	uint64_t count;
	int order_errors;
	int incarnations;
	int gaps;
	uint64_t last_epoch;
	int fail_next;         /* make the next apply fail (infrastructure error) */
};

static int app_apply(void *a, struct qf_txn *t, const struct qf_bus_msg *m)
{
	(void)t;
	struct app *app = a;
	if (app->fail_next) {
		app->fail_next = 0;
		return QF_ERR_IO;
	}
	const Qingfeng__V1__Envelope *e = m->env;
	if (e->epoch != app->last_epoch) {
		memset(app->last, 0, sizeof app->last);
		app->last_epoch = e->epoch;
	}
	if (e->seq != app->last[e->partition] + 1)
		app->order_errors++;
	app->last[e->partition] = e->seq;
	app->count++;
	return QF_OK;
}

static int app_inc(void *a, struct qf_txn *t, const char *producer, uint64_t old,
		   uint64_t neu)
{
	(void)t;
	(void)producer;
	assert_true(old != neu);
	((struct app *)a)->incarnations++;
	return QF_OK;
}

static void app_gap(void *a, const char *producer, uint32_t partition, uint64_t have,
		    uint64_t seen)
{
	(void)producer;
	(void)partition;
	(void)have;
	(void)seen;
	((struct app *)a)->gaps++;
}

struct fx {
	void *z;
	struct qf_clock clock;
	char *pdir, *cdir;
	struct qf_store *ps, *cs;
	struct qf_bus_producer *p;
	struct qf_bus_consumer *c;
	struct app app;
	char pub[64], rep[64];
	int rcvhwm;
	uint64_t retain;
	int from_end;
};

static int open_producer(struct fx *f)
{
	struct qf_store_opts so = {.path = f->pdir, .no_sync = 1};
	if (qf_store_open(&f->ps, &so, NULL, 0))
		return -1;
	struct qf_bus_producer_opts po = {.name = "prod", .partitions = PARTS,
					  .pub_endpoint = f->pub, .replay_endpoint = f->rep,
					  .heartbeat_ms = 50, .retain = f->retain,
					  .replay_max_events = 64};
	return qf_bus_producer_new(&f->p, f->z, f->ps, &f->clock, &po, NULL, 0);
}

static int open_consumer(struct fx *f)
{
	struct qf_store_opts so = {.path = f->cdir, .no_sync = 1};
	if (qf_store_open(&f->cs, &so, NULL, 0))
		return -1;
	struct qf_bus_source src = {f->pub, f->rep, NULL};
	struct qf_bus_consumer_opts co = {.name = "cons", .sources = &src, .nsources = 1,
					  .rcvhwm = f->rcvhwm, .fetch_max = 50,
					  .from_end = f->from_end, .apply = app_apply,
					  .on_incarnation = app_inc, .on_gap = app_gap,
					  .app = &f->app};
	return qf_bus_consumer_new(&f->c, f->z, f->cs, &f->clock, &co, NULL, 0);
}

static void close_producer(struct fx *f)
{
	qf_bus_producer_destroy(&f->p);
	qf_store_destroy(&f->ps);
}

static void close_consumer(struct fx *f)
{
	qf_bus_consumer_destroy(&f->c);
	qf_store_destroy(&f->cs);
}

static int setup_common(void **state, int rcvhwm, uint64_t retain, int from_end)
{
	static int n;
	struct fx *f = calloc(1, sizeof *f);
	qf_id_init();
	f->z = zmq_ctx_new();
	qf_clock_init_real(&f->clock);
	f->pdir = tu_tmpdir("busp");
	f->cdir = tu_tmpdir("busc");
	/* ipc, not inproc: a restarted producer must be reconnected to */
	snprintf(f->pub, sizeof f->pub, "ipc://%s/pub", f->pdir);
	snprintf(f->rep, sizeof f->rep, "ipc://%s/rep", f->pdir);
	n++;
	f->rcvhwm = rcvhwm;
	f->retain = retain;
	f->from_end = from_end;
	if (open_producer(f) || open_consumer(f))
		return -1;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_common(state, 0, 0, 0);
}

static int setup_tiny_hwm(void **state)
{
	return setup_common(state, 1, 0, 0);
}

static int setup_retain(void **state)
{
	return setup_common(state, 0, 10, 0);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	close_consumer(f);
	close_producer(f);
	zmq_ctx_term(f->z);
	tu_rmdir(f->pdir);
	tu_rmdir(f->cdir);
	free(f);
	return 0;
}

struct emit {
	struct qf_bus_producer *p;
	int from, n;
	int fail;
};

static int emit_fn(struct qf_txn *t, void *arg)
{
	struct emit *e = arg;
	for (int i = e->from; i < e->from + e->n; i++) {
		char key[16], payload[32];
		snprintf(key, sizeof key, "b%d", i % 11);
		snprintf(payload, sizeof payload, "ev%d", i);
		struct qf_bus_event ev = {QINGFENG__V1__EVENT_TYPE__CASE_PROGRESS, key, "C1",
					  NULL, payload, strlen(payload), 0};
		int rc = qf_bus_emit(e->p, t, &ev, NULL, NULL, NULL);
		if (rc)
			return rc;
	}
	return e->fail ? QF_ERR_CONFLICT : QF_OK;
}

static void emit(struct fx *f, int from, int n, int fail)
{
	struct emit e = {f->p, from, n, fail};
	int rc = qf_store_write(f->ps, emit_fn, &e);
	assert_int_equal(rc, fail ? QF_ERR_CONFLICT : QF_OK);
}

/* run producer and consumer until the consumer has applied `want` events
 * (and is caught up), or 10 s pass */
static void pump(struct fx *f, uint64_t want)
{
	int64_t end = qf_mono_ms() + 10000;
	while (qf_mono_ms() < end) {
		if (f->p) {
			qf_bus_producer_tick(f->p);
			qf_bus_producer_serve(f->p);
		}
		qf_bus_consumer_tick(f->c);
		zmq_pollitem_t it[2];
		int n = qf_bus_consumer_pollitems(f->c, it, 2);
		zmq_poll(it, n, 5);
		qf_bus_consumer_process(f->c);
		if (f->app.count >= want && qf_bus_consumer_caught_up(f->c))
			break;
	}
}

static uint64_t total_high(struct fx *f)
{
	uint64_t t = 0;
	for (uint32_t p = 0; p < PARTS; p++)
		t += qf_bus_producer_high(f->p, p);
	return t;
}

static void test_exactly_once(void **state)
{
	struct fx *f = *state;
	pump(f, 0); /* let the consumer connect */
	for (int i = 0; i < 10; i++)
		emit(f, i * 100, 100, 0);
	pump(f, 1000);
	assert_int_equal(f->app.count, 1000);
	assert_int_equal(f->app.order_errors, 0);
	assert_int_equal(total_high(f), 1000);
}

static void test_abort_publishes_nothing(void **state)
{
	struct fx *f = *state;
	pump(f, 0);
	emit(f, 0, 50, 0);
	emit(f, 50, 50, 1); /* aborted: nothing published, seqs reused */
	emit(f, 100, 50, 0);
	pump(f, 100);
	assert_int_equal(total_high(f), 100);
	assert_int_equal(f->app.count, 100);
	assert_int_equal(f->app.order_errors, 0);
	uint64_t applied, dups, gaps, inc;
	qf_bus_consumer_counts(f->c, &applied, &dups, &gaps, &inc);
	assert_int_equal(applied, 100);
}

static void test_restart_from_checkpoint(void **state)
{
	struct fx *f = *state;
	pump(f, 0);
	emit(f, 0, 300, 0);
	pump(f, 300);
	assert_int_equal(f->app.count, 300);
	close_consumer(f);
	emit(f, 300, 200, 0); /* while the consumer is down */
	assert_int_equal(open_consumer(f), 0);
	pump(f, 500);
	assert_int_equal(f->app.count, 500); /* the 300 were not applied again */
	assert_int_equal(f->app.order_errors, 0);
}

static void test_failed_apply_retried(void **state)
{
	struct fx *f = *state;
	pump(f, 0);
	f->app.fail_next = 1;
	emit(f, 0, 40, 0);
	pump(f, 39); /* the first batch fails (nothing applied), then retried */
	pump(f, 40);
	/* the app's counter also counted the events it saw inside the aborted
	   transaction; what matters is the committed checkpoint: all 40, once */
	struct qf_bus_stream_state st[PARTS];
	unsigned n = qf_bus_consumer_streams(f->c, st, PARTS);
	uint64_t sum = 0;
	for (unsigned i = 0; i < n; i++)
		sum += st[i].applied;
	assert_int_equal(sum, 40);
}

static void test_drops_healed(void **state)
{
	struct fx *f = *state; /* rcvhwm 1: PUB drops most messages */
	pump(f, 0);
	for (int i = 0; i < 20; i++)
		emit(f, i * 100, 100, 0);
	pump(f, 2000);
	assert_int_equal(f->app.count, 2000);
	assert_int_equal(f->app.order_errors, 0);
}

static void test_new_incarnation(void **state)
{
	struct fx *f = *state;
	pump(f, 0);
	emit(f, 0, 20, 0);
	pump(f, 20);
	uint64_t old = qf_bus_producer_epoch(f->p);
	/* wipe the producer's store and start it again */
	close_producer(f);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -f '%s'/*.mdb", f->pdir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(open_producer(f), 0);
	assert_true(qf_bus_producer_epoch(f->p) != old);
	emit(f, 0, 5, 0);
	pump(f, 25);
	assert_int_equal(f->app.incarnations, 1);
	assert_int_equal(f->app.count, 25);
	uint64_t applied, dups, gaps, inc;
	qf_bus_consumer_counts(f->c, &applied, &dups, &gaps, &inc);
	assert_int_equal(inc, 1);
}

static void test_truncated_history(void **state)
{
	struct fx *f = *state; /* retain 10 per partition */
	/* written before the consumer exists, so it cannot get them live */
	close_consumer(f);
	emit(f, 0, 200, 0);
	assert_int_equal(open_consumer(f), 0);
	for (uint32_t p = 0; p < PARTS; p++)
		if (qf_bus_producer_high(f->p, p) > 10) {
			/* ask for seq 1 of a trimmed partition */
			Qingfeng__V1__ReplayRequest r = QINGFENG__V1__REPLAY_REQUEST__INIT;
			r.op = QINGFENG__V1__REPLAY_OP__REPLAY_FETCH;
			r.partition = p;
			r.from_seq = 1;
			uint8_t buf[64], *out;
			size_t len = qingfeng__v1__replay_request__pack(&r, buf), on;
			assert_int_equal(qf_bus_replay_answer(f->p, buf, len, &out, &on), QF_OK);
			Qingfeng__V1__ReplayReply *rep =
				qingfeng__v1__replay_reply__unpack(NULL, on, out);
			assert_non_null(rep);
			assert_int_equal(rep->status, QINGFENG__V1__REPLAY_STATUS__REPLAY_TRUNCATED);
			assert_true(rep->low_seq > 1);
			qingfeng__v1__replay_reply__free_unpacked(rep, NULL);
			free(out);
		}
	/* the consumer starts from seq 1: history is gone; reported once per
	   partition, not on every retry */
	int64_t end = qf_mono_ms() + 3000;
	while (qf_mono_ms() < end) {
		qf_bus_producer_tick(f->p);
		qf_bus_producer_serve(f->p);
		qf_bus_consumer_tick(f->c);
		zmq_pollitem_t it[2];
		int n = qf_bus_consumer_pollitems(f->c, it, 2);
		zmq_poll(it, n, 5);
		qf_bus_consumer_process(f->c);
	}
	assert_int_equal(f->app.gaps, PARTS);
	assert_int_equal(f->app.count, 0);
}

static void test_bad_replay_requests(void **state)
{
	struct fx *f = *state;
	uint8_t *out;
	size_t on;
	const uint8_t junk[] = {0xff, 0xff, 0xff, 0x01};
	assert_int_equal(qf_bus_replay_answer(f->p, junk, sizeof junk, &out, &on), QF_OK);
	Qingfeng__V1__ReplayReply *rep = qingfeng__v1__replay_reply__unpack(NULL, on, out);
	assert_non_null(rep);
	assert_int_equal(rep->status, QINGFENG__V1__REPLAY_STATUS__REPLAY_BAD_REQUEST);
	qingfeng__v1__replay_reply__free_unpacked(rep, NULL);
	free(out);
	Qingfeng__V1__ReplayRequest r = QINGFENG__V1__REPLAY_REQUEST__INIT;
	r.op = QINGFENG__V1__REPLAY_OP__REPLAY_FETCH;
	r.partition = 99;
	uint8_t buf[64];
	size_t len = qingfeng__v1__replay_request__pack(&r, buf);
	assert_int_equal(qf_bus_replay_answer(f->p, buf, len, &out, &on), QF_OK);
	rep = qingfeng__v1__replay_reply__unpack(NULL, on, out);
	assert_int_equal(rep->status, QINGFENG__V1__REPLAY_STATUS__REPLAY_BAD_PARTITION);
	qingfeng__v1__replay_reply__free_unpacked(rep, NULL);
	free(out);
}

static void test_decode_rejects(void **state)
{
	(void)state;
	Qingfeng__V1__Envelope e = QINGFENG__V1__ENVELOPE__INIT;
	uint8_t buf[256];
	e.schema_version = 1;
	e.producer = "p";
	e.seq = 0; /* invalid: seqs start at 1 */
	size_t n = qingfeng__v1__envelope__pack(&e, buf);
	assert_null(qf_bus_decode(buf, n));
	e.seq = 1;
	e.schema_version = 2; /* unknown catalogue version */
	n = qingfeng__v1__envelope__pack(&e, buf);
	assert_null(qf_bus_decode(buf, n));
	e.schema_version = 1;
	n = qingfeng__v1__envelope__pack(&e, buf);
	Qingfeng__V1__Envelope *d = qf_bus_decode(buf, n);
	assert_non_null(d);
	qingfeng__v1__envelope__free_unpacked(d, NULL);
}

static int setup_from_end(void **state)
{
	return setup_common(state, 0, 0, 1);
}

static void test_from_end(void **state)
{
	struct fx *f = *state;
	/* history written before the watcher exists: it must not print it */
	close_consumer(f);
	emit(f, 0, 30, 0);
	assert_int_equal(open_consumer(f), 0);
	/* let the watcher learn where the streams end */
	int64_t end = qf_mono_ms() + 2000;
	while (qf_mono_ms() < end) {
		qf_bus_producer_tick(f->p);
		qf_bus_producer_serve(f->p);
		qf_bus_consumer_tick(f->c);
		qf_bus_consumer_process(f->c);
		if (qf_bus_consumer_caught_up(f->c))
			break;
		usleep(5000);
	}
	assert_int_equal(f->app.count, 0);
	emit(f, 30, 10, 0);
	pump(f, 10);
	assert_int_equal(f->app.count, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exactly_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_publishes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_from_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_apply_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drops_healed, setup_tiny_hwm, teardown),
		cmocka_unit_test_setup_teardown(test_new_incarnation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_history, setup_retain, teardown),
		cmocka_unit_test_setup_teardown(test_bad_replay_requests, setup, teardown),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test_setup_teardown(test_from_end, setup_from_end, teardown),
	};
	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
