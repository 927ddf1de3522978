/* retention_test: private data forgotten when its retention has passed, on
 * the fake clock: a final case expires once at final time + retention.days
 * (PRIVATE_EXPIRED, the vault subject forgotten in the same transaction,
 * the petition gone), a reopened case cancels its expiry, stepping the
 * clock back and forth or restarting never makes it fire twice, a changed
 * setting applies to cases already waiting, visits expire under
 * "visit:<id>", and the work per transaction is bounded. */
#include "testenv.h"

static int setup(void **state)
{
	*state = t_open();
	return 0;
}

static int teardown(void **state)
{
	t_close(*state);
	return 0;
}

#define TE	     ((struct tenv *)*state)
#define ACT(id, ...) t_action(TE, id, (struct t_action){__VA_ARGS__})

/* A case taken from petition to closed at `at`. */
static void s_closed_case_of(struct tenv *te, const char *id, const char *cat,
			     const char *concerns, const char *pseudonym, int64_t at)
{
	te->clock.fake_ms = at;
	t_petition(te, id,
		   (struct t_petition){cat, "B03", concerns, .pseudonym = pseudonym});
	const char *who = t_case(te, id).assignee;
	char handler[RT_STAFF_MAX];
	snprintf(handler, sizeof handler, "%s", who);
	assert_int_equal(t_action(te, id, (struct t_action){AK(ACCEPT), handler}), 200);
	assert_int_equal(
	    t_action(te, id, (struct t_action){AK(RESOLVE), handler, .result = "已处理"}),
	    200);
	assert_int_equal(t_action(te, id, (struct t_action){AK(CLOSE), "s01"}), 200);
	assert_int_equal(t_case(te, id).state, RT_CLOSED);
}

static void s_closed_case(struct tenv *te, const char *id, const char *cat,
			  const char *concerns, int64_t at)
{
	s_closed_case_of(te, id, cat, concerns, NULL, at);
}

struct petition_get {
	struct tenv *te;
	const char *id;
	int rc, forgotten;
};

static int s_petition_fn(struct qf_txn *t, void *arg)
{
	struct petition_get *g = arg;
	uint8_t *p = NULL;
	size_t n = 0;
	g->rc = rt_db_petition_get(&g->te->db, t, g->id, &p, &n);
	free(p);
	g->forgotten = qf_vault_forgotten(g->te->db.vault, t, g->id);
	return QF_OK;
}

static struct petition_get s_petition(struct tenv *te, const char *id)
{
	struct petition_get g = {te, id, 0, 0};
	assert_int_equal(qf_store_read(te->store, s_petition_fn, &g), 0);
	return g;
}

static void test_case_expires_once(void **state)
{
	int64_t closed = t_time("2026-03-03T10:00:00+08:00");
	s_closed_case(TE, "C1", "facility_repair", NULL, closed);
	assert_int_equal(TE->conf.rt.retention_days, 1095);
	assert_int_equal(s_petition(TE, "C1").rc, QF_OK);
	int64_t due = closed + 1095 * DAY;
	t_fire_at(TE, due - 1);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), NULL), 0);
	assert_false(t_case(TE, "C1").flags & RT_F_EXPIRED);
	t_fire_at(TE, due);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), NULL), 1);
	Qingfeng__V1__PrivateExpired *x = t_last(TE, ET(PRIVATE_EXPIRED), "C1");
	assert_non_null(x);
	assert_string_equal(x->subject, "C1");
	assert_string_equal(x->case_id, "C1");
	assert_int_equal(x->final_ms, closed);
	assert_int_equal(x->retention_days, 1095);
	assert_int_equal(x->at_ms, due);
	t_free(x);
	/* every field is public: the envelope carries all of it */
	x = t_last_public(TE, ET(PRIVATE_EXPIRED), "C1");
	assert_string_equal(x->subject, "C1");
	assert_int_equal(x->final_ms, closed);
	t_free(x);
	assert_string_equal(TE->ev[TE->nev - 1].key, "B03"); /* the case's key */
	/* forgotten in the same transaction: the petition cannot be read */
	struct petition_get g = s_petition(TE, "C1");
	assert_int_equal(g.rc, QF_ERR_NOTFOUND);
	assert_true(g.forgotten);
	struct rt_case k = t_case(TE, "C1");
	assert_true(k.flags & RT_F_EXPIRED);
	assert_int_equal(k.state, RT_CLOSED);
	/* on the case's timeline */
	assert_int_equal(k.tl[k.nevents - 1], TE->outseq[k.tl_part]);
	/* never again, whatever the clock does */
	t_fire_at(TE, due + 400 * DAY);
	t_fire_at(TE, due - 10 * DAY);
	t_fire_at(TE, due + 10 * DAY);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), NULL), 1);
	/* a case whose private data is gone cannot come back */
	assert_int_equal(ACT("C1", AK(REOPEN), "s01", .reason = "居民再次反映"), 409);
	assert_string_equal(t_code(TE), "private_expired");
	t_feedback(TE, "C1", 1, "K-late");
	assert_string_equal(t_code(TE), "private_expired");
	assert_int_equal(t_case(TE, "C1").state, RT_CLOSED);
}

