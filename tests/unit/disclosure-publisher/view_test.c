/* view_test.c: the views built from events: arrival order does not change
 * a case (replica determinism), statistics against hand-computed numbers,
 * ledger running balance and reconciliation, versions and corrections,
 * filtered and paged queries, and bad events skipped without a trace. */
#include "dpenv.h"

#include <sodium.h>

/* ------------------------------------------------------------ helpers */

struct doc_read {
	struct env *e;
	const char *id;
	char *doc, *head;
	size_t head_len;
};

static int s_doc_read(struct qf_txn *t, void *arg)
{
	struct doc_read *d = arg;
	MDB_val v;
	/* the document as rendered, and the stored record byte for byte */
	json_t *doc = cases_doc(&d->e->dp, t, d->id);
	if (doc)
		d->doc = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	if (qf_txn_get(t, d->e->dp.db.cases, d->id, strlen(d->id), &v) == QF_OK) {
		d->head = malloc(v.mv_size);
		memcpy(d->head, v.mv_data, v.mv_size);
		d->head_len = v.mv_size;
	}
	return QF_OK;
}

struct json_read {
	struct env *e;
	const char *arg;
	json_t *(*fn)(struct dp *, struct qf_txn *, const char *);
	json_t *out;
};

static int s_json_read(struct qf_txn *t, void *arg)
{
	struct json_read *j = arg;
	j->out = j->fn(&j->e->dp, t, j->arg);
	return QF_OK;
}

static json_t *s_get(struct env *e,
		     json_t *(*fn)(struct dp *, struct qf_txn *, const char *),
		     const char *arg)
{
	struct json_read j = {e, arg, fn, NULL};
	env_read(e, s_json_read, &j);
	return j.out;
}

static json_t *s_case(struct dp *dp, struct qf_txn *t, const char *id)
{
	return cases_doc(dp, t, id);
}

/* ------------------------------------------------------------ order */

/* The events of two cases, as (producer stream, seq) pairs applied in any
 * order: intake's petition may arrive before or after router's events. */
static void s_play(struct env *e, const int *order, int n)
{
	for (int k = 0; k < n; k++) {
		switch (order[k]) {
		case 0:
			env_petition(e, 1, "C000A", "safety_hazard", "B03",
				     "我叫徐志远，电话13812345678，楼道堵塞", T0);
			break;
		case 1:
			env_transition(e, 1, ET(CASE_ASSIGNED), "C000A", ST(ASSIGNED),
				       "s04", T0 + 60000, T0 + 2 * HOUR, T0 + DAY, NULL,
				       0);
			break;
		case 2:
			env_transition(e, 2, ET(CASE_ACCEPTED), "C000A", ST(ACCEPTED),
				       "s04", T0 + HOUR, T0 + 2 * HOUR, T0 + DAY, NULL,
				       0);
			break;
		case 3:
			env_transition(e, 3, ET(CASE_PROGRESS), "C000A", ST(IN_PROGRESS),
				       "s04", T0 + 2 * HOUR, T0 + 2 * HOUR, T0 + DAY,
				       "已联系徐志远，约好明天清理", 0);
			break;
		case 4:
			env_transition(e, 4, ET(CASE_RESOLVED), "C000A", ST(RESOLVED),
				       "s04", T0 + 5 * HOUR, T0 + 2 * HOUR, T0 + DAY,
				       NULL, 0);
			break;
		case 5:
			env_petition(e, 2, "C000B", "facility_repair", "B05", "路灯坏了",
				     T0 + HOUR);
			break;
		case 6:
			env_transition(e, 5, ET(CASE_ASSIGNED), "C000B", ST(ASSIGNED),
				       "s05", T0 + HOUR + 1000, T0 + 25 * HOUR,
				       T0 + 73 * HOUR, NULL, 0);
			break;
		}
	}
}

