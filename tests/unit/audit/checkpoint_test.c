/* checkpoint_test.c: the audit service's signing (services/audit/
 * checkpoint.c) on a real store: the development key is made once and kept,
 * checkpoints are signed in the batch that crosses every_entries, each opens
 * with the verifier key and carries the tree's root, and the service refuses
 * to sign a checkpoint that does not extend the last one, or to start on a
 * store whose tree no longer gives the last signed root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"
#include "audit.h"
#include "qf_err.h"
#include "qf_id.h"

struct fx {
	char *dir;
	void *zctx;
	struct qf_clock clock;
	struct audit_conf conf;
	struct audit a;
	uint64_t seq;
};

static int fx_open(struct fx *f)
{
	memset(&f->a, 0, sizeof f->a);
	f->a.conf = &f->conf;
	f->a.clock = &f->clock;
	struct qf_store_opts so = {.path = f->dir, .no_sync = 1};
	if (qf_store_open(&f->a.store, &so, NULL, 0))
		return -1;
	/* fresh endpoints each time: an inproc name is released asynchronously */
	static unsigned n;
	char pub[64], replay[64];
	snprintf(pub, sizeof pub, "inproc://ckpt-test-pub-%u", ++n);
	snprintf(replay, sizeof replay, "inproc://ckpt-test-replay-%u", n);
	struct qf_bus_producer_opts po = {
	    .name = "audit", .pub_endpoint = pub, .replay_endpoint = replay};
	if (qf_bus_producer_new(&f->a.prod, f->zctx, f->a.store, &f->clock, &po, NULL, 0))
		return -1;
	if (audit_ingest_open(&f->a) || audit_rules_open(&f->a) || audit_keys_load(&f->a))
		return -1;
	return audit_ckpt_open(&f->a);
}

