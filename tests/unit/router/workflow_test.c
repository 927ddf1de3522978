/* workflow_test: the case state machine through the engine: every
 * transition of the table, every guard (403 and 409 with its code), the
 * first-responder rule, transfers, extensions, feedback, and the rule that
 * nobody judges a report about themselves or those they supervise. */
#include "testenv.h"
#include "qf_case.h"
#include "qf_policy.h"

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

static int s_apply_fn(struct qf_txn *t, void *arg)
{
	struct {
		struct rt_engine *e;
		struct qf_bus_msg *m;
	} *a = arg;
	return rt_engine_apply(a->e, t, a->m);
}
#define ACT(id, ...) t_action(TE, id, (struct t_action){__VA_ARGS__})

static void test_table_well_formed(void **state)
{
	(void)state;
	size_t n;
	const struct rt_row *rows = rt_fsm_table(&n);
	assert_true(n > 20);
	for (size_t i = 0; i < n; i++) {
		assert_true(rows[i].from >= RT_SUBMITTED && rows[i].from <= RT_STATE_MAX);
		assert_true(rows[i].input > 0 && rows[i].input < RT_IN_MAX);
		assert_true(rows[i].to == RT_SAME || rows[i].to <= RT_STATE_MAX);
		assert_true(rows[i].out[0] != 0);
		assert_ptr_equal(rt_fsm_row(rows[i].from, rows[i].input), &rows[i]);
		for (size_t j = i + 1; j < n; j++)
			assert_false(rows[i].from == rows[j].from &&
				     rows[i].input == rows[j].input);
	}
	/* every staff action of the catalogue has an input */
	for (int k = AK(ACCEPT); k <= AK(CLOSE); k++)
		assert_true(rt_input_of_action(k) > 0);
	assert_int_equal(rt_input_of_action(0), 0);
	/* the vocabulary the staff pages offer actions by agrees with the
	   table, row for row (common/qf_case.h) */
	for (int st = RT_SUBMITTED; st <= RT_STATE_MAX; st++)
		for (int k = AK(ACCEPT); k <= AK(CLOSE); k++)
			assert_int_equal(qf_case_admits(st, k),
					 rt_fsm_row(st, rt_input_of_action(k)) != NULL);
	/* terminal states take no staff action but reopen */
	assert_null(rt_fsm_row(RT_MERGED, RT_IN_REOPEN));
	assert_null(rt_fsm_row(RT_CLOSED, RT_IN_ACCEPT));
}

static void test_routing_on_submit(void **state)
{
	struct {
		const char *id, *cat, *bld, *want;
	} cases[] = {
	    {"C1", "facility_repair", "B03", "s04"}, /* building head */
	    {"C2", "facility_repair", "B05", "s05"},
	    {"C3", "facility_repair", "B09", "s06"},
	    {"C4", "rental_dispute", "B05", "s08"}, /* special route */
	    {"C5", "policy_inquiry", "B09", "s07"},
	    {"C6", "facility_repair", "X99", "s03"}, /* unknown building: chain */
	    {"C7", "unheard_of", "B03", "s04"},	     /* unknown category */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		t_petition(TE, cases[i].id,
			   (struct t_petition){cases[i].cat, cases[i].bld});
		Qingfeng__V1__CaseTransition *a =
		    t_last(TE, ET(CASE_ASSIGNED), cases[i].id);
		assert_non_null(a);
		assert_string_equal(a->assignee, cases[i].want);
		assert_int_equal(a->from_state, ST(SUBMITTED));
		assert_int_equal(a->to_state, ST(ASSIGNED));
		assert_true(a->reason[0]);
		t_free(a);
		struct rt_case k = t_case(TE, cases[i].id);
		assert_int_equal(k.state, RT_ASSIGNED);
	}
	struct rt_case k = t_case(TE, "C7");
	assert_true(k.flags & RT_F_UNKNOWN_CAT);
	assert_int_equal(k.resolve_h, 72); /* router.unknown_category_resolve_h */
	/* the same case again is ignored, not re-routed */
	size_t before = TE->nev;
	t_petition(TE, "C1", (struct t_petition){"safety_hazard", "B05"});
	assert_int_equal(TE->nev, before);
	assert_string_equal(t_case(TE, "C1").category, "facility_repair");
}