static void test_order_independent(void **state)
{
	(void)state;
	static const int forward[] = {0, 1, 2, 3, 4, 5, 6};
	static const int router_first[] = {6, 1, 2, 3, 4, 5, 0};
	static const int mixed[] = {1, 3, 0, 6, 2, 4, 5};
	const int *orders[] = {forward, router_first, mixed};
	char *docs[3][2], *heads[3][2];
	size_t hl[3][2];
	for (int o = 0; o < 3; o++) {
		struct env *e = env_new();
		s_play(e, orders[o], 7);
		const char *ids[2] = {"C000A", "C000B"};
		for (int c = 0; c < 2; c++) {
			struct doc_read d = {e, ids[c], NULL, NULL, 0};
			env_read(e, s_doc_read, &d);
			assert_non_null(d.doc);
			assert_non_null(d.head);
			docs[o][c] = d.doc;
			heads[o][c] = d.head;
			hl[o][c] = d.head_len;
		}
		env_free(e);
	}
	for (int o = 1; o < 3; o++)
		for (int c = 0; c < 2; c++) {
			assert_string_equal(docs[o][c], docs[0][c]);
			assert_int_equal(hl[o][c], hl[0][c]);
			assert_memory_equal(heads[o][c], heads[0][c], hl[0][c]);
		}
	/* and what it holds is masked, in order, with the derived state */
	json_t *d = json_loads(docs[0][0], 0, NULL);
	assert_string_equal(json_string_value(json_object_get(d, "state")), "resolved");
	assert_string_equal(json_string_value(json_object_get(d, "description")),
			    "我叫徐**，电话138****5678，楼道堵塞");
	json_t *tl = json_object_get(d, "timeline");
	assert_int_equal(json_array_size(tl), 5);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(tl, 0), "type")),
	    "PETITION_SUBMITTED");
	/* the progress note came before the petition in some orders: masked
	 * with the petitioner's surname once it was known */
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(tl, 3), "progress")),
	    "已联系徐**，约好明天清理");
	assert_null(strstr(docs[0][0], "徐志远"));
	assert_null(strstr(docs[0][0], "13812345678"));
	json_decref(d);
	for (int o = 0; o < 3; o++)
		for (int c = 0; c < 2; c++) {
			free(docs[o][c]);
			free(heads[o][c]);
		}
}

/* ------------------------------------------------------------ stats */

/* Six cases with known times (see docs/services/disclosure.md, "Statistics"):
 *   A safety B01 s04: accepted +30min (on time), resolved +10h (on time), rated 5
 *   B safety B03 s04: accepted +3h (late), resolved +29h (late), rated 3, closed
 *   C repair B05 s05: never accepted, response deadline passed
 *   D repair B05 s05: accepted +2h (on time), in progress
 *   E dispute B01:    merged into A (excluded)
 *   F safety B01 s04: accepted +1h (on time), resolution deadline passed
 * evaluated at now = T0 + 30h. */
static void s_stats_cases(struct env *e)
{
	uint64_t r = 1;
	env_petition(e, 1, "C00A1", "safety_hazard", "B01", "A", T0);
	env_transition(e, r++, ET(CASE_ASSIGNED), "C00A1", ST(ASSIGNED), "s04",
		       T0 + 60000, T0 + 2 * HOUR, T0 + 24 * HOUR, NULL, 0);
	env_transition(e, r++, ET(CASE_ACCEPTED), "C00A1", ST(ACCEPTED), "s04",
		       T0 + HOUR / 2, T0 + 2 * HOUR, T0 + 24 * HOUR, NULL, 0);
	env_transition(e, r++, ET(CASE_RESOLVED), "C00A1", ST(RESOLVED), "s04",
		       T0 + 10 * HOUR, T0 + 2 * HOUR, T0 + 24 * HOUR, NULL, 0);
	env_transition(e, r++, ET(CASE_RATED), "C00A1", 0, "s04", T0 + 11 * HOUR,
		       T0 + 2 * HOUR, T0 + 24 * HOUR, NULL, 5);
	env_transition(e, r++, ET(CASE_CLOSED), "C00A1", ST(CLOSED), "s04",
		       T0 + 11 * HOUR + 1, T0 + 2 * HOUR, T0 + 24 * HOUR, NULL, 0);

	env_petition(e, 2, "C00B2", "safety_hazard", "B03", "B", T0 + HOUR);
	env_transition(e, r++, ET(CASE_ASSIGNED), "C00B2", ST(ASSIGNED), "s04", T0 + HOUR,
		       T0 + 3 * HOUR, T0 + 25 * HOUR, NULL, 0);
	env_transition(e, r++, ET(CASE_ACCEPTED), "C00B2", ST(ACCEPTED), "s04",
		       T0 + 4 * HOUR, T0 + 3 * HOUR, T0 + 25 * HOUR, NULL, 0);
	env_transition(e, r++, ET(CASE_RESOLVED), "C00B2", ST(RESOLVED), "s04",
		       T0 + 30 * HOUR, T0 + 3 * HOUR, T0 + 25 * HOUR, NULL, 0);
	env_transition(e, r++, ET(CASE_RATED), "C00B2", 0, "s04", T0 + 30 * HOUR + 1,
		       T0 + 3 * HOUR, T0 + 25 * HOUR, NULL, 3);
	env_transition(e, r++, ET(CASE_CLOSED), "C00B2", ST(CLOSED), "s04",
		       T0 + 30 * HOUR + 2, T0 + 3 * HOUR, T0 + 25 * HOUR, NULL, 0);

	env_petition(e, 3, "C00C3", "facility_repair", "B05", "C", T0 + 2 * HOUR);
	env_transition(e, r++, ET(CASE_ASSIGNED), "C00C3", ST(ASSIGNED), "s05",
		       T0 + 2 * HOUR, T0 + 26 * HOUR, T0 + 74 * HOUR, NULL, 0);

	env_petition(e, 4, "C00D4", "facility_repair", "B05", "D", T0 + 3 * HOUR);
	env_transition(e, r++, ET(CASE_ASSIGNED), "C00D4", ST(ASSIGNED), "s05",
		       T0 + 3 * HOUR, T0 + 27 * HOUR, T0 + 75 * HOUR, NULL, 0);
	env_transition(e, r++, ET(CASE_ACCEPTED), "C00D4", ST(ACCEPTED), "s05",
		       T0 + 5 * HOUR, T0 + 27 * HOUR, T0 + 75 * HOUR, NULL, 0);
	env_transition(e, r++, ET(CASE_PROGRESS), "C00D4", ST(IN_PROGRESS), "s05",
		       T0 + 6 * HOUR, T0 + 27 * HOUR, T0 + 75 * HOUR, "订购灯具", 0);

	env_petition(e, 5, "C00E5", "neighbor_dispute", "B01", "E", T0 + 4 * HOUR);
	env_transition(e, r++, ET(CASE_MERGED), "C00E5", ST(MERGED), NULL,
		       T0 + 4 * HOUR + 1, 0, 0, NULL, 0);

	env_petition(e, 6, "C00F6", "safety_hazard", "B01", "F", T0 + 5 * HOUR);
	env_transition(e, r++, ET(CASE_ASSIGNED), "C00F6", ST(ASSIGNED), "s04",
		       T0 + 5 * HOUR, T0 + 7 * HOUR, T0 + 29 * HOUR, NULL, 0);
	env_transition(e, r++, ET(CASE_ACCEPTED), "C00F6", ST(ACCEPTED), "s04",
		       T0 + 6 * HOUR, T0 + 7 * HOUR, T0 + 29 * HOUR, NULL, 0);
}

