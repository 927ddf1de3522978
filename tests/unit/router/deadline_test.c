/* deadline_test: the two clocks of a case on the fake clock: due times on
 * the wall clock and in working hours (across a weekend, a public holiday
 * and a make-up working day), early warnings at 50% and 80%, breach with
 * escalation along the chain, reminders while overdue, clocks that
 * transfers and reopenings never reset, extensions, and closure without
 * feedback. */
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

/* a case record for pure deadline arithmetic */
static struct rt_case s_case(const char *cat_code, const struct qf_community *c,
			     int64_t submitted)
{
	struct rt_case k;
	rt_case_init(&k);
	const struct qf_category *cat = qf_community_category(c, cat_code);
	assert_non_null(cat);
	strcpy(k.id, "C1");
	k.respond_h = (uint32_t)cat->respond_h;
	k.resolve_h = (uint32_t)cat->resolve_h;
	if (cat->working_hours)
		k.flags |= RT_F_WORKING;
	k.submitted_ms = submitted;
	k.state = RT_ASSIGNED;
	rt_dl_set_dues(c, &k);
	return k;
}

static void test_wall_clock(void **state)
{
	int64_t t0 = t_time("2026-03-06T16:00:00+08:00"); /* a Friday */
	struct rt_case k = s_case("facility_repair", TE->c, t0);
	assert_int_equal(k.dl[RT_RESPOND].due_ms, t0 + 24 * HOUR);
	assert_int_equal(k.dl[RT_RESOLVE].due_ms, t0 + 72 * HOUR);
	assert_int_equal(rt_dl_point(TE->c, &k, RT_RESPOND, 500), t0 + 12 * HOUR);
	assert_int_equal(rt_dl_point(TE->c, &k, RT_RESPOND, 800),
			 t0 + 24 * HOUR * 8 / 10);
	assert_int_equal(rt_dl_used(TE->c, &k, RT_RESPOND, t0 + 36 * HOUR), 1500);
}

static void test_working_hours_weekend(void **state)
{
	/* policy_inquiry: 4 working hours to respond, 16 to resolve; hours
	 * 08:30-12:00 and 14:00-17:30 on weekdays */
	int64_t fri = t_time("2026-03-06T16:00:00+08:00");
	struct rt_case k = s_case("policy_inquiry", TE->c, fri);
	/* Fri 16:00-17:30 (1.5h) + Mon 08:30-11:00 (2.5h) */
	assert_int_equal(k.dl[RT_RESPOND].due_ms, t_time("2026-03-09T11:00:00+08:00"));
	/* 1.5 + Mon 7 + Tue 7 + Wed 0.5 */
	assert_int_equal(k.dl[RT_RESOLVE].due_ms, t_time("2026-03-11T09:00:00+08:00"));
	/* half of 4h is reached Monday 09:00, not during the weekend */
	assert_int_equal(rt_dl_point(TE->c, &k, RT_RESPOND, 500),
			 t_time("2026-03-09T09:00:00+08:00"));
	/* the weekend uses nothing */
	assert_int_equal(
	    rt_dl_used(TE->c, &k, RT_RESPOND, t_time("2026-03-08T20:00:00+08:00")),
	    375); /* 1.5 of 4 hours */
	/* lunch break counts nothing either */
	assert_int_equal(
	    rt_dl_used(TE->c, &k, RT_RESPOND, t_time("2026-03-09T13:30:00+08:00")),
	    1250); /* 1.5 + 3.5 = 5 of 4 hours */
}

static void test_working_hours_holiday(void **state)
{
	/* Monday 2026-04-06 is a public holiday */
	int64_t fri = t_time("2026-04-03T16:00:00+08:00");
	struct rt_case k = s_case("policy_inquiry", TE->c, fri);
	assert_int_equal(k.dl[RT_RESPOND].due_ms, t_time("2026-04-07T11:00:00+08:00"));
	/* May Day: Fri 05-01 and Mon 05-04, Tue 05-05 off; Sat 05-09 works */
	int64_t thu = t_time("2026-04-30T17:00:00+08:00");
	k = s_case("policy_inquiry", TE->c, thu);
	/* Thu 0.5h, then Wed 05-06 08:30 + 3.5h = 12:00 */
	assert_int_equal(k.dl[RT_RESPOND].due_ms, t_time("2026-05-06T12:00:00+08:00"));
	/* the make-up Saturday counts */
	int64_t fri8 = t_time("2026-05-08T16:00:00+08:00");
	k = s_case("policy_inquiry", TE->c, fri8);
	assert_int_equal(k.dl[RT_RESPOND].due_ms, t_time("2026-05-09T11:00:00+08:00"));
	/* submitted on a holiday: the clock starts at the next working hour */
	k = s_case("policy_inquiry", TE->c, t_time("2026-05-01T10:00:00+08:00"));
	/* Wed 08:30-12:00 (3.5h), then 14:00 + 0.5h */
	assert_int_equal(k.dl[RT_RESPOND].due_ms, t_time("2026-05-06T14:30:00+08:00"));
}