static void test_first_responder_flow(void **state)
{
	t_petition(TE, "C1", (struct t_petition){0});
	/* accept guards */
	assert_int_equal(ACT("C1", AK(ACCEPT), "nobody"), 403);
	assert_string_equal(t_code(TE), "unknown_staff");
	assert_int_equal(ACT("C1", AK(ACCEPT), ""), 403);
	assert_int_equal(ACT("C1", AK(ACCEPT), "s05"), 403);
	assert_string_equal(t_code(TE), "not_assignee");
	assert_int_equal(ACT("C1", AK(ACCEPT), "s04"), 200);
	struct rt_case k = t_case(TE, "C1");
	assert_string_equal(k.owner, "s04");
	assert_int_equal(k.state, RT_ACCEPTED);
	assert_true(k.dl[RT_RESPOND].met_ms > 0);
	/* accepting twice: the state forbids it */
	assert_int_equal(ACT("C1", AK(ACCEPT), "s04"), 409);
	assert_string_equal(t_code(TE), "state_forbids");
	/* transfer guards: owner or secretary, reason, known target */
	assert_int_equal(ACT("C1", AK(TRANSFER), "s05", .target = "s03", .reason = "x"),
			 403);
	assert_string_equal(t_code(TE), "not_owner");
	assert_int_equal(ACT("C1", AK(TRANSFER), "s04", .target = "s03"), 409);
	assert_string_equal(t_code(TE), "reason_required");
	assert_int_equal(ACT("C1", AK(TRANSFER), "s04", .target = "s03", .reason = "  "),
			 409);
	assert_string_equal(t_code(TE), "reason_required");
	assert_int_equal(ACT("C1", AK(TRANSFER), "s04", .reason = "x"), 409);
	assert_string_equal(t_code(TE), "target_required");
	assert_int_equal(ACT("C1", AK(TRANSFER), "s04", .target = "s99", .reason = "x"),
			 409);
	assert_string_equal(t_code(TE), "target_unknown");
	assert_int_equal(ACT("C1", AK(TRANSFER), "s04", .target = "s04", .reason = "x"),
			 409);
	assert_string_equal(t_code(TE), "same_assignee");
	int64_t due = k.dl[RT_RESOLVE].due_ms;
	assert_int_equal(
	    ACT("C1", AK(TRANSFER), "s04", .target = "s03", .reason = "涉及多栋"), 200);
	Qingfeng__V1__CaseTransition *tr = t_last(TE, ET(CASE_TRANSFERRED), "C1");
	assert_string_equal(tr->previous_assignee, "s04");
	assert_string_equal(tr->assignee, "s03");
	assert_string_equal(tr->owner, "s03");
	assert_string_equal(tr->reason, "涉及多栋");
	assert_int_equal(tr->transfer_count, 1);
	assert_int_equal(tr->resolve_due_ms, due); /* transfers never reset */
	assert_int_equal(tr->to_state, ST(ACCEPTED));
	t_free(tr);
	/* the old owner is now out */
	assert_int_equal(ACT("C1", AK(PROGRESS), "s04", .progress = "x"), 403);
	/* progress needs something to say */
	assert_int_equal(ACT("C1", AK(PROGRESS), "s03"), 409);
	assert_string_equal(t_code(TE), "empty_note");
	assert_int_equal(
	    ACT("C1", AK(PROGRESS), "s03", .cause = "线路老化", .progress = "已联系电工"),
	    200);
	Qingfeng__V1__CaseTransition *pg = t_last(TE, ET(CASE_PROGRESS), "C1");
	assert_string_equal(pg->cause, "线路老化");
	assert_int_equal(pg->from_state, ST(ACCEPTED));
	assert_int_equal(pg->to_state, ST(IN_PROGRESS));
	t_free(pg);
	assert_int_equal(ACT("C1", AK(PROGRESS), "s03", .progress = "更换灯具"), 200);
	assert_int_equal(t_case(TE, "C1").state, RT_IN_PROGRESS);
	assert_int_equal(ACT("C1", AK(RESOLVE), "s03"), 409);
	assert_string_equal(t_code(TE), "result_required");
	assert_int_equal(ACT("C1", AK(RESOLVE), "s03", .result = "已修好"), 200);
	assert_int_equal(t_case(TE, "C1").state, RT_RESOLVED);
	assert_int_equal(ACT("C1", AK(PROGRESS), "s03", .progress = "x"), 409);
	assert_string_equal(t_code(TE), "state_forbids");
	/* feedback closes */
	t_feedback(TE, "C1", 5, "F1");
	Qingfeng__V1__CaseTransition *rated = t_last(TE, ET(CASE_RATED), "C1");
	assert_int_equal(rated->rating, 5);
	assert_int_equal(rated->from_state, ST(RESOLVED));
	assert_int_equal(rated->to_state, ST(RESOLVED));
	t_free(rated);
	Qingfeng__V1__CaseTransition *cl = t_last(TE, ET(CASE_CLOSED), "C1");
	assert_false(cl->closed_without_feedback);
	assert_int_equal(cl->to_state, ST(CLOSED));
	t_free(cl);
	assert_string_equal(t_code(TE), "ok");
	/* one rating per resolution */
	t_feedback(TE, "C1", 1, "F2");
	assert_string_equal(t_code(TE), "already_rated");
	assert_int_equal(t_case(TE, "C1").state, RT_CLOSED);
}

