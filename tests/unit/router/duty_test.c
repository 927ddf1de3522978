/* duty_test: the integrity supervisor's monthly household visits: months in
 * local time, the check schedule, counting (each visit once, household
 * visits of staff with the duty only), the pace warning, the target reached,
 * the month's final result, and a late record correcting it. */
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

#define TE ((struct tenv *)*state)

static void test_calendar(void **state)
{
	(void)state;
	char m[8];
	rt_duty_month(t_time("2026-03-31T23:30:00+08:00"), 480, m);
	assert_string_equal(m, "2026-03");
	rt_duty_month(t_time("2026-03-31T23:30:00Z"), 480, m); /* April 1st locally */
	assert_string_equal(m, "2026-04");
	rt_duty_month(t_time("2026-12-31T16:00:00Z"), 480, m);
	assert_string_equal(m, "2027-01");
	struct rt_duty_conf d = {.target = 15, .check_days = {10, 20, 25}, .nchecks = 3};
	int64_t t = t_time("2026-03-02T09:00:00+08:00");
	const char *want[] = {"2026-03-10T00:00:00+08:00", "2026-03-20T00:00:00+08:00",
			      "2026-03-25T00:00:00+08:00", "2026-04-01T00:00:00+08:00",
			      "2026-04-10T00:00:00+08:00"};
	for (int i = 0; i < 5; i++) {
		t = rt_duty_next_check(&d, 480, t);
		assert_int_equal(t, t_time(want[i]));
		assert_int_equal(rt_duty_is_final(t, 480), i == 3);
	}
	/* December rolls into the next year */
	t = rt_duty_next_check(&d, 480, t_time("2026-12-26T00:00:00+08:00"));
	assert_int_equal(t, t_time("2027-01-01T00:00:00+08:00"));
	/* expected by the 10th of a 31-day month: 9 days elapsed of 31 */
	assert_int_equal(rt_duty_expected(&d, 480, t_time("2026-03-10T00:00:00+08:00")),
			 4);
	assert_int_equal(rt_duty_expected(&d, 480, t_time("2026-03-01T12:00:00+08:00")),
			 0);
}

static void s_quota(struct tenv *te, Qingfeng__V1__DutyQuota **out)
{
	*out = t_last(te, ET(DUTY_QUOTA), NULL);
	assert_non_null(*out);
}

static void test_quota(void **state)
{
	t_schedule(TE); /* at 2026-03-02 09:00: s02 (supervisor) gets checks */
	t_visit(TE, "V1", "s02", "2026-03-02", 1);
	t_visit(TE, "V2", "s02", "2026-03-03", 1);
	t_visit(TE, "V2", "s02", "2026-03-03", 1); /* the same visit again */
	t_visit(TE, "V3", "s02", "2026-03-04", 0); /* not a household visit */
	t_visit(TE, "V4", "s04", "2026-03-04", 1); /* no such duty */
	t_visit(TE, "V5", "s02", "2026-03-05", 1);
	t_visit(TE, "V6", "s99", "2026-03-05", 1); /* unknown staff */
	assert_int_equal(t_count(TE, ET(DUTY_QUOTA), NULL), 0);
	/* nothing before the 10th */
	assert_int_equal(t_fire_at(TE, t_time("2026-03-09T23:59:00+08:00")), 0);
	assert_int_equal(t_fire_at(TE, t_time("2026-03-10T00:00:00+08:00")), 1);
	Qingfeng__V1__DutyQuota *q;
	s_quota(TE, &q);
	assert_string_equal(q->staff_id, "s02");
	assert_string_equal(q->duty, "household_visits");
	assert_string_equal(q->month, "2026-03");
	assert_int_equal(q->done, 3);
	assert_int_equal(q->target, 15);
	assert_int_equal(q->expected_by_now, 4);
	assert_true(q->behind);
	assert_false(q->final);
	t_free(q);
	assert_string_equal(TE->ev[TE->nev - 1].key, "s02"); /* staff partition */
	/* reaching the target is reported once */
	for (int i = 0; i < 12; i++) {
		char id[8];
		snprintf(id, sizeof id, "W%d", i);
		t_visit(TE, id, "s02", "2026-03-12", 1);
	}
	assert_int_equal(t_count(TE, ET(DUTY_QUOTA), NULL), 2);
	s_quota(TE, &q);
	assert_int_equal(q->done, 15);
	assert_false(q->behind);
	t_free(q);
	t_visit(TE, "W99", "s02", "2026-03-13", 1);
	assert_int_equal(t_count(TE, ET(DUTY_QUOTA), NULL), 2);
	/* the 20th and 25th checks, then the month's result on April 1st */
	t_fire_at(TE, t_time("2026-03-20T00:00:00+08:00"));
	t_fire_at(TE, t_time("2026-03-25T00:00:00+08:00"));
	assert_int_equal(t_count(TE, ET(DUTY_QUOTA), NULL), 4);
	t_fire_at(TE, t_time("2026-04-01T00:00:00+08:00"));
	s_quota(TE, &q);
	assert_true(q->final);
	assert_string_equal(q->month, "2026-03");
	assert_int_equal(q->done, 16);
	assert_false(q->behind);
	t_free(q);
	/* a record of March arriving late corrects March's result */
	t_visit(TE, "LATE", "s02", "2026-03-31", 1);
	s_quota(TE, &q);
	assert_true(q->final);
	assert_int_equal(q->done, 17);
	t_free(q);
	/* April: no visits at all; after downtime the stale pace checks are
	 * skipped but the month's result is still recorded */
	size_t before = t_count(TE, ET(DUTY_QUOTA), NULL);
	t_fire_at(TE, t_time("2026-05-03T08:00:00+08:00"));
	assert_int_equal(t_count(TE, ET(DUTY_QUOTA), NULL),
			 before + 2); /* Apr 10th, final */
	s_quota(TE, &q);
	assert_true(q->final);
	assert_string_equal(q->month, "2026-04");
	assert_int_equal(q->done, 0);
	assert_true(q->behind);
	t_free(q);
}

static void test_schedule_once_and_owned(void **state)
{
	t_schedule(TE);
	t_schedule(TE); /* idempotent: still one check pending */
	assert_int_equal(t_fire_at(TE, t_time("2026-03-10T00:00:00+08:00")), 1);
	/* with several instances only the owner of s02's partition checks */
	TE->e.instances = 2;
	TE->e.instance = qf_partition_of("s02", 16) % 2 == 0 ? 1 : 0;
	size_t before = t_count(TE, ET(DUTY_QUOTA), NULL);
	t_fire_at(TE, t_time("2026-03-20T00:00:00+08:00"));
	assert_int_equal(t_count(TE, ET(DUTY_QUOTA), NULL), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_calendar),
	    cmocka_unit_test_setup_teardown(test_quota, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_schedule_once_and_owned, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
