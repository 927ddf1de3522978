/* early_test: early warnings beyond deadlines: hotspots (N petitions of one
 * category at one building within T hours) and repeat petitions (the same
 * petitioner, building and category within the window). */
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

static void test_hotspot(void **state)
{
	int64_t t0 = qf_now_ms(&TE->clock);
	struct t_petition p = {"facility_repair", "B03"};
	p.submitted_ms = t0;
	t_petition(TE, "C1", p);
	p.submitted_ms = t0 + HOUR;
	t_petition(TE, "C2", p);
	assert_int_equal(t_count(TE, ET(HOTSPOT_WARNING), NULL), 0);
	/* other buildings and categories do not add up */
	t_petition(TE, "C90",
		   (struct t_petition){"facility_repair", "B05", .submitted_ms = t0});
	t_petition(TE, "C91",
		   (struct t_petition){"neighbor_dispute", "B03", .submitted_ms = t0});
	assert_int_equal(t_count(TE, ET(HOTSPOT_WARNING), NULL), 0);
	p.submitted_ms = t0 + 2 * HOUR;
	t_petition(TE, "C3", p);
	assert_int_equal(t_count(TE, ET(HOTSPOT_WARNING), NULL), 1);
	Qingfeng__V1__HotspotWarning *h = t_last(TE, ET(HOTSPOT_WARNING), NULL);
	assert_string_equal(h->building, "B03");
	assert_string_equal(h->category, "facility_repair");
	assert_int_equal(h->count, 3);
	assert_int_equal(h->window_hours, 24);
	assert_int_equal(h->n_case_ids, 3);
	assert_string_equal(h->case_ids[0], "C1");
	assert_string_equal(h->case_ids[2], "C3");
	t_free(h);
	assert_string_equal(TE->ev[TE->nev - 1].key, "B03");
	assert_true(t_case(TE, "C1").flags & RT_F_HOTSPOT);
	assert_true(t_case(TE, "C3").flags & RT_F_HOTSPOT);
	assert_false(t_case(TE, "C90").flags & RT_F_HOTSPOT);
	/* within the window the staff already know: no warning per petition */
	for (int i = 4; i <= 9; i++) {
		char id[8];
		snprintf(id, sizeof id, "C%d", i);
		p.submitted_ms = t0 + i * HOUR;
		t_petition(TE, id, p);
	}
	assert_int_equal(t_count(TE, ET(HOTSPOT_WARNING), NULL), 1);
	assert_false(t_case(TE, "C9").flags & RT_F_HOTSPOT);
	/* a window later the cluster goes on: warned again, with the cases
	 * still inside the window that came after the first warning */
	p.submitted_ms = t0 + 2 * HOUR + 24 * HOUR;
	t_petition(TE, "C10", p);
	assert_int_equal(t_count(TE, ET(HOTSPOT_WARNING), NULL), 2);
	h = t_last(TE, ET(HOTSPOT_WARNING), NULL);
	assert_int_equal(h->count, 3);
	assert_string_equal(h->case_ids[0], "C4");
	t_free(h);
	assert_true(t_case(TE, "C4").flags & RT_F_HOTSPOT);
}

static void test_hotspot_window(void **state)
{
	int64_t t0 = qf_now_ms(&TE->clock);
	struct t_petition p = {"neighbor_dispute", "B09"};
	for (int i = 0; i < 4; i++) {
		char id[8];
		snprintf(id, sizeof id, "C%d", i);
		p.submitted_ms = t0 + i * 13 * HOUR; /* never 3 within 24h */
		t_petition(TE, id, p);
	}
	assert_int_equal(t_count(TE, ET(HOTSPOT_WARNING), NULL), 0);
	TE->conf.rt.hotspot_window_h = 30;
	p.submitted_ms = t0 + 3 * 13 * HOUR + 1;
	t_petition(TE, "C9", p); /* C1 (13h) .. C3 (39h) and C9 within 30h */
	assert_int_equal(t_count(TE, ET(HOTSPOT_WARNING), NULL), 1);
}