/* Deciding in the handler's place is the grant case.decide, not the role
 * name "secretary": moved to the staff role, the secretary loses it and a
 * staff member gains it. */
static void test_decider_is_a_grant(void **state)
{
	struct qf_role *sec = (struct qf_role *)qf_policy_role(TE->c, "secretary");
	struct qf_role *staff = (struct qf_role *)qf_policy_role(TE->c, "staff");
	assert_non_null(sec);
	assert_non_null(staff);
	sec->scope[QF_ACT_CASE_DECIDE] = QF_SCOPE_NONE;
	staff->scope[QF_ACT_CASE_DECIDE] = QF_SCOPE_ALL;
	t_petition(TE, "C1", (struct t_petition){0});
	assert_int_equal(ACT("C1", AK(ASSIGN), "s01", .target = "s05"), 403);
	assert_string_equal(t_code(TE), "secretary_only");
	assert_int_equal(ACT("C1", AK(ASSIGN), "s08", .target = "s05"), 200);
	assert_string_equal(t_case(TE, "C1").assignee, "s05");
	sec->scope[QF_ACT_CASE_DECIDE] = QF_SCOPE_ALL;
	staff->scope[QF_ACT_CASE_DECIDE] = QF_SCOPE_NONE;
}

static void test_secretary_overrides(void **state)
{
	t_petition(TE, "C1", (struct t_petition){0});
	assert_int_equal(ACT("C1", AK(ASSIGN), "s04", .target = "s05"), 403);
	assert_string_equal(t_code(TE), "secretary_only");
	assert_int_equal(ACT("C1", AK(ASSIGN), "s01"), 409);
	assert_string_equal(t_code(TE), "target_required");
	assert_int_equal(ACT("C1", AK(ASSIGN), "s01", .target = "s05"), 200);
	Qingfeng__V1__CaseTransition *a = t_last(TE, ET(CASE_ASSIGNED), "C1");
	assert_string_equal(a->previous_assignee, "s04");
	assert_string_equal(a->assignee, "s05");
	t_free(a);
	/* the secretary may accept anything: becomes the owner */
	assert_int_equal(ACT("C1", AK(ACCEPT), "s01"), 200);
	assert_string_equal(t_case(TE, "C1").owner, "s01");
	assert_int_equal(ACT("C1", AK(ASSIGN), "s01", .target = "s04"), 409);
	assert_string_equal(t_code(TE), "state_forbids");
	/* transfer limit: past it only the secretary transfers */
	TE->conf.rt.max_transfers = 2;
	assert_int_equal(ACT("C1", AK(TRANSFER), "s01", .target = "s04", .reason = "a"),
			 200);
	assert_int_equal(ACT("C1", AK(TRANSFER), "s04", .target = "s05", .reason = "b"),
			 200);
	assert_int_equal(ACT("C1", AK(TRANSFER), "s05", .target = "s06", .reason = "c"),
			 409);
	assert_string_equal(t_code(TE), "transfer_limit");
	assert_int_equal(ACT("C1", AK(TRANSFER), "s01", .target = "s06", .reason = "c"),
			 200);
	assert_int_equal(t_case(TE, "C1").transfer_count, 3);
	/* closing by hand: secretary only, only resolved cases */
	assert_int_equal(ACT("C1", AK(CLOSE), "s01"), 409);
	assert_int_equal(ACT("C1", AK(RESOLVE), "s06", .result = "ok"), 200);
	assert_int_equal(ACT("C1", AK(CLOSE), "s06"), 403);
	assert_int_equal(ACT("C1", AK(CLOSE), "s01"), 200);
	Qingfeng__V1__CaseTransition *cl = t_last(TE, ET(CASE_CLOSED), "C1");
	assert_true(cl->closed_without_feedback);
	t_free(cl);
}