struct stats_arg {
	struct env *e;
	int64_t from, to, now;
	json_t *out;
};

static int s_stats(struct qf_txn *t, void *arg)
{
	struct stats_arg *s = arg;
	s->out = stats_compute(&s->e->dp, t, s->from, s->to, s->now);
	return QF_OK;
}

static json_t *s_group_row(json_t *arr, const char *key)
{
	size_t i;
	json_t *x;
	json_array_foreach(
	    arr, i,
	    x) if (!strcmp(json_string_value(json_object_get(x, "key")), key)) return x;
	fail_msg("no group %s", key);
	return NULL;
}

#define I(o, k) json_integer_value(json_object_get(o, k))
#define R(o, k) json_real_value(json_object_get(o, k))

static void test_stats(void **state)
{
	(void)state;
	struct env *e = env_new();
	s_stats_cases(e);
	struct stats_arg s = {e, 0, 0, T0 + 30 * HOUR, NULL};
	env_read(e, s_stats, &s);
	json_t *all = json_object_get(s.out, "overall");
	assert_int_equal(I(all, "total"), 6);
	assert_int_equal(I(all, "excluded"), 1);
	assert_int_equal(I(all, "base"), 5);
	assert_int_equal(I(all, "responded"), 4);
	assert_int_equal(I(all, "responded_on_time"), 3);
	assert_int_equal(I(all, "response_due"), 5);
	assert_float_equal(R(all, "response_rate"), 3.0 / 5, 1e-9);
	assert_int_equal(I(all, "resolved"), 2);
	assert_float_equal(R(all, "resolution_rate"), 2.0 / 5, 1e-9);
	assert_int_equal(I(all, "resolved_on_time"), 1);
	assert_int_equal(I(all, "on_time_due"), 3);
	assert_float_equal(R(all, "on_time_rate"), 1.0 / 3, 1e-9);
	assert_int_equal(I(all, "rated"), 2);
	assert_int_equal(I(all, "satisfied"), 1);
	assert_float_equal(R(all, "satisfaction_rate"), 0.5, 1e-9);
	assert_float_equal(R(all, "average_rating"), 4.0, 1e-9);
	/* response: 30 min, 3 h, 2 h, 1 h -> (1 h + 2 h) / 2 */
	assert_int_equal(I(all, "median_response_s"), 5400);
	/* resolution: 10 h and 29 h -> 19.5 h */
	assert_int_equal(I(all, "median_resolve_s"), 70200);
	assert_int_equal(I(all, "open"), 3);
	assert_int_equal(I(all, "overdue"), 2);

	json_t *cat = json_object_get(s.out, "by_category");
	json_t *safety = s_group_row(cat, "safety_hazard");
	assert_int_equal(I(safety, "total"), 3);
	assert_float_equal(R(safety, "response_rate"), 2.0 / 3, 1e-9);
	assert_float_equal(R(safety, "resolution_rate"), 2.0 / 3, 1e-9);
	assert_float_equal(R(safety, "on_time_rate"), 1.0 / 3, 1e-9);
	assert_string_equal(json_string_value(json_object_get(safety, "name")),
			    "安全隐患");
	json_t *repair = s_group_row(cat, "facility_repair");
	assert_float_equal(R(repair, "response_rate"), 0.5, 1e-9);
	assert_float_equal(R(repair, "resolution_rate"), 0.0, 1e-9);
	assert_true(json_is_null(json_object_get(repair, "on_time_rate")));
	assert_true(json_is_null(json_object_get(repair, "satisfaction_rate")));
	json_t *dispute = s_group_row(cat, "neighbor_dispute");
	assert_int_equal(I(dispute, "excluded"), 1);
	assert_true(json_is_null(json_object_get(dispute, "resolution_rate")));

	json_t *bld = json_object_get(s.out, "by_building");
	assert_int_equal(I(s_group_row(bld, "B01"), "total"), 3);
	assert_int_equal(I(s_group_row(bld, "B05"), "overdue"), 1);
	json_t *hnd = json_object_get(s.out, "by_handler");
	json_t *s04 = s_group_row(hnd, "s04");
	assert_int_equal(I(s04, "total"), 3);
	assert_float_equal(R(s04, "satisfaction_rate"), 0.5, 1e-9);
	assert_string_equal(json_string_value(json_object_get(s04, "name")), "李建国");
	assert_int_equal(I(s_group_row(hnd, ""), "excluded"), 1);

	/* daily: six new on 2026-03-02, A resolved that day, B the next */
	json_t *daily = json_object_get(s.out, "daily");
	assert_int_equal(json_array_size(daily), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(daily, 0), "date")),
	    "2026-03-02");
	assert_int_equal(I(json_array_get(daily, 0), "new"), 6);
	assert_int_equal(I(json_array_get(daily, 0), "resolved"), 1);
	assert_int_equal(I(json_array_get(daily, 1), "resolved"), 1);
	json_decref(s.out);

	/* a period: submitted from T0 + 2h */
	struct stats_arg p = {e, T0 + 2 * HOUR, T0 + 10 * HOUR, T0 + 30 * HOUR, NULL};
	env_read(e, s_stats, &p);
	all = json_object_get(p.out, "overall");
	assert_int_equal(I(all, "total"), 4);
	assert_int_equal(I(all, "resolved"), 0);
	assert_true(json_is_null(json_object_get(all, "satisfaction_rate")));
	json_decref(p.out);

	/* periods in the community's zone */
	int64_t f, t;
	assert_int_equal(stats_period("2026Q1", 480, &f, &t), 0);
	assert_int_equal(f, 1767196800000LL); /* 2026-01-01T00:00+08:00 */
	assert_int_equal(t, 1774972800000LL); /* 2026-04-01T00:00+08:00 */
	assert_int_equal(stats_period("2026-03", 480, &f, &t), 0);
	assert_int_equal(t - f, 31 * DAY);
	assert_int_equal(stats_period("2026-03-02", 480, &f, &t), 0);
	assert_true(f <= T0 && T0 < t);
	assert_int_equal(stats_period("2026Q5", 480, &f, &t), QF_ERR_INVAL);
	assert_int_equal(stats_period("2026-1x", 480, &f, &t), QF_ERR_INVAL);
	assert_int_equal(stats_period("26", 480, &f, &t), QF_ERR_INVAL);
	env_free(e);
}