static void test_repeat(void **state)
{
	int64_t t0 = qf_now_ms(&TE->clock);
	struct t_petition p = {"facility_repair", "B03", .pseudonym = "petitioner-a"};
	p.submitted_ms = t0;
	t_petition(TE, "C1", p);
	assert_int_equal(t_count(TE, ET(REPEAT_LINKED), NULL), 0);
	p.submitted_ms = t0 + DAY;
	t_petition(TE, "C2", p);
	Qingfeng__V1__RepeatLinked *r = t_last(TE, ET(REPEAT_LINKED), "C2");
	assert_non_null(r);
	assert_string_equal(r->earlier_case_id, "C1");
	assert_int_equal(r->repeat_count, 1);
	t_free(r);
	p.submitted_ms = t0 + 2 * DAY;
	t_petition(TE, "C3", p);
	r = t_last(TE, ET(REPEAT_LINKED), "C3");
	assert_string_equal(r->earlier_case_id, "C2");
	assert_int_equal(r->repeat_count, 2);
	t_free(r);
	/* the link is the petitioner's: private in REPEAT_LINKED, and not on
	   CASE_ASSIGNED, whose related_case is public */
	Qingfeng__V1__CaseTransition *a = t_last(TE, ET(CASE_ASSIGNED), "C3");
	assert_string_equal(a->related_case, "");
	t_free(a);
	r = t_last_public(TE, ET(REPEAT_LINKED), "C3");
	assert_string_equal(r->case_id, "C3");
	assert_string_equal(r->earlier_case_id, "");
	assert_int_equal(r->repeat_count, 0);
	t_free(r);
	for (size_t i = 0; i < TE->nev; i++)
		if (TE->ev[i].type == ET(REPEAT_LINKED) ||
		    TE->ev[i].type == ET(CASE_ASSIGNED))
			assert_string_equal(TE->ev[i].corr, "");
	struct rt_case k = t_case(TE, "C3");
	assert_string_equal(k.repeat_of, "C2");
	assert_int_equal(k.repeat_count, 2);
	assert_int_equal(t_case(TE, "C1").repeat_hits, 1);
	assert_int_equal(t_case(TE, "C2").repeat_hits, 1);
	/* the link is on the new case's record */
	assert_int_equal(k.nevents, 2); /* assigned, repeat */
	/* another category, another building, another petitioner, anonymous */
	size_t before = t_count(TE, ET(REPEAT_LINKED), NULL);
	t_petition(
	    TE, "C4",
	    (struct t_petition){"neighbor_dispute", "B03", .pseudonym = "petitioner-a"});
	t_petition(
	    TE, "C5",
	    (struct t_petition){"facility_repair", "B05", .pseudonym = "petitioner-a"});
	t_petition(
	    TE, "C6",
	    (struct t_petition){"facility_repair", "B03", .pseudonym = "petitioner-b"});
	t_petition(TE, "C7", (struct t_petition){"facility_repair", "B03"});
	t_petition(TE, "C8", (struct t_petition){"facility_repair", "B03"});
	assert_int_equal(t_count(TE, ET(REPEAT_LINKED), NULL), before);
	/* outside the window (30 days) it is a new matter */
	p.submitted_ms = t0 + 40 * DAY;
	t_petition(TE, "C9", p);
	assert_int_equal(t_count(TE, ET(REPEAT_LINKED), NULL), before);
	p.submitted_ms = t0 + 41 * DAY;
	t_petition(TE, "C10", p);
	r = t_last(TE, ET(REPEAT_LINKED), "C10");
	assert_string_equal(r->earlier_case_id, "C9");
	assert_int_equal(r->repeat_count, 1);
	t_free(r);
}

/* Nothing public links a sensitive or anonymous petition to its author's
 * other petitions. */
