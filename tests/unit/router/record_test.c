/* record_test: the case record's encoding (round trip, every truncation and
 * damage refused), the indexes rt_db_case_put keeps (queue, alerts, timers),
 * and a restart in the middle of a case: a new engine on the same store
 * continues where the old one stopped, losing and repeating nothing. */
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

static struct rt_case s_full(void)
{
	struct rt_case k;
	rt_case_init(&k);
	strcpy(k.id, "C01KZ9Y8X7W6V5T4S3R2Q1P0N9M");
	strcpy(k.tracking, "LSJ-7K2M9Q");
	strcpy(k.category, "integrity_report");
	strcpy(k.building, "B03");
	strcpy(k.priority, "sensitive");
	strcpy(k.assignee, "s02");
	strcpy(k.owner, "s02");
	strcpy(k.concerns, "s04");
	strcpy(k.escalated_to, "s01");
	strcpy(k.ext_requester, "s02");
	strcpy(k.repeat_of, "C00");
	strcpy(k.related, "C02");
	strcpy(k.parties[0], "s05");
	strcpy(k.parties[1], "s06");
	k.nparties = 2;
	k.state = RT_IN_PROGRESS;
	k.flags = RT_F_INTEGRITY | RT_F_FEEDBACK;
	k.respond_h = 24;
	k.resolve_h = 360;
	k.ext_hours = 48;
	k.ext_pending_h = 12;
	k.esc_level = 2;
	k.transfer_count = 3;
	k.reopen_count = 1;
	k.repeat_count = 2;
	k.repeat_hits = 4;
	k.merged_in = 5;
	k.rating = 2;
	k.nevents = 17;
	k.tl_part = 9;
	for (unsigned i = 0; i < 17; i++)
		k.tl[i] = 100 + i * i * 1000; /* deltas of one and several bytes */
	k.dl[RT_RESPOND] = (struct rt_deadline){1000, 2000, 3000, 7, 2, 1};
	k.dl[RT_RESOLVE] = (struct rt_deadline){4000, 0, 5000, 65535, 1, 0};
	k.submitted_ms = 1770000000000;
	k.updated_ms = 1770000000001;
	k.resolved_ms = 1770000000002;
	k.closed_ms = -5;
	k.timer_ms = 1770000000003;
	return k;
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct rt_case k = s_full(), d;
	uint8_t a[RT_CASE_ENC_MAX], b[RT_CASE_ENC_MAX];
	size_t n = rt_case_encode(&k, a, sizeof a);
	assert_true(n > 0 && n < 400);
	assert_int_equal(rt_case_decode(&d, a, n), 0);
	assert_int_equal(rt_case_encode(&d, b, sizeof b), n);
	assert_memory_equal(a, b, n);
	assert_string_equal(d.id, k.id);
	assert_string_equal(d.parties[1], "s06");
	assert_int_equal(d.nparties, 2);
	assert_int_equal(d.esc_level, 2);
	assert_int_equal(d.closed_ms, -5);
	assert_int_equal(d.dl[RT_RESOLVE].reminders, 65535);
	assert_int_equal(d.dl[RT_RESPOND].breached, 1);
	assert_int_equal(d.state, RT_IN_PROGRESS);
	assert_int_equal(d.tl_part, 9);
	assert_int_equal(d.tl[16], 100 + 256000);
	/* too small a buffer is refused, not overrun */
	assert_int_equal(rt_case_encode(&k, a, n - 1), 0);
	/* every truncation and every trailing byte is refused */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(rt_case_decode(&d, a, i), QF_ERR_PROTO);
	uint8_t c[RT_CASE_ENC_MAX + 1];
	memcpy(c, a, n);
	c[n] = 0;
	assert_int_equal(rt_case_decode(&d, c, n + 1), QF_ERR_PROTO);
	/* unknown version, bad state */
	memcpy(c, a, n);
	c[0] = 2;
	assert_int_equal(rt_case_decode(&d, c, n), QF_ERR_PROTO);
	memcpy(c, a, n);
	c[1] = 0;
	assert_int_equal(rt_case_decode(&d, c, n), QF_ERR_PROTO);
	c[1] = RT_STATE_MAX + 1;
	assert_int_equal(rt_case_decode(&d, c, n), QF_ERR_PROTO);
	/* a text length beyond its field */
	memcpy(c, a, n);
	c[2] = 200;
	assert_int_equal(rt_case_decode(&d, c, n), QF_ERR_PROTO);
	/* a reminder count beyond 16 bits is damage (found by fuzzing: it
	 * used to be clamped, so the record did not encode back the same) */
	struct rt_case big = k;
	big.dl[RT_RESOLVE].reminders = 0;
	size_t m = rt_case_encode(&big, c, sizeof c);
	/* the record ends with the resolve clock's reminders (u32), stage and
	 * breached bytes: make the reminders 0x01000000 */
	c[m - 6] = 0x01;
	assert_int_equal(rt_case_decode(&d, c, m), QF_ERR_PROTO);
	/* timeline seqs must ascend; a full list keeps counting */
	struct rt_case tl = s_full();
	tl.tl[5] = tl.tl[4];
	size_t tn = rt_case_encode(&tl, c, sizeof c);
	assert_int_equal(rt_case_decode(&d, c, tn), QF_ERR_PROTO);
	rt_case_init(&tl);
	strcpy(tl.id, "C9");
	tl.state = RT_ASSIGNED;
	for (unsigned i = 0; i < RT_TL_MAX + 20; i++)
		rt_case_add_event(&tl, 3, 1000 + i);
	assert_int_equal(tl.nevents, RT_TL_MAX + 20);
	tn = rt_case_encode(&tl, c, sizeof c);
	assert_true(tn > 0);
	assert_int_equal(rt_case_decode(&d, c, tn), 0);
	assert_int_equal(d.nevents, RT_TL_MAX + 20);
	assert_int_equal(d.tl[RT_TL_MAX - 1], 1000 + RT_TL_MAX - 1);
	/* rt_copy refuses what does not fit */
	char small[4];
	assert_int_equal(rt_copy(small, sizeof small, "abc"), 0);
	assert_int_equal(rt_copy(small, sizeof small, "abcd"), -1);
	assert_string_equal(small, "");
	assert_int_equal(rt_copy(small, sizeof small, NULL), 0);
	/* state names */
	assert_string_equal(rt_state_name(RT_IN_PROGRESS), "in_progress");
	assert_string_equal(rt_state_label(RT_CLOSED), "已结案");
	assert_string_equal(rt_state_name(42), "unknown");
	assert_int_equal(rt_state_parse("reopened"), RT_REOPENED);
	assert_int_equal(rt_state_parse("nope"), -1);
}