static void test_reopen_cancels(void **state)
{
	int64_t closed = t_time("2026-03-03T10:00:00+08:00");
	s_closed_case(TE, "C2", "facility_repair", NULL, closed);
	TE->clock.fake_ms = closed + 100 * DAY;
	assert_int_equal(ACT("C2", AK(REOPEN), "s01", .reason = "居民再次反映"), 200);
	t_fire_at(TE, closed + 1096 * DAY);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), NULL), 0);
	assert_int_equal(s_petition(TE, "C2").rc, QF_OK);
	/* closed again: the retention starts again from then */
	int64_t again = closed + 1100 * DAY;
	TE->clock.fake_ms = again;
	assert_int_equal(ACT("C2", AK(REJECT), "s01", .reject = 2), 200);
	assert_int_equal(t_case(TE, "C2").state, RT_REJECTED);
	t_fire_at(TE, again + 1095 * DAY - 1);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), NULL), 0);
	t_fire_at(TE, again + 1095 * DAY);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), "C2"), 1);
	Qingfeng__V1__PrivateExpired *x = t_last(TE, ET(PRIVATE_EXPIRED), "C2");
	assert_int_equal(x->final_ms, again);
	t_free(x);
}

/* Close the store and open it again on the same directory. */
static void s_restart(struct tenv *te)
{
	rt_db_close(&te->db);
	qf_store_destroy(&te->store);
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/store", te->dir);
	struct qf_store_opts so = {.path = path, .map_size = 256u << 20, .no_sync = 1};
	assert_int_equal(qf_store_open(&te->store, &so, err, sizeof err), 0);
	assert_int_equal(rt_db_open(&te->db, te->store), 0);
	t_engine(te);
}

struct next_arg {
	struct tenv *te;
	int64_t due;
};

static int s_next_fn(struct qf_txn *t, void *arg)
{
	struct next_arg *a = arg;
	return rt_retention_next(&a->te->e, t, &a->due);
}

static int64_t s_next(struct tenv *te)
{
	struct next_arg a = {te, 0};
	assert_int_equal(qf_store_read(te->store, s_next_fn, &a), 0);
	return a.due;
}

static void test_restart_and_setting_change(void **state)
{
	int64_t closed = t_time("2026-03-03T10:00:00+08:00");
	s_closed_case(TE, "C3", "facility_repair", NULL, closed);
	s_restart(TE);
	assert_int_equal(s_next(TE), closed + 1095 * DAY);
	/* the period is applied when read: a shorter setting applies to the
	   cases already waiting */
	TE->conf.rt.retention_days = 30;
	assert_int_equal(s_next(TE), closed + 30 * DAY);
	t_fire_at(TE, closed + 29 * DAY);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), NULL), 0);
	t_fire_at(TE, closed + 30 * DAY);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), "C3"), 1);
	Qingfeng__V1__PrivateExpired *x = t_last(TE, ET(PRIVATE_EXPIRED), "C3");
	assert_int_equal(x->retention_days, 30);
	t_free(x);
	assert_int_equal(s_next(TE), INT64_MAX);
	s_restart(TE);
	TE->conf.rt.retention_days = 30;
	t_fire_at(TE, closed + 60 * DAY);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), NULL), 1);
}

