/* store_test: qf_store and the group-commit writer: commit/abort hooks,
 * map growth on MDB_MAP_FULL with the write function re-run, stale reader
 * slots, a failing job excluded from its batch, and many threads answered
 * by few commits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "qf_err.h"
#include "qf_store.h"
#include "testutil.h"

struct fx {
	char *dir;
	struct qf_store *s;
	MDB_dbi db;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->dir = tu_tmpdir("store");
	struct qf_store_opts o = {.path = f->dir, .map_size = 1 << 20};
	if (qf_store_open(&f->s, &o, NULL, 0) || qf_store_dbi(f->s, "t", 0, &f->db))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	qf_store_destroy(&f->s);
	qf_store_destroy(&f->s); /* safe twice */
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

struct kv {
	MDB_dbi db;
	const char *k, *v;
	int fail;
	int commits, aborts, runs;
};

static void on_commit(void *arg, uint64_t data)
{
	struct kv *kv = arg;
	assert_int_equal(data, 7);
	kv->commits++;
}

static void on_abort(void *arg, uint64_t data)
{
	(void)data;
	((struct kv *)arg)->aborts++;
}

static int put_fn(struct qf_txn *t, void *arg)
{
	struct kv *kv = arg;
	kv->runs++;
	qf_txn_on_commit(t, on_commit, kv, 7);
	qf_txn_on_commit(t, on_commit, kv, 8); /* duplicate: kept once */
	qf_txn_on_abort(t, on_abort, kv, 0);
	int rc = qf_txn_put(t, kv->db, kv->k, strlen(kv->k), kv->v, strlen(kv->v), 0);
	if (rc)
		return rc;
	return kv->fail ? QF_ERR_CONFLICT : QF_OK;
}

struct get {
	MDB_dbi db;
	const char *k;
	char out[64];
	int rc;
};

static int get_fn(struct qf_txn *t, void *arg)
{
	struct get *g = arg;
	MDB_val v;
	g->rc = qf_txn_get(t, g->db, g->k, strlen(g->k), &v);
	if (!g->rc)
		snprintf(g->out, sizeof g->out, "%.*s", (int)v.mv_size, (char *)v.mv_data);
	return QF_OK;
}

static void test_commit_abort(void **state)
{
	struct fx *f = *state;
	struct kv ok = {f->db, "a", "1", 0, 0, 0, 0};
	assert_int_equal(qf_store_write(f->s, put_fn, &ok), QF_OK);
	assert_int_equal(ok.commits, 1);
	assert_int_equal(ok.aborts, 0);
	struct kv bad = {f->db, "b", "2", 1, 0, 0, 0};
	assert_int_equal(qf_store_write(f->s, put_fn, &bad), QF_ERR_CONFLICT);
	assert_int_equal(bad.commits, 0);
	assert_int_equal(bad.aborts, 1);
	struct get g = {f->db, "a", "", 0};
	qf_store_read(f->s, get_fn, &g);
	assert_int_equal(g.rc, QF_OK);
	assert_string_equal(g.out, "1");
	struct get g2 = {f->db, "b", "", 0};
	qf_store_read(f->s, get_fn, &g2);
	assert_int_equal(g2.rc, QF_ERR_NOTFOUND);
}

struct big {
	MDB_dbi db;
	int n;
	int runs;
};

static int big_fn(struct qf_txn *t, void *arg)
{
	struct big *b = arg;
	b->runs++;
	static char val[4000];
	memset(val, 'x', sizeof val);
	for (int i = 0; i < b->n; i++) {
		char k[16];
		snprintf(k, sizeof k, "k%06d", i);
		int rc = qf_txn_put(t, b->db, k, strlen(k), val, sizeof val, 0);
		if (rc)
			return rc;
	}
	return QF_OK;
}

static void test_map_growth(void **state)
{
	struct fx *f = *state;
	/* 2000 x 4 KB = 8 MB into a 1 MB map: must grow and re-run */
	struct big b = {f->db, 2000, 0};
	uint64_t before = qf_store_map_size(f->s);
	assert_int_equal(qf_store_write(f->s, big_fn, &b), QF_OK);
	assert_true(qf_store_map_size(f->s) > before);
	assert_true(qf_store_grow_count(f->s) >= 1);
	assert_true(b.runs >= 2);
	struct get g = {f->db, "k001999", "", 0};
	qf_store_read(f->s, get_fn, &g);
	assert_int_equal(g.rc, QF_OK);
}

/* ----------------------------------------------------------- group commit */

struct job {
	struct qf_gc_job j;
	MDB_dbi db;
	int id;
	int fail_after_write;
	int done_rc;
	int done;
};

static int job_apply(struct qf_txn *t, void *arg)
{
	struct job *jb = arg;
	char k[16];
	snprintf(k, sizeof k, "job%05d", jb->id);
	int rc = qf_txn_put(t, jb->db, k, strlen(k), "v", 1, 0);
	if (rc)
		return rc;
	return jb->fail_after_write ? QF_ERR_IO : QF_OK;
}

static void job_done(void *arg, int rc)
{
	struct job *jb = arg;
	jb->done_rc = rc;
	jb->done = 1;
}