static void test_reject_and_reopen(void **state)
{
	t_petition(TE, "C1", (struct t_petition){0});
	t_petition(TE, "C2", (struct t_petition){0});
	t_petition(TE, "C9", (struct t_petition){.building = "B05"});
	assert_int_equal(ACT("C2", AK(REJECT), "s04"), 409);
	assert_string_equal(t_code(TE), "reject_reason_required");
	assert_int_equal(ACT("C2", AK(REJECT), "s04", .reject = 1), 409);
	assert_string_equal(t_code(TE), "related_required");
	assert_int_equal(ACT("C2", AK(REJECT), "s04", .reject = 1, .related = "C404"),
			 409);
	assert_string_equal(t_code(TE), "related_unknown");
	assert_int_equal(ACT("C2", AK(REJECT), "s04", .reject = 1, .related = "C2"), 409);
	assert_string_equal(t_code(TE), "related_self");
	assert_int_equal(ACT("C2", AK(REJECT), "s04", .reject = 1, .related = "C9"), 409);
	assert_string_equal(t_code(TE), "related_other_building");
	assert_int_equal(ACT("C2", AK(REJECT), "s05", .reject = 2), 403);
	assert_int_equal(ACT("C2", AK(REJECT), "s04", .reject = 1, .related = "C1"), 200);
	Qingfeng__V1__CaseTransition *rj = t_last(TE, ET(CASE_REJECTED), "C2");
	assert_int_equal(rj->reject_reason, 1);
	assert_string_equal(rj->related_case, "C1");
	t_free(rj);
	struct rt_case k = t_case(TE, "C2");
	assert_int_equal(k.state, RT_REJECTED);
	assert_true(k.dl[RT_RESPOND].met_ms > 0);
	/* reopen: secretary or supervisor, with a reason */
	assert_int_equal(ACT("C2", AK(REOPEN), "s04", .reason = "x"), 403);
	assert_string_equal(t_code(TE), "reopen_not_allowed");
	assert_int_equal(ACT("C2", AK(REOPEN), "s02"), 409);
	assert_string_equal(t_code(TE), "reason_required");
	assert_int_equal(ACT("C2", AK(REOPEN), "s02", .reason = "并非重复"), 200);
	k = t_case(TE, "C2");
	assert_int_equal(k.state, RT_REOPENED);
	assert_int_equal(k.reopen_count, 1);
	/* nobody owned it: the assignee may take it now */
	assert_int_equal(ACT("C2", AK(ACCEPT), "s04"), 200);
	assert_int_equal(ACT("C2", AK(REOPEN), "s01", .reason = "x"), 409);
}