/* ------------------------------------------------------------ queries */

struct q_arg {
	struct env *e;
	struct case_query q;
	int64_t now;
	uint64_t total;
	char ids[16][16];
	int n;
};

static int s_q_item(void *arg, const struct case_view *v, int overdue)
{
	(void)overdue;
	struct q_arg *a = arg;
	if (a->n < 16)
		snprintf(a->ids[a->n++], 16, "%s", v->id);
	return 0;
}

static int s_q(struct qf_txn *t, void *arg)
{
	struct q_arg *a = arg;
	return cases_query(&a->e->dp, t, &a->q, a->now, s_q_item, a, &a->total);
}

static struct q_arg s_query(struct env *e, struct case_query q)
{
	struct q_arg a;
	memset(&a, 0, sizeof a);
	a.e = e;
	a.q = q;
	a.now = T0 + 30 * HOUR;
	env_read(e, s_q, &a);
	return a;
}

static void test_queries(void **state)
{
	(void)state;
	struct env *e = env_new();
	s_stats_cases(e);
	struct q_arg a = s_query(e, (struct case_query){.state = CQ_STATE_ANY});
	assert_int_equal(a.total, 6);
	assert_int_equal(a.n, 6);
	assert_string_equal(a.ids[0], "C00F6"); /* newest first */
	assert_string_equal(a.ids[5], "C00A1");
	a = s_query(e,
		    (struct case_query){.state = CQ_STATE_ANY, .offset = 2, .limit = 2});
	assert_int_equal(a.total, 6);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.ids[0], "C00D4");
	assert_string_equal(a.ids[1], "C00C3");
	a = s_query(
	    e, (struct case_query){.category = "safety_hazard", .state = CQ_STATE_ANY});
	assert_int_equal(a.total, 3);
	a = s_query(e, (struct case_query){.building = "B05", .state = CQ_STATE_ANY});
	assert_int_equal(a.total, 2);
	a = s_query(e, (struct case_query){.state = ST(CLOSED)});
	assert_int_equal(a.total, 2);
	a = s_query(e, (struct case_query){.state = CQ_STATE_OPEN});
	assert_int_equal(a.total, 3);
	a = s_query(e, (struct case_query){.state = CQ_STATE_DONE, .building = "B01"});
	assert_int_equal(a.total, 2); /* A closed, E merged */
	a = s_query(e, (struct case_query){.state = CQ_STATE_ANY, .handler = "s05"});
	assert_int_equal(a.total, 2);
	a = s_query(e, (struct case_query){.state = CQ_STATE_ANY,
					   .from_ms = T0 + HOUR,
					   .to_ms = T0 + 3 * HOUR});
	assert_int_equal(a.total, 2); /* B, C */
	a = s_query(e, (struct case_query){.state = CQ_STATE_ANY, .overdue = 1});
	assert_int_equal(a.total, 2);
	assert_string_equal(a.ids[0], "C00C3"); /* most overdue first */
	assert_string_equal(a.ids[1], "C00F6");
	a = s_query(e, (struct case_query){.state = CQ_STATE_ANY,
					   .overdue = 1,
					   .category = "safety_hazard"});
	assert_int_equal(a.total, 1);
	a = s_query(e, (struct case_query){.category = "facility_repair",
					   .state = ST(IN_PROGRESS)});
	assert_int_equal(a.total, 1);
	assert_string_equal(a.ids[0], "C00D4");
	env_free(e);
}