static void test_gc_batch_and_failure(void **state)
{
	struct fx *f = *state;
	struct qf_gc *gc;
	assert_int_equal(qf_gc_new(&gc, f->s, 0), QF_OK);
	struct job jobs[10];
	for (int i = 0; i < 10; i++) {
		jobs[i] = (struct job){{job_apply, job_done, &jobs[i], 0, NULL},
				       f->db, i, i == 4, 0, 0};
		assert_int_equal(qf_gc_submit(gc, &jobs[i].j), QF_OK);
	}
	int n = qf_gc_run(gc, NULL, NULL);
	assert_int_equal(n, 10);
	uint64_t batches, njobs;
	qf_gc_stats(gc, &batches, &njobs);
	assert_int_equal(batches, 1);
	for (int i = 0; i < 10; i++) {
		assert_true(jobs[i].done);
		assert_int_equal(jobs[i].done_rc, i == 4 ? QF_ERR_IO : QF_OK);
		char k[16];
		snprintf(k, sizeof k, "job%05d", i);
		struct get g = {f->db, k, "", 0};
		qf_store_read(f->s, get_fn, &g);
		/* the failed job's write was rolled back, the others kept */
		assert_int_equal(g.rc, i == 4 ? QF_ERR_NOTFOUND : QF_OK);
	}
	qf_gc_destroy(&gc);
	qf_gc_destroy(&gc);
}

struct caller {
	struct qf_gc *gc;
	MDB_dbi db;
	int base;
	int ok;
};

static int call_apply(struct qf_txn *t, void *arg)
{
	struct job *jb = arg;
	return job_apply(t, jb);
}

static void *caller_thread(void *arg)
{
	struct caller *c = arg;
	for (int i = 0; i < 50; i++) {
		struct job jb = {{0}, c->db, c->base + i, 0, 0, 0};
		if (qf_gc_call(c->gc, call_apply, &jb) == QF_OK)
			c->ok++;
	}
	return NULL;
}

static void test_gc_threads(void **state)
{
	struct fx *f = *state;
	struct qf_gc *gc;
	assert_int_equal(qf_gc_new(&gc, f->s, 0), QF_OK);
	assert_int_equal(qf_gc_start(gc), QF_OK);
	enum { T = 8 };
	pthread_t th[T];
	struct caller cs[T];
	for (int i = 0; i < T; i++) {
		cs[i] = (struct caller){gc, f->db, 1000 + i * 100, 0};
		pthread_create(&th[i], NULL, caller_thread, &cs[i]);
	}
	for (int i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(cs[i].ok, 50);
	}
	uint64_t batches, njobs;
	qf_gc_stats(gc, &batches, &njobs);
	assert_int_equal(njobs, T * 50);
	/* group commit: fewer transactions than jobs */
	assert_true(batches < njobs);
	qf_gc_destroy(&gc);
}

/* qf_iter: every key with a prefix, in order, and nothing else. */
struct iter_case {
	MDB_dbi db;
	const char *prefix;
	char seen[64];
	int rc;
};

static int iter_fill(struct qf_txn *t, void *arg)
{
	MDB_dbi *db = arg;
	static const char *const keys[] = {"a1", "b", "b1", "b2", "c1", "bz"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		int rc = qf_txn_put(t, *db, keys[i], strlen(keys[i]), "v", 1, 0);
		if (rc)
			return rc;
	}
	return QF_OK;
}

static int iter_read(struct qf_txn *t, void *arg)
{
	struct iter_case *c = arg;
	struct qf_iter it;
	int rc;
	c->seen[0] = '\0';
	for (rc = qf_iter_open(&it, t, c->db, c->prefix, c->prefix ? strlen(c->prefix) : 0);
	     rc == QF_OK && (rc = qf_iter_next(&it)) > 0; rc = QF_OK) {
		strncat(c->seen, it.k.mv_data, it.k.mv_size);
		strcat(c->seen, " ");
	}
	qf_iter_close(&it);
	qf_iter_close(&it); /* safe twice */
	c->rc = rc;
	return QF_OK;
}

static void test_iter_prefix(void **state)
{
	struct fx *f = *state;
	assert_int_equal(qf_store_write(f->s, iter_fill, &f->db), QF_OK);
	struct {
		const char *prefix, *want;
	} cases[] = {
	    {NULL, "a1 b b1 b2 bz c1 "}, {"b", "b b1 b2 bz "}, {"b1", "b1 "},
	    {"bb", ""},			 {"z", ""},	       {"", "a1 b b1 b2 bz c1 "},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct iter_case c = {.db = f->db, .prefix = cases[i].prefix};
		assert_int_equal(qf_store_read(f->s, iter_read, &c), QF_OK);
		assert_int_equal(c.rc, 0);
		assert_string_equal(c.seen, cases[i].want);
	}
	/* a prefix longer than the iterator keeps */
	char longp[QF_ITER_PREFIX_MAX + 2];
	memset(longp, 'b', sizeof longp - 1);
	longp[sizeof longp - 1] = '\0';
	struct iter_case c = {.db = f->db, .prefix = longp};
	assert_int_equal(qf_store_read(f->s, iter_read, &c), QF_OK);
	assert_int_equal(c.rc, QF_ERR_INVAL);
}

static void test_be(void **state)
{
	(void)state;
	uint8_t b[8];
	qf_be64_put(b, 0x0102030405060708ull);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[7], 8);
	assert_true(qf_be64_get(b) == 0x0102030405060708ull);
	qf_be32_put(b, 0xdeadbeef);
	assert_true(qf_be32_get(b) == 0xdeadbeef);
}

static void test_open_errors(void **state)
{
	(void)state;
	struct qf_store *s = NULL;
	char err[256];
	struct qf_store_opts o = {.path = "/proc/qf-no-such-place/x"};
	assert_int_not_equal(qf_store_open(&s, &o, err, sizeof err), QF_OK);
	assert_null(s);
	assert_non_null(strstr(err, "/proc/qf-no-such-place"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gc_batch_and_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gc_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iter_prefix, setup, teardown),
		cmocka_unit_test(test_be),
		cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