static void test_sensitive_case_keyed_sensitive(void **state)
{
	int64_t closed = t_time("2026-03-03T10:00:00+08:00");
	s_closed_case(TE, "C4", "integrity_report", "s02", closed); /* handled by s01 */
	t_fire_at(TE, closed + 1095 * DAY);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), "C4"), 1);
	assert_string_equal(TE->ev[TE->nev - 1].key, "sensitive");
	assert_true(s_petition(TE, "C4").forgotten);
}

struct vault_arg {
	struct tenv *te;
	const char *subject;
	int forgotten;
};

static int s_vault_fn(struct qf_txn *t, void *arg)
{
	struct vault_arg *a = arg;
	a->forgotten = qf_vault_forgotten(a->te->db.vault, t, a->subject);
	return QF_OK;
}

static int s_forgotten(struct tenv *te, const char *subject)
{
	struct vault_arg a = {te, subject, 0};
	assert_int_equal(qf_store_read(te->store, s_vault_fn, &a), 0);
	return a.forgotten;
}

static void test_visit_expires(void **state)
{
	TE->conf.rt.visit_days = 365;
	t_visit(TE, "V1", "s02", "2026-03-02", 1);
	t_visit(TE, "V2", "s02", "2026-03-05", 0); /* not a household visit */
	int64_t d1 = t_time("2026-03-02T00:00:00+08:00");
	int64_t d2 = t_time("2026-03-05T00:00:00+08:00");
	assert_int_equal(s_next(TE), d1 + 365 * DAY);
	t_fire_at(TE, d1 + 365 * DAY);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), NULL), 1);
	Qingfeng__V1__PrivateExpired *x = t_last(TE, ET(PRIVATE_EXPIRED), NULL);
	assert_string_equal(x->subject, "visit:V1");
	assert_string_equal(x->case_id, "");
	assert_int_equal(x->final_ms, d1);
	assert_int_equal(x->retention_days, 365);
	t_free(x);
	assert_string_equal(TE->ev[TE->nev - 1].key, "s02"); /* the visit's key */
	assert_string_equal(TE->ev[TE->nev - 1].case_id, "");
	assert_true(s_forgotten(TE, "visit:V1"));
	assert_false(s_forgotten(TE, "visit:V2"));
	/* the same visit recorded again schedules nothing */
	t_visit(TE, "V1", "s02", "2027-03-03", 1);
	t_fire_at(TE, d2 + 365 * DAY);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), NULL), 2);
	x = t_last(TE, ET(PRIVATE_EXPIRED), NULL);
	assert_string_equal(x->subject, "visit:V2");
	t_free(x);
	t_fire_at(TE, t_time("2028-06-01T00:00:00+08:00"));
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), NULL), 2);
}

struct fire_arg {
	struct tenv *te;
	int64_t now;
	unsigned max, fired;
	int more;
};

static int s_fire_fn(struct qf_txn *t, void *arg)
{
	struct fire_arg *a = arg;
	return rt_engine_fire(&a->te->e, t, a->now, a->max, &a->fired, &a->more);
}

static void test_bounded_per_transaction(void **state)
{
	int64_t closed = t_time("2026-03-03T10:00:00+08:00");
	char id[8];
	for (int i = 0; i < 5; i++) {
		snprintf(id, sizeof id, "C%d", 10 + i);
		s_closed_case(TE, id, "neighbor_dispute", NULL, closed + i * HOUR);
	}
	/* let every other timer (closure, warnings) settle first */
	t_fire_at(TE, closed + 1000 * DAY);
	struct fire_arg a = {TE, closed + 1100 * DAY, 2, 0, 0};
	TE->clock.fake_ms = a.now;
	assert_int_equal(qf_store_write(TE->store, s_fire_fn, &a), 0);
	assert_int_equal(a.fired, 2);
	assert_true(a.more);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), NULL), 2);
	/* the oldest first */
	Qingfeng__V1__PrivateExpired *x = t_last(TE, ET(PRIVATE_EXPIRED), NULL);
	assert_string_equal(x->subject, "C11");
	t_free(x);
	a.max = 10;
	assert_int_equal(qf_store_write(TE->store, s_fire_fn, &a), 0);
	assert_int_equal(a.fired, 3);
	assert_false(a.more);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), NULL), 5);
}