/* ------------------------------------------------------------ ledger */

static void s_ledger(struct env *e, uint64_t seq, const char *id, uint32_t ver,
		     const char *date, int income, int64_t fen, const char *why)
{
	Qingfeng__V1__DisclosureSubmitted d = QINGFENG__V1__DISCLOSURE_SUBMITTED__INIT;
	Qingfeng__V1__LedgerEntry l = QINGFENG__V1__LEDGER_ENTRY__INIT;
	l.date = (char *)date;
	l.income = income;
	l.amount_fen = fen;
	l.reason = (char *)why;
	l.voucher = "V1";
	d.record_id = (char *)id;
	d.version = ver;
	d.kind = QINGFENG__V1__DISCLOSURE_KIND__DISCLOSURE_LEDGER_ENTRY;
	d.ledger = &l;
	d.correction_reason = ver > 1 ? "金额录入错误" : "";
	d.submitted_ms = T0 + (int64_t)seq * 1000;
	assert_int_equal(env_emit(e, "intake", 3, seq, ET(DISCLOSURE_SUBMITTED), NULL,
				  (ProtobufCMessage *)&d),
			 0);
}

static void s_balance(struct env *e, uint64_t seq, const char *id, const char *q,
		      int64_t open, int64_t close)
{
	Qingfeng__V1__DisclosureSubmitted d = QINGFENG__V1__DISCLOSURE_SUBMITTED__INIT;
	Qingfeng__V1__BalanceStatement b = QINGFENG__V1__BALANCE_STATEMENT__INIT;
	b.quarter = (char *)q;
	b.opening_fen = open;
	b.closing_fen = close;
	b.account = "基本户";
	b.as_of = "2026-03-31";
	d.record_id = (char *)id;
	d.version = 1;
	d.kind = QINGFENG__V1__DISCLOSURE_KIND__DISCLOSURE_BALANCE;
	d.balance = &b;
	d.submitted_ms = T0 + (int64_t)seq * 1000;
	assert_int_equal(env_emit(e, "intake", 3, seq, ET(DISCLOSURE_SUBMITTED), NULL,
				  (ProtobufCMessage *)&d),
			 0);
}