static void fx_close(struct fx *f)
{
	qf_bus_producer_destroy(&f->a.prod);
	qf_merkle_log_destroy(&f->a.log);
	audit_rules_close(&f->a);
	free(f->a.vkey);
	qf_store_destroy(&f->a.store);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->dir = tu_tmpdir("ckpt");
	f->zctx = zmq_ctx_new();
	qf_clock_init_fake(&f->clock, 1790000000000LL);
	f->conf.origin = "";
	f->conf.key_file = "";
	f->conf.every_entries = 10;
	f->conf.every_seconds = 3600;
	f->conf.max_transfers = 3;
	f->conf.view_max_wait_s = 60;
	f->conf.view_roles = "";
	f->conf.svc.data_dir = f->dir;
	assert_int_equal(fx_open(f), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	fx_close(f);
	zmq_ctx_term(f->zctx);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

struct batch {
	struct fx *f;
	unsigned n;
};

static int s_append(struct qf_txn *t, void *arg)
{
	struct batch *b = arg;
	for (unsigned i = 0; i < b->n; i++) {
		Qingfeng__V1__CaseTransition tr = QINGFENG__V1__CASE_TRANSITION__INIT;
		char cid[32];
		snprintf(cid, sizeof cid, "C%llu", (unsigned long long)b->f->seq);
		tr.case_id = cid;
		tr.assignee = "s04";
		uint8_t pl[256], env[512];
		size_t pn = qingfeng__v1__case_transition__pack(&tr, pl);
		Qingfeng__V1__Envelope e = QINGFENG__V1__ENVELOPE__INIT;
		e.schema_version = 1;
		e.producer = "router";
		e.epoch = 7;
		e.seq = ++b->f->seq;
		e.case_id = cid;
		e.type = QINGFENG__V1__EVENT_TYPE__CASE_PROGRESS;
		e.payload.data = pl;
		e.payload.len = pn;
		size_t en = qingfeng__v1__envelope__pack(&e, env);
		struct qf_bus_msg m = {&e, env, en};
		int rc = audit_apply(&b->f->a, t, &m);
		if (rc)
			return rc;
	}
	return 0;
}

static void append(struct fx *f, unsigned n)
{
	struct batch b = {f, n};
	assert_int_equal(qf_store_write(f->a.store, s_append, &b), 0);
}

struct last {
	struct fx *f;
	uint64_t size, count;
	char note[1024];
	size_t len;
	uint8_t root[32];
};

static int s_last(struct qf_txn *t, void *arg)
{
	struct last *l = arg;
	MDB_cursor *c;
	assert_int_equal(mdb_cursor_open(qf_txn_mdb(t), l->f->a.ckpts, &c), 0);
	MDB_val k, v;
	assert_int_equal(mdb_cursor_get(c, &k, &v, MDB_LAST), 0);
	l->size = qf_be64_get(k.mv_data);
	l->len = v.mv_size - 40;
	assert_true(l->len < sizeof l->note);
	memcpy(l->note, (char *)v.mv_data + 40, l->len);
	mdb_cursor_close(c);
	MDB_stat st;
	mdb_stat(qf_txn_mdb(t), l->f->a.ckpts, &st);
	l->count = st.ms_entries;
	return qf_merkle_log_root(l->f->a.log, t, l->size, l->root);
}

static void last(struct fx *f, struct last *l)
{
	memset(l, 0, sizeof *l);
	l->f = f;
	assert_int_equal(qf_store_read(f->a.store, s_last, l), 0);
}

static void test_signed_in_the_crossing_batch(void **state)
{
	struct fx *f = *state;
	struct last l;
	last(f, &l);
	assert_int_equal(l.size, 0); /* the first checkpoint, at start */
	assert_int_equal(l.count, 1);
	append(f, 9); /* not enough */
	last(f, &l);
	assert_int_equal(l.size, 0);
	append(f, 6); /* crosses 10: signed at the end of this batch */
	last(f, &l);
	assert_int_equal(l.size, 15);
	assert_int_equal(f->a.ckpt_size, 15);
	size_t tl;
	assert_int_equal(qf_note_open(l.note, l.len, &f->a.verifier, 1, &tl), 0);
	struct qf_checkpoint c;
	assert_int_equal(qf_checkpoint_parse(l.note, tl, &c), 0);
	assert_string_equal(c.origin, "qingfeng.local/audit/v2");
	assert_int_equal(c.size, 15);
	assert_memory_equal(c.root, l.root, 32);
	/* the key survives a restart; the log carries on from its checkpoint */
	char *vkey = strdup(f->a.vkey);
	fx_close(f);
	assert_int_equal(fx_open(f), 0);
	assert_string_equal(f->a.vkey, vkey);
	free(vkey);
	assert_int_equal(f->a.ckpt_size, 15);
	append(f, 10);
	last(f, &l);
	assert_int_equal(l.size, 25);
	assert_int_equal(l.count, 3);
}

static int s_sign(struct qf_txn *t, void *arg)
{
	int made;
	return audit_ckpt_sign(arg, t, &made);
}

static void test_refuses_an_inconsistent_checkpoint(void **state)
{
	struct fx *f = *state;
	append(f, 12);
	struct last before, after;
	last(f, &before);
	assert_int_equal(before.size, 12);
	append(f, 3);
	/* as if the last checkpoint had another root: this tree does not
	 * extend it, so the log must not sign */
	f->a.ckpt_root[3] ^= 0x10;
	f->a.pend_root[3] ^= 0x10;
	assert_int_equal(qf_store_write(f->a.store, s_sign, &f->a), QF_ERR_CONFLICT);
	/* ... nor sign in a batch that crosses every_entries; the leaves are
	 * still committed */
	append(f, 10);
	last(f, &after);
	assert_int_equal(after.count, before.count);
	assert_int_equal(after.size, 12);
	assert_int_equal(qf_merkle_log_committed(f->a.log), 25);
	/* and a smaller tree than the last checkpoint is refused too */
	f->a.ckpt_root[3] ^= 0x10;
	f->a.pend_root[3] ^= 0x10;
	f->a.ckpt_size = f->a.pend_size = 1000;
	assert_int_equal(qf_store_write(f->a.store, s_sign, &f->a), QF_ERR_CONFLICT);
}

/* A store whose tree no longer gives the last signed root: refuse to run. */
static int s_corrupt(struct qf_txn *t, void *arg)
{
	struct fx *f = arg;
	MDB_cursor *c;
	assert_int_equal(mdb_cursor_open(qf_txn_mdb(t), f->a.ckpts, &c), 0);
	MDB_val k, v;
	assert_int_equal(mdb_cursor_get(c, &k, &v, MDB_LAST), 0);
	uint8_t *copy = malloc(v.mv_size), key[8];
	memcpy(copy, v.mv_data, v.mv_size);
	memcpy(key, k.mv_data, 8);
	copy[8] ^= 1; /* the stored root */
	mdb_cursor_close(c);
	int rc = qf_txn_put(t, f->a.ckpts, key, 8, copy, v.mv_size, 0);
	free(copy);
	return rc;
}

static void test_refuses_to_start_on_a_damaged_store(void **state)
{
	struct fx *f = *state;
	append(f, 20);
	assert_int_equal(qf_store_write(f->a.store, s_corrupt, f), 0);
	fx_close(f);
	assert_int_equal(fx_open(f), QF_ERR_CONFLICT);
}

int main(void)
{
	if (qf_id_init())
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_signed_in_the_crossing_batch, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_an_inconsistent_checkpoint,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_to_start_on_a_damaged_store,
					    setup, teardown),
	};
	return cmocka_run_group_tests_name("audit_checkpoint", tests, NULL, NULL);
}
