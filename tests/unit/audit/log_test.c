/* log_test.c: the stored, tiled log (qf_merkle_log in common/qf_merkle.c):
 * roots, proofs and tiles read back from LMDB equal a frontier computed here
 * from the same leaves, across transactions of every size, aborted
 * transactions, map growth (the write function runs again), and reopening
 * the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"
#include "qf_err.h"
#include "qf_merkle.h"
#include "qf_store.h"

struct fixture {
	char *dir;
	struct qf_store *store;
	struct qf_merkle_log *log;
	/* the model: every leaf hash, and every level-8k node (tiles) */
	uint8_t (*lh)[32];
	uint64_t n, cap;
};

static void leaf_data(uint64_t i, uint8_t *buf, size_t *len)
{
	*len = 1 + (size_t)(i * 37 % 300);
	for (size_t k = 0; k < *len; k++)
		buf[k] = (uint8_t)(i * 131 + k);
}

static int open_all(struct fixture *f, size_t map)
{
	struct qf_store_opts o = {.path = f->dir, .map_size = map};
	char err[256];
	if (qf_store_open(&f->store, &o, err, sizeof err))
		return -1;
	return qf_merkle_log_open(&f->log, f->store, "t");
}

static void close_all(struct fixture *f)
{
	qf_merkle_log_destroy(&f->log);
	qf_store_destroy(&f->store);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = tu_tmpdir("mlog");
	f->cap = 1 << 16;
	f->lh = malloc(f->cap * 32);
	assert_int_equal(open_all(f, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	close_all(f);
	tu_rmdir(f->dir);
	free(f->lh);
	free(f);
	return 0;
}

struct batch {
	struct fixture *f;
	uint64_t count;
	int fail; /* return an error after appending: the txn aborts */
	unsigned runs;
};

static int s_append(struct qf_txn *t, void *arg)
{
	struct batch *b = arg;
	b->runs++;
	uint64_t size;
	assert_int_equal(qf_merkle_log_size(b->f->log, t, &size), 0);
	for (uint64_t i = 0; i < b->count; i++) {
		uint8_t buf[400];
		size_t len;
		uint64_t idx;
		leaf_data(size + i, buf, &len);
		int rc = qf_merkle_log_append(b->f->log, t, buf, len, &idx, NULL);
		if (rc)
			return rc;
		assert_int_equal(idx, size + i);
	}
	return b->fail ? QF_ERR_CONFLICT : 0;
}

static void append(struct fixture *f, uint64_t count)
{
	struct batch b = {f, count, 0, 0};
	assert_int_equal(qf_store_write(f->store, s_append, &b), 0);
	for (uint64_t i = 0; i < count; i++) {
		uint8_t buf[400];
		size_t len;
		leaf_data(f->n, buf, &len);
		qf_merkle_leaf_hash(buf, len, f->lh[f->n++]);
	}
	assert_int_equal(qf_merkle_log_committed(f->log), f->n);
}

/* The model's complete nodes, level by level (level 0: the leaf hashes). */
struct levels {
	uint8_t (*h[40])[32];
	uint64_t n[40];
};

static void levels_build(struct levels *lv, struct fixture *f)
{
	memset(lv, 0, sizeof *lv);
	lv->h[0] = malloc((f->n ? f->n : 1) * 32);
	memcpy(lv->h[0], f->lh, f->n * 32);
	lv->n[0] = f->n;
	for (int l = 1; l < 40; l++) {
		lv->n[l] = lv->n[l - 1] / 2;
		lv->h[l] = malloc((lv->n[l] ? lv->n[l] : 1) * 32);
		for (uint64_t i = 0; i < lv->n[l]; i++)
			qf_merkle_node_hash(lv->h[l - 1][2 * i], lv->h[l - 1][2 * i + 1],
					    lv->h[l][i]);
	}
}

static void levels_free(struct levels *lv)
{
	for (int l = 0; l < 40; l++)
		free(lv->h[l]);
}

static int m_node(void *arg, unsigned level, uint64_t index, uint8_t out[32])
{
	struct levels *lv = arg;
	if (level >= 40 || index >= lv->n[level])
		return QF_ERR_NOTFOUND;
	memcpy(out, lv->h[level][index], 32);
	return 0;
}

struct check {
	struct fixture *f;
	uint64_t n;
};

static int s_check(struct qf_txn *t, void *arg)
{
	struct check *c = arg;
	struct fixture *f = c->f;
	struct levels lv;
	levels_build(&lv, f);
	uint64_t size;
	assert_int_equal(qf_merkle_log_size(f->log, t, &size), 0);
	assert_int_equal(size, f->n);
	/* roots at several sizes */
	uint64_t sizes[] = {0, 1, 2, 3, 255, 256, 257, 511, 512, 4095, 4096, 4097, f->n};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		if (sizes[i] > f->n)
			continue;
		uint8_t got[32], want[32];
		assert_int_equal(qf_merkle_log_root(f->log, t, sizes[i], got), 0);
		struct qf_merkle_frontier fr;
		qf_merkle_frontier_init(&fr);
		for (uint64_t k = 0; k < sizes[i]; k++)
			qf_merkle_frontier_push(&fr, f->lh[k], NULL, NULL);
		qf_merkle_frontier_root(&fr, want);
		assert_memory_equal(got, want, 32);
	}
	/* inclusion proofs equal the model's and verify */
	uint8_t root[32];
	assert_int_equal(qf_merkle_log_root(f->log, t, f->n, root), 0);
	for (uint64_t i = 0; i < f->n; i += 1 + f->n / 50) {
		uint8_t p[QF_MERKLE_MAX_PROOF][32], q[QF_MERKLE_MAX_PROOF][32];
		size_t pn, qn;
		assert_int_equal(qf_merkle_log_inclusion(f->log, t, i, f->n, p, &pn), 0);
		assert_int_equal(qf_merkle_inclusion_proof(m_node, &lv, i, f->n, q, &qn),
				 0);
		assert_int_equal(pn, qn);
		assert_memory_equal(p, q, 32 * pn);
		assert_int_equal(qf_merkle_check_inclusion(i, f->n, f->lh[i],
							   (const uint8_t(*)[32])p, pn,
							   root),
				 0);
		const uint8_t *d;
		size_t l;
		uint8_t h[32];
		assert_int_equal(qf_merkle_log_leaf(f->log, t, i, &d, &l), 0);
		qf_merkle_leaf_hash(d, l, h);
		assert_memory_equal(h, f->lh[i], 32);
	}
	/* consistency between sizes */
	for (uint64_t m = 1; m < f->n; m = m * 3 + 1) {
		uint8_t p[QF_MERKLE_MAX_PROOF][32], r1[32];
		size_t pn;
		assert_int_equal(qf_merkle_log_consistency(f->log, t, m, f->n, p, &pn),
				 0);
		assert_int_equal(qf_merkle_log_root(f->log, t, m, r1), 0);
		assert_int_equal(qf_merkle_check_consistency(m, f->n, r1, root,
							     (const uint8_t(*)[32])p, pn),
				 0);
	}
	/* hash tiles of levels 0 and 1, full and partial */
	if (!qf_txn_readonly(t)) {
		levels_free(&lv);
		return 0;
	}
	for (unsigned level = 0; level < 2; level++) {
		for (uint64_t ti = 0;; ti++) {
			unsigned w = qf_merkle_tile_width(level, ti, f->n);
			if (!w)
				break;
			const uint8_t *h;
			assert_int_equal(qf_merkle_log_tile(f->log, t, level, ti, w, &h),
					 0);
			for (unsigned k = 0; k < w; k++) {
				uint8_t want[32];
				assert_int_equal(
				    m_node(&lv, 8 * level, ti * 256 + k, want), 0);
				assert_memory_equal(h + 32 * k, want, 32);
			}
			/* narrower partial views of the same tile are its prefix */
			if (w > 1)
				assert_int_equal(
				    qf_merkle_log_tile(f->log, t, level, ti, w - 1, &h),
				    0);
			if (w < 256)
				assert_int_equal(
				    qf_merkle_log_tile(f->log, t, level, ti, w + 1, &h),
				    QF_ERR_NOTFOUND);
		}
	}
	/* nothing beyond the tree */
	uint8_t out[32];
	assert_int_equal(qf_merkle_log_node(f->log, t, 0, f->n, out), QF_ERR_NOTFOUND);
	const uint8_t *d;
	size_t l;
	assert_int_equal(qf_merkle_log_leaf(f->log, t, f->n, &d, &l), QF_ERR_NOTFOUND);
	levels_free(&lv);
	return 0;
}

static void check(struct fixture *f)
{
	struct check c = {f, f->n};
	assert_int_equal(qf_store_read(f->store, s_check, &c), 0);
}

static void test_batches(void **state)
{
	struct fixture *f = *state;
	check(f); /* empty */
	uint64_t sizes[] = {1, 1, 1, 5, 100, 148, 1, 255, 256, 257, 3000, 7, 4096};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		append(f, sizes[i]);
		check(f);
	}
	/* the writer's own transaction sees its pending appends */
	struct check c = {f, f->n};
	assert_int_equal(qf_store_write(f->store, s_check, &c), 0);
}