struct count_arg {
	struct tenv *te;
	MDB_dbi dbi;
	size_t n;
};

static int s_count_fn(struct qf_txn *t, void *arg)
{
	struct count_arg *a = arg;
	MDB_stat st;
	if (mdb_stat(qf_txn_mdb(t), a->dbi, &st))
		return QF_ERR_STORE;
	a->n = st.ms_entries;
	return QF_OK;
}

static size_t s_entries(struct tenv *te, MDB_dbi dbi)
{
	struct count_arg a = {te, dbi, 0};
	assert_int_equal(qf_store_read(te->store, s_count_fn, &a), 0);
	return a.n;
}

struct backfill_arg {
	struct tenv *te;
	const char *id;
	int64_t base;
};

/* What a store written before retention existed looks like: a final case
 * without an expiry entry and no "indexed" mark. */
static int s_unindex_fn(struct qf_txn *t, void *arg)
{
	struct backfill_arg *a = arg;
	int rc = rt_db_expiry_del(&a->te->db, t, RT_EXP_CASE, a->base, a->id);
	if (rc || (rc = qf_txn_del(t, a->te->db.meta, "repeat:C5", 9)))
		return rc;
	rc = qf_txn_del(t, a->te->db.meta, "retention:indexed", 17);
	return rc == QF_ERR_NOTFOUND ? QF_OK : rc;
}

static int s_backfill_fn(struct qf_txn *t, void *arg)
{
	struct backfill_arg *a = arg;
	return rt_retention_backfill(&a->te->e, t);
}

static void test_backfill_old_store(void **state)
{
	int64_t closed = t_time("2026-03-03T10:00:00+08:00");
	s_closed_case_of(TE, "C5", "facility_repair", NULL, "person-y", closed);
	struct backfill_arg a = {TE, "C5", closed};
	assert_int_equal(qf_store_write(TE->store, s_backfill_fn, &a), 0);
	assert_int_equal(qf_store_write(TE->store, s_unindex_fn, &a), 0);
	assert_int_equal(s_next(TE), INT64_MAX);
	assert_int_equal(qf_store_write(TE->store, s_backfill_fn, &a), 0);
	assert_int_equal(s_next(TE), closed + 1095 * DAY);
	t_fire_at(TE, closed + 1095 * DAY);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), "C5"), 1);
	assert_int_equal(s_entries(TE, TE->db.repeats), 0);
}

/* The repeat index links a petitioner's cases (by a hash of intake's
 * pseudonym): an expired case leaves it, and its record forgets the link. */
static void test_repeat_links_forgotten(void **state)
{
	int64_t t0 = t_time("2026-03-03T10:00:00+08:00");
	s_closed_case_of(TE, "C6", "facility_repair", NULL, "person-x", t0);
	s_closed_case_of(TE, "C7", "facility_repair", NULL, "person-x", t0 + DAY);
	assert_string_equal(t_case(TE, "C7").repeat_of, "C6");
	assert_int_equal(s_entries(TE, TE->db.repeats), 2);
	t_fire_at(TE, t0 + 1095 * DAY);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), NULL), 1);
	assert_int_equal(s_entries(TE, TE->db.repeats), 1);
	t_fire_at(TE, t0 + 1096 * DAY);
	assert_int_equal(t_count(TE, ET(PRIVATE_EXPIRED), NULL), 2);
	assert_int_equal(s_entries(TE, TE->db.repeats), 0);
	struct rt_case k = t_case(TE, "C7");
	assert_string_equal(k.repeat_of, "");
	assert_int_equal(k.repeat_count, 0);
	/* the same person again: a new matter, linked to nothing */
	TE->clock.fake_ms = t0 + 1097 * DAY;
	t_petition(
	    TE, "C8",
	    (struct t_petition){"facility_repair", "B03", .pseudonym = "person-x"});
	assert_string_equal(t_case(TE, "C8").repeat_of, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_case_expires_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_cancels, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_and_setting_change, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_sensitive_case_keyed_sensitive, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_visit_expires, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bounded_per_transaction, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_backfill_old_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_repeat_links_forgotten, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