struct stat_arg {
	struct tenv *te;
	size_t queue, alerts, due;
	char first_queue[64];
};

static int s_stat(struct qf_txn *t, void *arg)
{
	struct stat_arg *a = arg;
	MDB_stat st;
	mdb_stat(qf_txn_mdb(t), a->te->db.queue, &st);
	a->queue = st.ms_entries;
	mdb_stat(qf_txn_mdb(t), a->te->db.alerts, &st);
	a->alerts = st.ms_entries;
	mdb_stat(qf_txn_mdb(t), a->te->db.due, &st);
	a->due = st.ms_entries;
	MDB_cursor *cur;
	MDB_val k, v;
	mdb_cursor_open(qf_txn_mdb(t), a->te->db.queue, &cur);
	a->first_queue[0] = '\0';
	if (mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0)
		snprintf(a->first_queue, sizeof a->first_queue, "%s", (char *)k.mv_data);
	mdb_cursor_close(cur);
	return 0;
}

static struct stat_arg s_stats(struct tenv *te)
{
	struct stat_arg a = {.te = te};
	assert_int_equal(qf_store_read(te->store, s_stat, &a), 0);
	return a;
}

static void test_indexes_follow_the_record(void **state)
{
	int64_t t0 = qf_now_ms(&TE->clock);
	t_petition(TE, "C1", (struct t_petition){0});
	struct stat_arg s = s_stats(TE);
	assert_int_equal(s.queue, 1);
	assert_string_equal(s.first_queue, "s04");
	assert_int_equal(s.due, 1);
	assert_int_equal(s.alerts, 0);
	struct rt_case k = t_case(TE, "C1");
	assert_int_equal(k.timer_ms, t0 + 12 * HOUR); /* respond 50% */
	assert_int_equal(ACT("C1", AK(ACCEPT), "s04"), 200);
	/* accepting moved what is due later: the key stays (lazy) */
	k = t_case(TE, "C1");
	assert_int_equal(k.timer_ms, t0 + 12 * HOUR);
	assert_int_equal(t_next(TE, &k), t0 + 36 * HOUR);
	assert_int_equal(ACT("C1", AK(TRANSFER), "s04", .target = "s05", .reason = "x"),
			 200);
	s = s_stats(TE);
	assert_int_equal(s.queue, 1);
	assert_string_equal(s.first_queue, "s05");
	t_fire_at(TE, t0 + 40 * HOUR); /* resolve 50% */
	s = s_stats(TE);
	assert_int_equal(s.alerts, 1);
	assert_int_equal(s.due, 1);
	assert_int_equal(ACT("C1", AK(RESOLVE), "s05", .result = "ok"), 200);
	s = s_stats(TE);
	assert_int_equal(s.queue, 0);  /* no longer anyone's work */
	assert_int_equal(s.alerts, 0); /* no longer open */
	assert_int_equal(s.due, 1);    /* closure without feedback */
	t_feedback(TE, "C1", 5, "F");
	/* closed: its old timer stays until it fires (lazy), then goes */
	s = s_stats(TE);
	assert_int_equal(s.due, 1);
	size_t n = TE->nev;
	assert_int_equal(t_fire_at(TE, t0 + 30 * DAY), 1);
	assert_int_equal(TE->nev, n);
	s = s_stats(TE);
	assert_int_equal(s.due, 0);
}