static void test_abort_and_reopen(void **state)
{
	struct fixture *f = *state;
	append(f, 300);
	/* an aborted transaction leaves no trace, in the store or in memory */
	struct batch b = {f, 77, 1, 0};
	assert_int_equal(qf_store_write(f->store, s_append, &b), QF_ERR_CONFLICT);
	assert_int_equal(qf_merkle_log_committed(f->log), f->n);
	check(f);
	append(f, 10);
	check(f);
	/* reopen: the rightmost tiles come back from the store */
	close_all(f);
	assert_int_equal(open_all(f, 0), 0);
	assert_int_equal(qf_merkle_log_committed(f->log), f->n);
	append(f, 700);
	check(f);
}

static void test_map_growth(void **state)
{
	struct fixture *f = *state;
	close_all(f);
	tu_rmdir(f->dir);
	f->dir = tu_tmpdir("mlog");
	f->n = 0;
	/* a 1 MiB map fills during a large batch: the batch is run again */
	assert_int_equal(open_all(f, 1 << 20), 0);
	struct batch b = {f, 20000, 0, 0};
	assert_int_equal(qf_store_write(f->store, s_append, &b), 0);
	assert_true(b.runs > 1);
	assert_true(qf_store_grow_count(f->store) > 0);
	for (uint64_t i = 0; i < 20000; i++) {
		uint8_t buf[400];
		size_t len;
		leaf_data(f->n, buf, &len);
		qf_merkle_leaf_hash(buf, len, f->lh[f->n++]);
	}
	check(f);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abort_and_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_growth, setup, teardown),
	};
	return cmocka_run_group_tests_name("audit_log", tests, NULL, NULL);
}