static void test_step_skips_stale_warnings(void **state)
{
	int64_t t0 = qf_now_ms(&TE->clock);
	struct rt_case k = s_case("facility_repair", TE->c, t0);
	unsigned stage = 99;
	const struct rt_conf *rc = &TE->conf.rt;
	assert_int_equal(rt_dl_step(TE->c, rc, &k, RT_RESPOND, t0 + HOUR, &stage),
			 RT_DL_NONE);
	assert_int_equal(rt_dl_step(TE->c, rc, &k, RT_RESPOND, t0 + 12 * HOUR, &stage),
			 RT_DL_WARN);
	assert_int_equal(stage, 0);
	/* the router was away past 80%: only the 80% warning */
	assert_int_equal(rt_dl_step(TE->c, rc, &k, RT_RESPOND, t0 + 20 * HOUR, &stage),
			 RT_DL_WARN);
	assert_int_equal(stage, 1);
	/* away past the due time: straight to the breach */
	assert_int_equal(rt_dl_step(TE->c, rc, &k, RT_RESPOND, t0 + 30 * HOUR, &stage),
			 RT_DL_BREACH);
	assert_int_equal(rt_dl_next(TE->c, rc, &k), t0 + 12 * HOUR);
	k.dl[RT_RESPOND].stage = 2;
	k.dl[RT_RESOLVE].stage = 2;
	assert_int_equal(rt_dl_next(TE->c, rc, &k), t0 + 24 * HOUR);
	/* once accepted the respond clock stops */
	k.state = RT_ACCEPTED;
	k.dl[RT_RESPOND].met_ms = t0 + HOUR;
	assert_false(rt_dl_active(&k, RT_RESPOND));
	assert_int_equal(rt_dl_next(TE->c, rc, &k), t0 + 72 * HOUR);
}

/* DEADLINE_WARNINGs recorded so far for a case, as (kind, permille, breached,
 * reminder) in order */
static size_t s_warnings(struct tenv *te, const char *id, unsigned out[][4], size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < te->nev && n < max; i++) {
		if (te->ev[i].type != ET(DEADLINE_WARNING) ||
		    strcmp(te->ev[i].case_id, id))
			continue;
		Qingfeng__V1__DeadlineWarning *w = qingfeng__v1__deadline_warning__unpack(
		    NULL, te->ev[i].len, te->ev[i].payload);
		out[n][0] = w->kind;
		out[n][1] = w->permille;
		out[n][2] = w->breached;
		out[n][3] = w->reminder;
		n++;
		qingfeng__v1__deadline_warning__free_unpacked(w, NULL);
	}
	return n;
}