static void test_merge(void **state)
{
	t_petition(TE, "C1", (struct t_petition){0});
	t_petition(TE, "C2", (struct t_petition){0});
	t_petition(TE, "C3", (struct t_petition){0});
	assert_int_equal(ACT("C3", AK(REJECT), "s04", .reject = 3), 200); /* spam */
	assert_int_equal(ACT("C2", AK(MERGE), "s04"), 409);
	assert_string_equal(t_code(TE), "related_required");
	assert_int_equal(ACT("C2", AK(MERGE), "s04", .related = "C3"), 409);
	assert_string_equal(t_code(TE), "related_not_open");
	assert_int_equal(ACT("C2", AK(MERGE), "s04", .related = "C1"), 200);
	Qingfeng__V1__CaseTransition *m = t_last(TE, ET(CASE_MERGED), "C2");
	assert_string_equal(m->related_case, "C1");
	assert_int_equal(m->to_state, ST(MERGED));
	t_free(m);
	assert_int_equal(t_case(TE, "C1").merged_in, 1);
	assert_int_equal(ACT("C2", AK(REOPEN), "s01", .reason = "x"), 409);
	assert_int_equal(ACT("C2", AK(ACCEPT), "s04"), 409);
}

static void test_extensions(void **state)
{
	t_petition(TE, "C1", (struct t_petition){0});
	assert_int_equal(ACT("C1", AK(EXTEND_REQUEST), "s04", .hours = 24, .reason = "x"),
			 409);
	assert_string_equal(t_code(TE), "state_forbids"); /* accept first */
	assert_int_equal(ACT("C1", AK(ACCEPT), "s04"), 200);
	assert_int_equal(ACT("C1", AK(EXTEND_REQUEST), "s05", .hours = 24, .reason = "x"),
			 403);
	assert_int_equal(ACT("C1", AK(EXTEND_REQUEST), "s04", .hours = 24), 409);
	assert_string_equal(t_code(TE), "reason_required");
	assert_int_equal(ACT("C1", AK(EXTEND_REQUEST), "s04", .reason = "等配件"), 409);
	assert_string_equal(t_code(TE), "bad_extension");
	assert_int_equal(
	    ACT("C1", AK(EXTEND_REQUEST), "s04", .hours = 9999, .reason = "x"), 409);
	assert_string_equal(t_code(TE), "bad_extension");
	assert_int_equal(ACT("C1", AK(EXTEND_APPROVE), "s01"), 409);
	assert_string_equal(t_code(TE), "no_pending_extension");
	assert_int_equal(
	    ACT("C1", AK(EXTEND_REQUEST), "s04", .hours = 24, .reason = "等配件"), 200);
	Qingfeng__V1__CaseTransition *rq = t_last(TE, ET(EXTENSION_REQUESTED), "C1");
	assert_int_equal(rq->extension_hours, 24);
	t_free(rq);
	assert_int_equal(ACT("C1", AK(EXTEND_REQUEST), "s04", .hours = 8, .reason = "x"),
			 409);
	assert_string_equal(t_code(TE), "extension_pending");
	assert_int_equal(ACT("C1", AK(EXTEND_APPROVE), "s04"), 403);
	assert_string_equal(t_code(TE), "secretary_only");
	assert_int_equal(ACT("C1", AK(EXTEND_DENY), "s01", .reason = "时限内可完成"),
			 200);
	Qingfeng__V1__CaseTransition *dn = t_last(TE, ET(EXTENSION_DECIDED), "C1");
	assert_false(dn->extension_approved);
	assert_int_equal(dn->extension_hours, 24);
	t_free(dn);
	int64_t due = t_case(TE, "C1").dl[RT_RESOLVE].due_ms;
	assert_int_equal(
	    ACT("C1", AK(EXTEND_REQUEST), "s04", .hours = 48, .reason = "等配件"), 200);
	assert_int_equal(ACT("C1", AK(EXTEND_APPROVE), "s01"), 200);
	Qingfeng__V1__CaseTransition *ap = t_last(TE, ET(EXTENSION_DECIDED), "C1");
	assert_true(ap->extension_approved);
	assert_int_equal(ap->resolve_due_ms, due + 48 * HOUR);
	t_free(ap);
	struct rt_case k = t_case(TE, "C1");
	assert_int_equal(k.ext_hours, 48);
	assert_int_equal(k.ext_pending_h, 0);
	/* nobody approves their own request */
	t_petition(TE, "C2", (struct t_petition){0});
	assert_int_equal(ACT("C2", AK(ACCEPT), "s01"), 200);
	assert_int_equal(ACT("C2", AK(EXTEND_REQUEST), "s01", .hours = 8, .reason = "x"),
			 200);
	assert_int_equal(ACT("C2", AK(EXTEND_APPROVE), "s01"), 409);
	assert_string_equal(t_code(TE), "self_approval");
}