static json_t *s_quarter(struct dp *dp, struct qf_txn *t, const char *q)
{
	return affairs_ledger_quarter(dp, t, q);
}

static json_t *s_record(struct dp *dp, struct qf_txn *t, const char *id)
{
	return affairs_record(dp, t, id);
}

struct bytes_arg {
	struct env *e;
	const char *kind, *key;
	char *b;
	size_t len;
};

static int s_bytes(struct qf_txn *t, void *arg)
{
	struct bytes_arg *b = arg;
	b->b = snapshot_bytes(&b->e->dp, t, b->kind, b->key, &b->len);
	return QF_OK;
}

static void s_check_hash(struct env *e, json_t *snap, const char *kind, const char *key)
{
	struct bytes_arg b = {e, kind, key, NULL, 0};
	env_read(e, s_bytes, &b);
	assert_non_null(b.b);
	uint8_t h[32];
	char hex[65];
	crypto_hash_sha256(h, (unsigned char *)b.b, b.len);
	qf_hex(h, 32, hex);
	assert_string_equal(json_string_value(json_object_get(snap, "sha256")), hex);
	/* the canonical form is what the view shows: same amounts */
	json_t *c = json_loadb(b.b, b.len, 0, NULL);
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c, "kind")), kind);
	json_decref(c);
	free(b.b);
}

#define ENTRY(q, i) json_array_get(json_object_get(q, "entries"), i)

static void test_ledger(void **state)
{
	(void)state;
	struct env *e = env_new();
	s_ledger(e, 1, "R1", 1, "2026-01-10", 1, 100000, "街道拨款");
	s_ledger(e, 2, "R2", 1, "2026-02-01", 0, 30000, "购买灭火器");
	s_ledger(e, 3, "R3", 1, "2026-03-15", 0, 20000, "路灯维修");
	s_balance(e, 4, "B1", "2026Q1", 50000, 100000);
	json_t *q = s_get(e, s_quarter, "2026Q1");
	assert_non_null(q);
	assert_int_equal(I(q, "opening_fen"), 50000);
	assert_string_equal(json_string_value(json_object_get(q, "opening_source")),
			    "statement");
	assert_int_equal(I(ENTRY(q, 0), "balance_fen"), 150000);
	assert_int_equal(I(ENTRY(q, 1), "balance_fen"), 120000);
	assert_int_equal(I(ENTRY(q, 2), "balance_fen"), 100000);
	assert_int_equal(I(q, "income_fen"), 100000);
	assert_int_equal(I(q, "expense_fen"), 50000);
	assert_int_equal(I(q, "computed_closing_fen"), 100000);
	assert_true(json_is_true(json_object_get(q, "reconciled")));
	json_t *snap = json_object_get(q, "snapshot");
	assert_int_equal(I(snap, "version"), 4);
	assert_int_equal(I(snap, "item_count"), 3);
	assert_true(json_is_true(json_object_get(snap, "reconciled")));
	s_check_hash(e, snap, "ledger_quarter", "2026Q1");
	char first_hash[65];
	snprintf(first_hash, sizeof first_hash, "%s",
		 json_string_value(json_object_get(snap, "sha256")));
	json_decref(q);

	/* a correction: the balance no longer matches and it shows */
	s_ledger(e, 5, "R2", 2, "2026-02-01", 0, 35000, "购买灭火器");
	q = s_get(e, s_quarter, "2026Q1");
	assert_int_equal(I(q, "computed_closing_fen"), 95000);
	assert_true(json_is_false(json_object_get(q, "reconciled")));
	assert_int_equal(I(q, "difference_fen"), 5000);
	assert_int_equal(I(ENTRY(q, 1), "version"), 2);
	json_t *prev = json_object_get(ENTRY(q, 1), "previous");
	assert_int_equal(I(prev, "amount_fen"),
			 30000); /* the superseded version beside */
	assert_string_equal(
	    json_string_value(json_object_get(ENTRY(q, 1), "correction_reason")),
	    "金额录入错误");
	snap = json_object_get(q, "snapshot");
	assert_int_equal(I(snap, "version"), 5);
	assert_true(json_is_false(json_object_get(snap, "reconciled")));
	assert_string_not_equal(json_string_value(json_object_get(snap, "sha256")),
				first_hash);
	s_check_hash(e, snap, "ledger_quarter", "2026Q1");
	json_decref(q);

	/* history keeps both versions */
	json_t *rec = s_get(e, s_record, "R2");
	assert_int_equal(I(rec, "current_version"), 2);
	json_t *vs = json_object_get(rec, "versions");
	assert_int_equal(json_array_size(vs), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(vs, 0), "status")),
	    "current");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(vs, 1), "status")),
	    "superseded");
	assert_int_equal(I(json_array_get(vs, 1), "amount_fen"), 30000);
	json_decref(rec);

	/* a correction that moves an entry into the next quarter */
	s_ledger(e, 6, "R3", 2, "2026-04-02", 0, 20000, "路灯维修");
	q = s_get(e, s_quarter, "2026Q1");
	assert_int_equal(json_array_size(json_object_get(q, "entries")), 2);
	assert_int_equal(I(q, "computed_closing_fen"), 115000);
	assert_int_equal(I(json_object_get(q, "snapshot"), "version"), 6);
	json_decref(q);
	q = s_get(e, s_quarter, "2026Q2");
	assert_non_null(q);
	assert_string_equal(json_string_value(json_object_get(q, "opening_source")),
			    "previous_statement");
	assert_int_equal(I(q, "opening_fen"), 100000);
	assert_int_equal(I(q, "computed_closing_fen"), 80000);
	assert_true(json_is_null(json_object_get(q, "reconciled")));
	assert_int_equal(I(json_object_get(q, "snapshot"), "version"), 1);
	json_decref(q);

	/* a duplicate version changes nothing */
	s_ledger(e, 7, "R2", 1, "2026-02-01", 0, 99999, "重复");
	rec = s_get(e, s_record, "R2");
	assert_int_equal(json_array_size(json_object_get(rec, "versions")), 2);
	json_decref(rec);
	q = s_get(e, s_quarter, "2026Q1");
	assert_int_equal(I(json_object_get(q, "snapshot"), "version"), 6);
	json_decref(q);
	assert_null(s_get(e, s_quarter, "2026Q3"));
	assert_null(s_get(e, s_quarter, "2026Q5"));
	env_free(e);
}