static void test_warnings_breach_reminders(void **state)
{
	int64_t t0 = qf_now_ms(&TE->clock);
	t_petition(TE, "C1", (struct t_petition){"facility_repair", "B03"});
	unsigned w[16][4];
	assert_int_equal(t_fire_at(TE, t0 + 11 * HOUR), 0);
	assert_int_equal(s_warnings(TE, "C1", w, 16), 0);
	t_fire_at(TE, t0 + 12 * HOUR); /* respond 50% */
	assert_int_equal(s_warnings(TE, "C1", w, 16), 1);
	assert_int_equal(w[0][0], 1);
	assert_int_equal(w[0][1], 500);
	assert_int_equal(w[0][2], 0);
	t_fire_at(TE, t0 + 20 * HOUR); /* respond 80% */
	assert_int_equal(s_warnings(TE, "C1", w, 16), 2);
	assert_int_equal(w[1][1], 800);
	struct rt_case k = t_case(TE, "C1");
	assert_true(rt_case_alerts(&k) & RT_ALERT_WARNED);
	assert_false(rt_case_alerts(&k) & RT_ALERT_OVERDUE);
	/* breach at 24h: escalated one step, to the staff member supervising
	 * the building head */
	t_fire_at(TE, t0 + 24 * HOUR);
	assert_int_equal(s_warnings(TE, "C1", w, 16), 3);
	assert_int_equal(w[2][2], 1);
	assert_int_equal(w[2][1], 1000);
	Qingfeng__V1__DeadlineWarning *dw = t_last(TE, ET(DEADLINE_WARNING), "C1");
	assert_string_equal(dw->escalated_to, "s03");
	assert_int_equal(dw->due_ms, t0 + 24 * HOUR);
	t_free(dw);
	Qingfeng__V1__CaseTransition *esc = t_last(TE, ET(CASE_ESCALATED), "C1");
	assert_string_equal(esc->escalation_role, "staff");
	assert_string_equal(esc->assignee, "s04"); /* ownership does not move */
	t_free(esc);
	k = t_case(TE, "C1");
	assert_true(rt_case_alerts(&k) & RT_ALERT_OVERDUE);
	/* resolve 50% at 36h, and the respond reminder at 32h escalates again */
	t_fire_at(TE, t0 + 32 * HOUR);
	assert_int_equal(s_warnings(TE, "C1", w, 16), 4);
	assert_int_equal(w[3][3], 1); /* reminder 1 */
	assert_int_equal(w[3][1], 1333);
	esc = t_last(TE, ET(CASE_ESCALATED), "C1");
	assert_string_equal(esc->escalation_role, "secretary");
	t_free(esc);
	assert_int_equal(t_count(TE, ET(CASE_ESCALATED), "C1"), 2);
	t_fire_at(TE, t0 + 36 * HOUR);
	assert_int_equal(s_warnings(TE, "C1", w, 16), 5);
	assert_int_equal(w[4][0], 2);
	assert_int_equal(w[4][1], 500);
	/* the top of the chain was reached: reminders go on, escalations stop */
	t_fire_at(TE, t0 + 40 * HOUR);
	assert_int_equal(s_warnings(TE, "C1", w, 16), 6);
	assert_int_equal(w[5][3], 2);
	assert_int_equal(t_count(TE, ET(CASE_ESCALATED), "C1"), 2);
	dw = t_last(TE, ET(DEADLINE_WARNING), "C1");
	assert_string_equal(dw->escalated_to, "s01");
	t_free(dw);
	/* accepting stops the respond clock: no more respond reminders */
	assert_int_equal(ACT("C1", AK(ACCEPT), "s04"), 200);
	k = t_case(TE, "C1");
	assert_int_equal(t_next(TE, &k), t0 + 72 * HOUR * 8 / 10);
	t_fire_at(TE, t0 + 50 * HOUR);
	assert_int_equal(s_warnings(TE, "C1", w, 16), 6);
	/* at 72h both the 80% point (57.6h) and the due time have passed:
	 * only the breach is sent; the chain is exhausted, no escalation */
	t_fire_at(TE, t0 + 72 * HOUR);
	assert_int_equal(s_warnings(TE, "C1", w, 16), 7);
	assert_int_equal(w[6][0], 2);
	assert_int_equal(w[6][2], 1);
	assert_int_equal(t_count(TE, ET(CASE_ESCALATED), "C1"), 2);
}

static void test_reminders_bounded(void **state)
{
	TE->conf.rt.max_reminders = 2;
	int64_t t0 = qf_now_ms(&TE->clock);
	t_petition(TE, "C1", (struct t_petition){"safety_hazard", "B03"}); /* 2h / 24h */
	assert_int_equal(ACT("C1", AK(ACCEPT), "s04"), 200);
	t_fire_at(TE, t0 + 25 * HOUR); /* resolve breach */
	t_fire_at(TE, t0 + 33 * HOUR); /* reminder 1 */
	t_fire_at(TE, t0 + 41 * HOUR); /* reminder 2 */
	assert_int_equal(t_fire_at(TE, t0 + 100 * HOUR), 0);
	Qingfeng__V1__DeadlineWarning *dw = t_last(TE, ET(DEADLINE_WARNING), "C1");
	assert_int_equal(dw->reminder, 2);
	t_free(dw);
	struct rt_case k = t_case(TE, "C1");
	assert_int_equal(t_next(TE, &k), 0); /* nothing left to time */
	assert_int_equal(k.timer_ms, 0);
	assert_true(rt_case_alerts(&k) & RT_ALERT_OVERDUE);
}