static void test_feedback_bands(void **state)
{
	t_petition(TE, "C1", (struct t_petition){0});
	/* before resolution feedback is refused */
	t_feedback(TE, "C1", 5, "F0");
	assert_string_equal(t_code(TE), "state_forbids");
	assert_int_equal(ACT("C1", AK(ACCEPT), "s04"), 200);
	assert_int_equal(ACT("C1", AK(RESOLVE), "s04", .result = "ok"), 200);
	t_feedback(TE, "C1", 9, "F1");
	assert_string_equal(t_code(TE), "bad_rating");
	/* poor: rated, reopened, owner kept */
	t_feedback(TE, "C1", 2, "F2");
	assert_string_equal(t_code(TE), "ok");
	Qingfeng__V1__CaseTransition *ro = t_last(TE, ET(CASE_REOPENED), "C1");
	assert_int_equal(ro->from_state, ST(RESOLVED));
	assert_int_equal(ro->to_state, ST(REOPENED));
	assert_string_equal(ro->actor->role, "petitioner");
	t_free(ro);
	struct rt_case k = t_case(TE, "C1");
	assert_int_equal(k.state, RT_REOPENED);
	assert_string_equal(k.owner, "s04");
	assert_int_equal(ACT("C1", AK(ACCEPT), "s05"),
			 403); /* first responder keeps it */
	assert_int_equal(ACT("C1", AK(ACCEPT), "s04"), 200);
	assert_int_equal(ACT("C1", AK(RESOLVE), "s04", .result = "again"), 200);
	/* middle band (good_rating 4): rated, stays resolved */
	TE->conf.rt.good_rating = 4;
	t_feedback(TE, "C1", 3, "F3");
	assert_int_equal(t_case(TE, "C1").state, RT_RESOLVED);
	assert_int_equal(t_case(TE, "C1").rating, 3);
	/* feedback without a command id still works, answered by no result */
	t_petition(TE, "C2", (struct t_petition){0});
	assert_int_equal(ACT("C2", AK(ACCEPT), "s04"), 200);
	assert_int_equal(ACT("C2", AK(RESOLVE), "s04", .result = "ok"), 200);
	size_t results = t_count(TE, ET(ACTION_RESULT), NULL);
	t_feedback(TE, "C2", 5, NULL);
	assert_int_equal(t_count(TE, ET(ACTION_RESULT), NULL), results);
	assert_int_equal(t_case(TE, "C2").state, RT_CLOSED);
	/* unknown case */
	t_feedback(TE, "C404", 5, "F4");
	Qingfeng__V1__ActionResult *r = t_last(TE, ET(ACTION_RESULT), NULL);
	assert_int_equal(r->status, 404);
	t_free(r);
}

static void test_unknown_case_and_action(void **state)
{
	assert_int_equal(ACT("C404", AK(ACCEPT), "s04"), 404);
	assert_string_equal(t_code(TE), "case_unknown");
	/* the result goes to the command's partition */
	assert_string_equal(TE->ev[TE->nev - 1].key, "B03");
	assert_string_equal(TE->ev[TE->nev - 1].corr, TE->ev[TE->nev - 1].corr);
	t_petition(TE, "C1", (struct t_petition){0});
	assert_int_equal(ACT("C1", 0, "s04"), 409);
	assert_string_equal(t_code(TE), "unknown_action");
	assert_int_equal(ACT("C1", 77, "s04"), 409);
	assert_string_equal(t_code(TE), "unknown_action");
	/* refused actions change nothing */
	struct rt_case k = t_case(TE, "C1");
	assert_int_equal(k.state, RT_ASSIGNED);
	assert_int_equal(k.nevents, 1);
}