/* Snapshots of two quarters end identical whatever the order of records of
 * different partitions: the quarter's hash covers its own records only. */
static json_t *s_snaps(struct dp *dp, struct qf_txn *t, const char *unused)
{
	(void)unused;
	return snapshot_list(dp, t, NULL);
}

static void test_snapshot_order_independent(void **state)
{
	(void)state;
	char *out[2];
	for (int o = 0; o < 2; o++) {
		struct env *e = env_new();
		if (o == 0) {
			s_balance(e, 1, "BQ3", "2026Q3", 1000, 1500);
			s_balance(e, 2, "BQ4", "2026Q4", 1500, 1200);
			s_ledger(e, 3, "L1", 1, "2026-08-01", 1, 500, "拨款");
			s_ledger(e, 4, "L2", 1, "2026-11-01", 0, 300, "支出");
		} else {
			s_ledger(e, 4, "L2", 1, "2026-11-01", 0, 300, "支出");
			s_balance(e, 2, "BQ4", "2026Q4", 1500, 1200);
			s_ledger(e, 3, "L1", 1, "2026-08-01", 1, 500, "拨款");
			s_balance(e, 1, "BQ3", "2026Q3", 1000, 1500);
		}
		json_t *l = s_get(e, s_snaps, "");
		out[o] = json_dumps(l, JSON_SORT_KEYS | JSON_COMPACT);
		assert_int_equal(json_array_size(l), 2);
		json_decref(l);
		env_free(e);
	}
	assert_string_equal(out[0], out[1]);
	free(out[0]);
	free(out[1]);
}

/* ------------------------------------------------------------ bad input */