static void test_transfer_and_reopen_never_reset(void **state)
{
	int64_t t0 = qf_now_ms(&TE->clock);
	t_petition(TE, "C1", (struct t_petition){"facility_repair", "B03"});
	TE->clock.fake_ms = t0 + 10 * HOUR;
	assert_int_equal(ACT("C1", AK(ACCEPT), "s04"), 200);
	assert_int_equal(ACT("C1", AK(TRANSFER), "s04", .target = "s05", .reason = "x"),
			 200);
	struct rt_case k = t_case(TE, "C1");
	assert_int_equal(k.dl[RT_RESOLVE].due_ms, t0 + 72 * HOUR);
	assert_int_equal(ACT("C1", AK(RESOLVE), "s05", .result = "ok"), 200);
	/* poor feedback after the deadline: reopened, already overdue */
	TE->clock.fake_ms = t0 + 80 * HOUR;
	t_feedback(TE, "C1", 1, "F1");
	k = t_case(TE, "C1");
	assert_int_equal(k.state, RT_REOPENED);
	assert_int_equal(k.dl[RT_RESOLVE].due_ms, t0 + 72 * HOUR);
	assert_int_equal(t_next(TE, &k), t0 + 72 * HOUR * 5 / 10); /* stage kept at 0 */
	t_fire_at(TE, t0 + 80 * HOUR);
	Qingfeng__V1__DeadlineWarning *dw = t_last(TE, ET(DEADLINE_WARNING), "C1");
	assert_true(dw->breached);
	assert_int_equal(dw->kind, 2);
	t_free(dw);
}

static void test_extension_moves_resolve(void **state)
{
	int64_t t0 = qf_now_ms(&TE->clock);
	t_petition(TE, "C1", (struct t_petition){"facility_repair", "B03"});
	assert_int_equal(ACT("C1", AK(ACCEPT), "s04"), 200);
	t_fire_at(TE, t0 + 60 * HOUR); /* resolve 80% (57.6h) */
	struct rt_case k = t_case(TE, "C1");
	assert_int_equal(k.dl[RT_RESOLVE].stage, 2);
	assert_int_equal(
	    ACT("C1", AK(EXTEND_REQUEST), "s04", .hours = 48, .reason = "等配件"), 200);
	assert_int_equal(ACT("C1", AK(EXTEND_APPROVE), "s01"), 200);
	k = t_case(TE, "C1");
	assert_int_equal(k.dl[RT_RESOLVE].due_ms, t0 + 120 * HOUR);
	/* 50% of 120h has passed, 80% (96h) has not: that warning comes again */
	assert_int_equal(k.dl[RT_RESOLVE].stage, 1);
	assert_int_equal(t_next(TE, &k), t0 + 96 * HOUR);
	/* the old 72h timer wakes the case once, harmlessly: no breach */
	size_t warned = t_count(TE, ET(DEADLINE_WARNING), "C1");
	assert_int_equal(k.timer_ms, t0 + 72 * HOUR);
	assert_int_equal(t_fire_at(TE, t0 + 73 * HOUR), 1);
	assert_int_equal(t_count(TE, ET(DEADLINE_WARNING), "C1"), warned);
	k = t_case(TE, "C1");
	assert_int_equal(k.timer_ms, t0 + 96 * HOUR); /* re-armed */
	t_fire_at(TE, t0 + 121 * HOUR);
	Qingfeng__V1__DeadlineWarning *dw = t_last(TE, ET(DEADLINE_WARNING), "C1");
	assert_true(dw->breached);
	assert_int_equal(dw->due_ms, t0 + 120 * HOUR);
	t_free(dw);
	/* an extension that ends the breach clears it */
	assert_int_equal(
	    ACT("C1", AK(EXTEND_REQUEST), "s04", .hours = 24, .reason = "再等"), 200);
	TE->clock.fake_ms = t0 + 122 * HOUR;
	assert_int_equal(ACT("C1", AK(EXTEND_APPROVE), "s01"), 200);
	k = t_case(TE, "C1");
	assert_false(k.dl[RT_RESOLVE].breached);
	assert_false(rt_case_alerts(&k) & RT_ALERT_OVERDUE);
}