static void test_restart_mid_case(void **state)
{
	int64_t t0 = qf_now_ms(&TE->clock);
	t_petition(TE, "C1", (struct t_petition){0});
	assert_int_equal(ACT("C1", AK(ACCEPT), "s04"), 200);
	t_fire_at(TE, t0 + 40 * HOUR);
	size_t events = TE->nev;
	/* a new process: store reopened, engine rebuilt, nothing in memory */
	char path[128];
	snprintf(path, sizeof path, "%s/store", TE->dir);
	rt_db_close(&TE->db);
	qf_store_destroy(&TE->store);
	struct qf_store_opts so = {.path = path, .map_size = 256u << 20, .no_sync = 1};
	char err[256];
	assert_int_equal(qf_store_open(&TE->store, &so, err, sizeof err), 0);
	assert_int_equal(rt_db_open(&TE->db, TE->store), 0);
	t_engine(TE);
	/* the timer that already fired does not fire again */
	assert_int_equal(t_fire_at(TE, t0 + 40 * HOUR), 0);
	assert_int_equal(TE->nev, events);
	/* the case goes on under the same rules */
	assert_int_equal(ACT("C1", AK(ACCEPT), "s04"), 409);
	assert_int_equal(ACT("C1", AK(PROGRESS), "s05", .progress = "x"), 403);
	assert_int_equal(ACT("C1", AK(PROGRESS), "s04", .progress = "已派人查看"), 200);
	t_fire_at(TE, t0 + 58 * HOUR); /* 80% */
	Qingfeng__V1__DeadlineWarning *w = t_last(TE, ET(DEADLINE_WARNING), "C1");
	assert_int_equal(w->permille, 800);
	t_free(w);
	struct rt_case k = t_case(TE, "C1");
	assert_int_equal(k.nevents, 5); /* assigned, accepted, 50%, progress, 80% */
	/* the timeline lists those five in the outbox, in order */
	uint32_t part = qf_partition_of("B03", 16);
	assert_int_equal(k.tl_part, part);
	for (unsigned i = 1; i < 5; i++)
		assert_true(k.tl[i] > k.tl[i - 1]);
	assert_int_equal(k.tl[4], TE->outseq[part]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test_setup_teardown(test_indexes_follow_the_record, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_restart_mid_case, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