static void test_repeat_private(void **state)
{
	int64_t t0 = qf_now_ms(&TE->clock);
	/* anonymous: never linked, and never the earlier case of a later one */
	struct t_petition p = {"facility_repair", "B03", .pseudonym = "petitioner-c"};
	p.anonymous = 1;
	p.submitted_ms = t0;
	t_petition(TE, "A1", p);
	p.submitted_ms = t0 + HOUR;
	t_petition(TE, "A2", p);
	p.anonymous = 0;
	p.submitted_ms = t0 + 2 * HOUR;
	t_petition(TE, "A3", p);
	assert_int_equal(t_count(TE, ET(REPEAT_LINKED), NULL), 0);
	assert_string_equal(t_case(TE, "A2").repeat_of, "");
	assert_string_equal(t_case(TE, "A3").repeat_of, "");
	assert_int_equal(t_case(TE, "A1").repeat_hits, 0);
	/* sensitive: linked in the records, for the staff who handle it, but no
	   event says so */
	struct t_petition s = {"integrity_report", "B03", "s04", .pseudonym = "rep-d"};
	s.submitted_ms = t0;
	t_petition(TE, "S1", s);
	s.submitted_ms = t0 + DAY;
	t_petition(TE, "S2", s);
	assert_string_equal(t_case(TE, "S2").repeat_of, "S1");
	assert_int_equal(t_case(TE, "S1").repeat_hits, 1);
	assert_int_equal(t_count(TE, ET(REPEAT_LINKED), NULL), 0);
	Qingfeng__V1__CaseTransition *a = t_last(TE, ET(CASE_ASSIGNED), "S2");
	assert_string_equal(a->related_case, "");
	t_free(a);
	assert_string_equal(TE->ev[TE->nev - 1].key, "sensitive");
	a = t_last_public(TE, ET(CASE_ASSIGNED), "S2");
	assert_string_equal(a->building, "");
	assert_string_equal(a->concerns_staff, "");
	assert_string_equal(a->assignee, "");
	t_free(a);
	/* a report flagged by its concerns_staff in an ordinary category too */
	struct t_petition f = {"neighbor_dispute", "B05", "s05", .pseudonym = "rep-e"};
	f.submitted_ms = t0;
	t_petition(TE, "S3", f);
	f.submitted_ms = t0 + DAY;
	t_petition(TE, "S4", f);
	assert_string_equal(t_case(TE, "S4").repeat_of, "S3");
	assert_int_equal(t_count(TE, ET(REPEAT_LINKED), NULL), 0);
}

/* A sensitive case is never counted in, listed by or flagged for a hotspot
 * (HOTSPOT_WARNING's building and case ids are public). */
static void test_hotspot_leaves_out_sensitive(void **state)
{
	int64_t t0 = qf_now_ms(&TE->clock);
	for (int i = 0; i < 4; i++) {
		char id[8];
		snprintf(id, sizeof id, "I%d", i);
		t_petition(TE, id,
			   (struct t_petition){"integrity_report", "B03", "s04",
					       .submitted_ms = t0 + i * HOUR});
	}
	assert_int_equal(t_count(TE, ET(HOTSPOT_WARNING), NULL), 0);
	assert_false(t_case(TE, "I3").flags & RT_F_HOTSPOT);
	/* nor one flagged by concerns_staff among ordinary petitions */
	struct t_petition p = {"facility_repair", "B05"};
	p.submitted_ms = t0;
	t_petition(TE, "N1", p);
	t_petition(TE, "R1",
		   (struct t_petition){"facility_repair", "B05", "s05",
				       .submitted_ms = t0 + HOUR});
	p.submitted_ms = t0 + 2 * HOUR;
	t_petition(TE, "N2", p);
	assert_int_equal(t_count(TE, ET(HOTSPOT_WARNING), NULL), 0);
	p.submitted_ms = t0 + 3 * HOUR;
	t_petition(TE, "N3", p);
	assert_int_equal(t_count(TE, ET(HOTSPOT_WARNING), NULL), 1);
	Qingfeng__V1__HotspotWarning *h = t_last(TE, ET(HOTSPOT_WARNING), NULL);
	assert_int_equal(h->n_case_ids, 3);
	for (size_t i = 0; i < h->n_case_ids; i++)
		assert_string_not_equal(h->case_ids[i], "R1");
	t_free(h);
	assert_false(t_case(TE, "R1").flags & RT_F_HOTSPOT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_hotspot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hotspot_window, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_repeat, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_repeat_private, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hotspot_leaves_out_sensitive, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