static void test_undecodable_payload(void **state)
{
	/* consumed events whose payload does not decode are skipped (logged,
	 * counted) without failing the batch; unknown types are skipped */
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x42};
	static const int types[] = {ET(PETITION_SUBMITTED),
				    ET(STAFF_ACTION_REQUESTED),
				    ET(FEEDBACK_GIVEN),
				    ET(VISIT_RECORDED),
				    999,
				    ET(CASE_ASSIGNED)};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		struct t_call c = {.te = TE, .kind = 9};
		t_env(TE, &c.env, "B03", "C1", "");
		c.env.type = (Qingfeng__V1__EventType)types[i];
		c.env.payload.data = (uint8_t *)junk;
		c.env.payload.len = sizeof junk;
		struct qf_bus_msg m = {&c.env, junk, sizeof junk};
		struct {
			struct rt_engine *e;
			struct qf_bus_msg *m;
		} a = {&TE->e, &m};
		assert_int_equal(qf_store_write(TE->store, s_apply_fn, &a), 0);
	}
	assert_int_equal(TE->nev, 0);
	assert_int_equal(TE->e.total.ignored, 4);
	/* an unreadable command is still answered, under its correlation id */
	struct t_call c = {.te = TE, .kind = 9};
	t_env(TE, &c.env, "B03", "C1", "K-junk");
	c.env.type = ET(STAFF_ACTION_REQUESTED);
	c.env.payload.data = (uint8_t *)junk;
	c.env.payload.len = sizeof junk;
	struct qf_bus_msg m = {&c.env, junk, sizeof junk};
	struct {
		struct rt_engine *e;
		struct qf_bus_msg *m;
	} a = {&TE->e, &m};
	assert_int_equal(qf_store_write(TE->store, s_apply_fn, &a), 0);
	assert_int_equal(TE->nev, 1);
	Qingfeng__V1__ActionResult *r = t_last(TE, ET(ACTION_RESULT), NULL);
	assert_string_equal(r->command_id, "K-junk");
	assert_int_equal(r->status, 409);
	assert_string_equal(r->code, "malformed_command");
	t_free(r);
	assert_string_equal(TE->ev[0].corr, "K-junk");
	assert_string_equal(TE->ev[0].key, "B03");
}

