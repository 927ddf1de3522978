/* batch_test.c: a replica applying events in large transactions (a replay
 * page at a time, before its first catch-up: the case cache's arena is kept
 * from batch to batch and live notes the ring cannot keep are dropped early)
 * stores exactly, byte for byte, what a replica applying one event per
 * transaction stores; and the transaction arena itself. */
#include "dpenv.h"

#include "arena.h"

#define NCASES 700 /* more than a 1 MB arena block of cases */

static const char *const s_cat[] = {"facility_repair", "sanitation_hazard",
				    "safety_hazard"};
static const char *const s_bld[] = {"B01", "B02", "B05"};
static const char *const s_text[] = {
    "楼道灯坏了，晚上看不见路。",
    "垃圾站三天没有清运，气味很大，联系人王小明电话13812345678。",
    "楼上每天深夜拖动家具，沟通过几次没有效果，楼长李建国也来看过。",
};

/* every case: its petition, then for most of them the router's steps */
static void s_events(struct env *e)
{
	uint64_t rseq = 0;
	for (int i = 0; i < NCASES; i++) {
		char id[32];
		snprintf(id, sizeof id, "C%05d", i);
		int64_t at = T0 + (int64_t)i * 60000;
		env_petition(e, (uint64_t)i + 1, id, s_cat[i % 3], s_bld[i % 3],
			     s_text[i % 3], at);
		if (i % 5 == 4)
			continue; /* still submitted */
		env_transition(e, ++rseq, ET(CASE_ASSIGNED), id, ST(ASSIGNED), "s05",
			       at + HOUR, at + 25 * HOUR, at + 73 * HOUR, NULL, 0);
		env_transition(e, ++rseq, ET(CASE_ACCEPTED), id, ST(ACCEPTED), "s05",
			       at + 2 * HOUR, 0, 0, NULL, 0);
		if (i % 3 == 0)
			env_transition(e, ++rseq, ET(CASE_RESOLVED), id, ST(RESOLVED),
				       "s05", at + 5 * HOUR, 0, 0,
				       "已经修好，王小明确认过", 0);
	}
}

/* Every key and value of the view's databases, in order. */
struct dump {
	struct env *e;
	char *p;
	size_t n, cap;
};

static void s_add(struct dump *d, const void *p, size_t n)
{
	while (d->n + n + 8 > d->cap) {
		d->cap = d->cap ? 2 * d->cap : 1 << 20;
		d->p = realloc(d->p, d->cap);
		assert_non_null(d->p);
	}
	memcpy(d->p + d->n, &n, sizeof n);
	memcpy(d->p + d->n + sizeof n, p, n);
	d->n += sizeof n + n;
}

static int s_dump(struct qf_txn *t, void *arg)
{
	struct dump *d = arg;
	const struct dp_db *db = &d->e->dp.db;
	MDB_dbi dbs[] = {db->cases,  db->case_names, db->by_time, db->by_cat,
			 db->by_bld, db->by_state,   db->by_due,  db->by_code,
			 db->counts, db->live,	     db->meta};
	for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
		MDB_cursor *c;
		assert_int_equal(mdb_cursor_open(qf_txn_mdb(t), dbs[i], &c), 0);
		MDB_val k, v;
		size_t rows = 0;
		for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
		     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), rows++) {
			s_add(d, k.mv_data, k.mv_size);
			/* names are hashed under each store's own key (meta's
			   name_key): their count */
			if (dbs[i] == db->case_names ||
			    (dbs[i] == db->meta && k.mv_size == 8 &&
			     !memcmp(k.mv_data, "name_key", 8)))
				s_add(d, &v.mv_size, sizeof v.mv_size);
			else
				s_add(d, v.mv_data, v.mv_size);
		}
		mdb_cursor_close(c);
		s_add(d, &rows, sizeof rows);
	}
	return QF_OK;
}

static void test_batches_store_the_same(void **state)
{
	(void)state;
	/* one event per transaction, as a replica following live traffic */
	struct env *a = env_new();
	a->dp.ready_seen = 1;
	s_events(a);
	/* a replica catching up: two large transactions, the second loading
	   the cases the first stored (and keeping the first one's arena) */
	struct env *b = env_new();
	env_batch_begin(b);
	s_events(b);
	size_t half = b->nbatch / 2;
	size_t rest = b->nbatch - half;
	struct batch_ev *tail = malloc(rest * sizeof *tail);
	assert_non_null(tail);
	memcpy(tail, b->batch + half, rest * sizeof *tail);
	b->nbatch = half;
	assert_int_equal(env_batch_end(b), 0);
	env_batch_begin(b);
	b->batch = tail;
	b->nbatch = b->capbatch = rest;
	assert_int_equal(env_batch_end(b), 0);

	struct dump da = {a, NULL, 0, 0}, db = {b, NULL, 0, 0};
	env_read(a, s_dump, &da);
	env_read(b, s_dump, &db);
	assert_true(da.n > (size_t)NCASES * 200);
	assert_int_equal(da.n, db.n);
	assert_memory_equal(da.p, db.p, da.n);
	free(da.p);
	free(db.p);
	env_free(a);
	env_free(b);
}

static void test_arena(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	assert_non_null(a);
	for (int round = 0; round < 3; round++) {
		unsigned char *p[4000];
		for (int i = 0; i < 4000; i++) {
			size_t n = 1 + (size_t)(i * 37 % 3000);
			p[i] = arena_alloc(a, n);
			assert_non_null(p[i]);
			assert_int_equal((uintptr_t)p[i] % 16, 0);
			memset(p[i], i & 0xff, n);
		}
		unsigned char *big = arena_alloc(a, 3 << 20); /* a block of its own */
		assert_non_null(big);
		memset(big, 0xee, 3 << 20);
		for (int i = 0; i < 4000; i++) /* nothing overlapped */
			assert_int_equal(p[i][(size_t)(i * 37 % 3000)], i & 0xff);
		arena_reset(a);
	}
	arena_reset(NULL);
	arena_free(a);
	arena_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_batches_store_the_same),
	    cmocka_unit_test(test_arena),
	};
	return cmocka_run_group_tests_name("disclosure batches", tests, NULL, NULL);
}