static void test_bad_events_skipped(void **state)
{
	(void)state;
	struct env *e = env_new();
	/* each is applied (rc 0: the bus moves on) and leaves no record */
	s_ledger(e, 1, "X1", 1, "2026-02-30", 1, 100, "不存在的日期");
	s_ledger(e, 2, "X2", 1, "2026-02-01", 1, 0, "金额为零");
	s_ledger(e, 3, "X3", 1, "2026-02-01", 1, -5, "负数");
	s_ledger(e, 4, "X4", 0, "2026-02-01", 1, 100, "版本为零");
	s_ledger(e, 5, "../x", 1, "2026-02-01", 1, 100, "坏编号");
	s_balance(e, 6, "X6", "2026Q5", 0, 0);
	Qingfeng__V1__DisclosureSubmitted d = QINGFENG__V1__DISCLOSURE_SUBMITTED__INIT;
	d.record_id = "X7";
	d.version = 1;
	d.kind = QINGFENG__V1__DISCLOSURE_KIND__DISCLOSURE_LEDGER_ENTRY; /* no ledger */
	assert_int_equal(env_emit(e, "intake", 3, 7, ET(DISCLOSURE_SUBMITTED), NULL,
				  (ProtobufCMessage *)&d),
			 0);
	Qingfeng__V1__Notice n = QINGFENG__V1__NOTICE__INIT;
	n.affair = "gossip";
	n.title = "t";
	d.record_id = "X8";
	d.kind = QINGFENG__V1__DISCLOSURE_KIND__DISCLOSURE_NOTICE;
	d.notice = &n;
	assert_int_equal(env_emit(e, "intake", 3, 8, ET(DISCLOSURE_SUBMITTED), NULL,
				  (ProtobufCMessage *)&d),
			 0);
	const char *ids[] = {"X1", "X2", "X3", "X4", "X6", "X7", "X8"};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		assert_null(s_get(e, s_record, ids[i]));
	/* a correction may not change the kind of a record */
	s_ledger(e, 9, "K1", 1, "2026-02-01", 1, 100, "ok");
	s_balance(e, 10, "K1", "2026Q1", 0, 100);
	json_t *rec = s_get(e, s_record, "K1");
	assert_string_equal(json_string_value(json_object_get(rec, "kind")),
			    "ledger_entry");
	assert_int_equal(json_array_size(json_object_get(rec, "versions")), 1);
	json_decref(rec);
	/* case events without a usable case id, and a malformed payload */
	env_petition(e, 1, "bad id with spaces", "safety_hazard", "B01", "x", T0);
	env_transition(e, 1, ET(CASE_ACCEPTED), "", ST(ACCEPTED), "s04", T0, 0, 0, NULL,
		       0);
	assert_null(s_get(e, s_case, "bad id with spaces"));
	Qingfeng__V1__Envelope env = QINGFENG__V1__ENVELOPE__INIT;
	uint8_t junk[] = {0xff, 0xff, 0xff, 0x0f};
	env.schema_version = 1;
	env.producer = "router";
	env.epoch = 1;
	env.seq = 99;
	env.type = ET(CASE_RESOLVED);
	env.payload.data = junk;
	env.payload.len = sizeof junk;
	struct apply_arg a = {e, &env, junk, sizeof junk};
	assert_int_equal(qf_store_write(e->store, s_env_apply, &a), 0);
	/* an event type from the future is ignored */
	env.type = (Qingfeng__V1__EventType)9999;
	assert_int_equal(qf_store_write(e->store, s_env_apply, &a), 0);
	struct q_arg q = s_query(e, (struct case_query){.state = CQ_STATE_ANY});
	assert_int_equal(q.total, 0);
	env_free(e);
}

/* A sensitive case (integrity report) keeps its notes out of the store. */
static void test_sensitive_withheld(void **state)
{
	(void)state;
	struct env *e = env_new();
	env_petition(e, 1, "C0S01", "integrity_report", "B01", "举报某干部吃拿卡要", T0);
	env_transition(e, 1, ET(CASE_PROGRESS), "C0S01", ST(IN_PROGRESS), "s02",
		       T0 + HOUR, 0, 0, "已约谈当事干部李建国", 0);
	struct doc_read d = {e, "C0S01", NULL, NULL, 0};
	env_read(e, s_doc_read, &d);
	assert_non_null(d.doc);
	assert_null(strstr(d.doc, "已约谈"));
	json_t *j = json_loads(d.doc, 0, NULL);
	assert_true(json_is_true(json_object_get(j, "withheld")));
	json_decref(j);
	free(d.doc);
	free(d.head);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_independent),
	    cmocka_unit_test(test_stats),
	    cmocka_unit_test(test_queries),
	    cmocka_unit_test(test_ledger),
	    cmocka_unit_test(test_bad_events_skipped),
	    cmocka_unit_test(test_sensitive_withheld),
	    cmocka_unit_test(test_snapshot_order_independent),
	};
	return cmocka_run_group_tests_name("disclosure views", tests, NULL, NULL);
}