static void test_close_without_feedback(void **state)
{
	int64_t t0 = qf_now_ms(&TE->clock);
	t_petition(TE, "C1", (struct t_petition){"facility_repair", "B03"});
	t_petition(TE, "C2", (struct t_petition){"facility_repair", "B03"});
	assert_int_equal(ACT("C1", AK(ACCEPT), "s04"), 200);
	assert_int_equal(ACT("C1", AK(RESOLVE), "s04", .result = "ok"), 200);
	assert_int_equal(ACT("C2", AK(ACCEPT), "s04"), 200);
	assert_int_equal(ACT("C2", AK(RESOLVE), "s04", .result = "ok"), 200);
	TE->conf.rt.good_rating = 4;
	t_feedback(TE, "C2", 3, "F1"); /* rated, not closed */
	t_fire_at(TE, t0 + 7 * DAY - HOUR);
	assert_int_equal(t_count(TE, ET(CASE_CLOSED), NULL), 0);
	t_fire_at(TE, t0 + 7 * DAY + HOUR);
	Qingfeng__V1__CaseTransition *c1 = t_last(TE, ET(CASE_CLOSED), "C1");
	Qingfeng__V1__CaseTransition *c2 = t_last(TE, ET(CASE_CLOSED), "C2");
	assert_true(c1->closed_without_feedback);
	assert_string_equal(c1->actor->role, "system");
	assert_int_equal(c1->from_state, ST(RESOLVED));
	assert_false(c2->closed_without_feedback);
	t_free(c1);
	t_free(c2);
	assert_int_equal(t_case(TE, "C1").state, RT_CLOSED);
	assert_int_equal(t_case(TE, "C1").timer_ms, 0);
	/* feedback after the timer closed it: rated, and a poor one reopens */
	t_feedback(TE, "C1", 1, "F2");
	assert_int_equal(t_case(TE, "C1").state, RT_REOPENED);
}

static void test_working_hours_timers(void **state)
{
	/* policy inquiry on Friday 16:00: the 50% warning waits for Monday */
	int64_t fri = t_time("2026-03-06T16:00:00+08:00");
	TE->clock.fake_ms = fri;
	t_petition(TE, "C1", (struct t_petition){"policy_inquiry", "B03"});
	Qingfeng__V1__CaseTransition *a = t_last(TE, ET(CASE_ASSIGNED), "C1");
	assert_string_equal(a->assignee, "s07");
	assert_int_equal(a->respond_due_ms, t_time("2026-03-09T11:00:00+08:00"));
	t_free(a);
	assert_int_equal(t_fire_at(TE, t_time("2026-03-07T12:00:00+08:00")), 0);
	assert_int_equal(t_fire_at(TE, t_time("2026-03-08T23:00:00+08:00")), 0);
	assert_int_equal(t_fire_at(TE, t_time("2026-03-09T09:00:00+08:00")), 1);
	Qingfeng__V1__DeadlineWarning *dw = t_last(TE, ET(DEADLINE_WARNING), "C1");
	assert_int_equal(dw->permille, 500);
	t_free(dw);
	/* breach Monday 11:00 (the 80% point at 10:12 is skipped as stale) */
	t_fire_at(TE, t_time("2026-03-09T11:00:00+08:00"));
	struct rt_case k = t_case(TE, "C1");
	assert_true(k.dl[RT_RESPOND].breached);
	/* next: the resolve clock's 50% (8 working hours): Monday 17:00 */
	assert_int_equal(t_next(TE, &k), t_time("2026-03-09T17:00:00+08:00"));
	t_fire_at(TE, t_time("2026-03-09T17:00:00+08:00"));
	/* then the respond reminder 8 working hours after the breach
	 * (Mon 11:00-12:00, 14:00-17:30, Tue 08:30-12:00): Tuesday 12:00,
	 * before the resolve 80% point (Tuesday 14:48) */
	k = t_case(TE, "C1");
	assert_int_equal(k.dl[RT_RESOLVE].stage, 1);
	assert_int_equal(t_next(TE, &k), t_time("2026-03-10T12:00:00+08:00"));
	assert_int_equal(rt_dl_point(TE->c, &k, RT_RESOLVE, 800),
			 t_time("2026-03-10T14:48:00+08:00"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_wall_clock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_working_hours_weekend, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_working_hours_holiday, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_step_skips_stale_warnings, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_warnings_breach_reminders, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_reminders_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transfer_and_reopen_never_reset, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_extension_moves_resolve, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_close_without_feedback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_working_hours_timers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