static void test_self_judging(void **state)
{
	/* a report about building head s04 (supervised by s03, and s03 by the
	   secretary s01) */
	t_petition(TE, "C1", (struct t_petition){"integrity_report", "B03", "s04"});
	Qingfeng__V1__CaseTransition *a = t_last(TE, ET(CASE_ASSIGNED), "C1");
	assert_string_equal(a->assignee, "s02");
	assert_string_equal(a->concerns_staff, "s04");
	t_free(a);
	assert_int_equal(ACT("C1", AK(ACCEPT), "s04"), 403);
	assert_string_equal(t_code(TE), "conflict_of_interest");
	assert_int_equal(ACT("C1", AK(ACCEPT), "s02"), 200);
	/* neither the person reported nor anyone above them takes it */
	for (const char *const *to = (const char *const[]){"s04", "s03", "s01", NULL}; *to;
	     to++) {
		assert_int_equal(
		    ACT("C1", AK(TRANSFER), "s02", .target = *to, .reason = "x"), 409);
		assert_string_equal(t_code(TE), "target_conflict");
	}
	/* someone outside that line may */
	assert_int_equal(ACT("C1", AK(TRANSFER), "s02", .target = "s07", .reason = "x"),
			 200);

	/* a report about s03: s03 and the secretary above her are out */
	t_petition(TE, "C2", (struct t_petition){"integrity_report", "B03", "s03"});
	assert_int_equal(ACT("C2", AK(ACCEPT), "s02"), 200);
	assert_int_equal(ACT("C2", AK(TRANSFER), "s02", .target = "s01", .reason = "x"),
			 409);
	assert_string_equal(t_code(TE), "target_conflict");
	assert_int_equal(ACT("C2", AK(TRANSFER), "s02", .target = "s03", .reason = "x"),
			 409);

	/* a report about the supervisor goes to the fallback (the secretary) */
	t_petition(TE, "C3", (struct t_petition){"integrity_report", "B03", "s02"});
	a = t_last(TE, ET(CASE_ASSIGNED), "C3");
	assert_string_equal(a->assignee, "s01");
	t_free(a);
	assert_int_equal(ACT("C3", AK(ACCEPT), "s02"), 403);

	/* a report about the secretary goes to the supervisor */
	t_petition(TE, "C4", (struct t_petition){"integrity_report", "B03", "s01"});
	a = t_last(TE, ET(CASE_ASSIGNED), "C4");
	assert_string_equal(a->assignee, "s02");
	t_free(a);
	assert_int_equal(ACT("C4", AK(ACCEPT), "s01"), 403);

	/* a party on an ordinary case never handles it */
	t_petition(TE, "C5",
		   (struct t_petition){"neighbor_dispute", "B03", .parties = {"s04"}});
	a = t_last(TE, ET(CASE_ASSIGNED), "C5");
	assert_string_equal(a->assignee, "s03");
	t_free(a);
	assert_int_equal(ACT("C5", AK(ACCEPT), "s04"), 403);
	assert_string_equal(t_code(TE), "conflict_of_interest");

	/* parties of an integrity report are excluded as well: a report about
	   the secretary naming the supervisor as a party goes further down */
	t_petition(
	    TE, "C6",
	    (struct t_petition){"integrity_report", "B03", "s01", .parties = {"s02"}});
	a = t_last(TE, ET(CASE_ASSIGNED), "C6");
	assert_string_equal(a->assignee, "s03");
	t_free(a);
}

static void test_escalation_target_never_excluded(void **state)
{
	/* report about the supervisor s02, handled by the secretary: when she
	 * breaches there is nobody above her in the community, and the
	 * escalation never falls to s02 */
	t_petition(TE, "C1", (struct t_petition){"integrity_report", "B03", "s02"});
	int64_t t0 = qf_now_ms(&TE->clock);
	t_fire_at(TE, t0 + 25 * HOUR);
	Qingfeng__V1__CaseTransition *e = t_last(TE, ET(CASE_ESCALATED), "C1");
	if (e)
		assert_string_not_equal(e->assignee, "s02");
	t_free(e);
	struct rt_case k = t_case(TE, "C1");
	assert_string_not_equal(k.escalated_to, "s02");

	/* report about s03, handled by s02: the secretary supervises s03, so
	 * the escalation at s02's breach must not reach her (nor s03) */
	t_petition(TE, "C2", (struct t_petition){"integrity_report", "B03", "s03"});
	t0 = qf_now_ms(&TE->clock);
	t_fire_at(TE, t0 + 25 * HOUR);
	k = t_case(TE, "C2");
	assert_string_not_equal(k.escalated_to, "s01");
	assert_string_not_equal(k.escalated_to, "s03");
	e = t_last(TE, ET(CASE_ESCALATED), "C2");
	if (e) {
		assert_string_not_equal(e->assignee, "s01");
		assert_string_not_equal(e->assignee, "s03");
	}
	t_free(e);
	assert_int_equal(ACT("C2", AK(ACCEPT), "s01"), 403);
	assert_string_equal(t_code(TE), "conflict_of_interest");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_well_formed),
	    cmocka_unit_test_setup_teardown(test_routing_on_submit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_responder_flow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secretary_overrides, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decider_is_a_grant, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reject_and_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_extensions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_feedback_bands, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_case_and_action, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_undecodable_payload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_self_judging, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_escalation_target_never_excluded, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
