/* views.c: the staff views over HTTP (bearer tokens): my queue, warned and
 * overdue cases, case search with filters, case detail with the full
 * timeline, duty quotas and hotspots.
 *
 * Views only read, in one short read transaction each, on libmicrohttpd's
 * threads. Lists page with an opaque cursor and read at most
 * router.scan_budget records per request: a rare filter over a large store
 * answers with fewer items and a cursor to continue, instead of a long scan.
 * Integrity reports are shown only to those who may handle them (never to
 * anyone excluded from the case); to everyone else they do not exist.
 */
#include "router.h"
#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "duty.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_page.h"
#include "qf_access.h"
#include "routing.h"

#define DAY_MS	      86400000LL
#define MAX_LIMIT     200
#define DEFAULT_LIMIT 50

/* ------------------------------------------------------------ helpers */

struct view {
	struct router *r;
	const struct qf_community *c;
	const struct qf_staff *me;
	int64_t now;
};

/* The caller and the community come from the access gate (qf_access.h):
 * the route table's actions decided 401/403/404 before this runs. */
static void s_begin(struct router *r, struct qf_http_req *req, struct view *v)
{
	v->r = r;
	v->c = qf_access_community(req);
	v->now = qf_now_ms(qf_svc_clock(r->svc));
	v->me = qf_access_staff(req);
}

/* May `me` take action a on case k? (the policy table, row by row) */
static int s_may(const struct view *v, const struct rt_case *k, enum qf_action a)
{
	struct qf_case_facts f;
	rt_route_facts(v->c, k, &f);
	return qf_policy_case(v->c, v->me, a, &f) == QF_ALLOW;
}

static int s_visible(const struct view *v, const struct rt_case *k)
{
	return s_may(v, k, QF_ACT_CASE_READ);
}

static json_t *s_time(const struct view *v, int64_t ms)
{
	if (ms <= 0)
		return json_null();
	char b[40];
	return json_string(qf_time_fmt(ms, v->c->utc_offset_min, b, sizeof b));
}

static json_t *s_staff(const struct view *v, const char *id)
{
	if (!id || !id[0])
		return json_null();
	const struct qf_staff *s = qf_community_staff(v->c, id);
	return json_pack("{s:s, s:s, s:s}", "id", id, "name", s ? s->name : "", "post",
			 s ? s->post : "");
}

static json_t *s_clock(const struct view *v, const struct rt_case *k, int clock)
{
	const struct rt_deadline *d = &k->dl[clock];
	int running = rt_dl_active(k, clock);
	return json_pack("{s:o, s:o, s:b, s:i, s:b, s:i, s:i}", "due",
			 s_time(v, d->due_ms), "met_at", s_time(v, d->met_ms), "running",
			 running, "warnings", (int)d->stage, "breached", (int)d->breached,
			 "reminders", (int)d->reminders, "used_permille",
			 running ? (json_int_t)rt_dl_used(v->c, k, clock, v->now) : 0);
}

static json_t *s_case_json(const struct view *v, const struct rt_case *k)
{
	const struct qf_category *cat = qf_community_category(v->c, k->category);
	const struct qf_building *b = qf_community_building(v->c, k->building);
	unsigned alerts = rt_case_alerts(k);
	json_t *o = json_object();
	json_object_set_new(o, "case_id", json_string(k->id));
	json_object_set_new(o, "tracking_code", json_string(k->tracking));
	json_object_set_new(o, "state", json_string(rt_state_name(k->state)));
	json_object_set_new(o, "state_label", json_string(rt_state_label(k->state)));
	json_object_set_new(o, "category", json_string(k->category));
	json_object_set_new(o, "category_name",
			    json_string(cat ? cat->name : k->category));
	json_object_set_new(o, "building", json_string(k->building));
	json_object_set_new(o, "building_name", json_string(b ? b->name : k->building));
	json_object_set_new(o, "priority", json_string(k->priority));
	json_object_set_new(o, "assignee", s_staff(v, k->assignee));
	json_object_set_new(o, "owner", s_staff(v, k->owner));
	json_object_set_new(o, "escalated_to", s_staff(v, k->escalated_to));
	json_object_set_new(o, "submitted_at", s_time(v, k->submitted_ms));
	json_object_set_new(o, "updated_at", s_time(v, k->updated_ms));
	json_object_set_new(o, "resolved_at", s_time(v, k->resolved_ms));
	json_object_set_new(o, "closed_at", s_time(v, k->closed_ms));
	json_object_set_new(o, "respond", s_clock(v, k, RT_RESPOND));
	json_object_set_new(o, "resolve", s_clock(v, k, RT_RESOLVE));
	json_object_set_new(o, "clock",
			    json_string(k->flags & RT_F_WORKING ? "working" : "wall"));
	json_object_set_new(o, "overdue", json_boolean(alerts & RT_ALERT_OVERDUE));
	json_object_set_new(o, "warned", json_boolean(alerts & RT_ALERT_WARNED));
	json_object_set_new(o, "transfer_count", json_integer(k->transfer_count));
	json_object_set_new(o, "reopen_count", json_integer(k->reopen_count));
	json_object_set_new(o, "extension_hours", json_integer(k->ext_hours));
	json_object_set_new(o, "extension_pending_hours", json_integer(k->ext_pending_h));
	json_object_set_new(o, "repeat_of",
			    k->repeat_of[0] ? json_string(k->repeat_of) : json_null());
	json_object_set_new(o, "repeat_count", json_integer(k->repeat_count));
	json_object_set_new(o, "repeats", json_integer(k->repeat_hits));
	json_object_set_new(o, "merged_in", json_integer(k->merged_in));
	json_object_set_new(o, "related_case",
			    k->related[0] ? json_string(k->related) : json_null());
	json_object_set_new(o, "hotspot", json_boolean(k->flags & RT_F_HOTSPOT));
	json_object_set_new(o, "rating",
			    k->rating ? json_integer(k->rating) : json_null());
	json_object_set_new(o, "integrity_report",
			    json_boolean(k->flags & RT_F_INTEGRITY));
	/* retention forgot the petition and the private parts of its events:
	   the timeline shows their public parts only */
	json_object_set_new(o, "private_expired", json_boolean(k->flags & RT_F_EXPIRED));
	if (k->concerns[0])
		json_object_set_new(o, "concerns_staff", s_staff(v, k->concerns));
	json_t *parties = json_array();
	for (unsigned i = 0; i < k->nparties; i++)
		json_array_append_new(parties, json_string(k->parties[i]));
	json_object_set_new(o, "parties", parties);
	return o;
}

/* Query parameters shared by the lists. */
struct filter {
	int state; /* -1: any; 0: any open */
	const char *category, *building, *assignee;
	int64_t from, to; /* submitted in [from, to) ; 0: unbounded */
	unsigned limit;
	const char *cursor;
};

static int s_bad(struct qf_http_req *req, const char *field, const char *msg)
{
	qf_http_reply_error(req, 400, "bad_parameter", msg, field);
	return -1;
}

static int s_date(const struct view *v, struct qf_http_req *req, const char *name,
		  int64_t *out, int end)
{
	const char *s = qf_http_query(req, name);
	*out = 0;
	if (!s || !*s)
		return 0;
	if (qf_time_parse(s, v->c->utc_offset_min, out))
		return s_bad(req, name, "日期格式应为 YYYY-MM-DD 或 RFC 3339 时间");
	if (end && strlen(s) == 10)
		*out += DAY_MS; /* a date as the end includes the whole day */
	return 0;
}

static int s_filter(const struct view *v, struct qf_http_req *req, struct filter *f)
{
	memset(f, 0, sizeof *f);
	f->state = -1;
	f->limit = DEFAULT_LIMIT;
	const char *s = qf_http_query(req, "state");
	if (s && *s) {
		if (strcmp(s, "open") == 0)
			f->state = 0;
		else if ((f->state = rt_state_parse(s)) < 0)
			return s_bad(req, "state", "未知的案件状态");
	}
	f->category = qf_http_query(req, "category");
	if (f->category && *f->category && !qf_community_category(v->c, f->category))
		return s_bad(req, "category", "未知的诉求类别");
	f->building = qf_http_query(req, "building");
	if (f->building && *f->building && !qf_community_building(v->c, f->building))
		return s_bad(req, "building", "未知的楼院");
	f->assignee = qf_http_query(req, "assignee");
	if (f->assignee && *f->assignee && !qf_community_staff(v->c, f->assignee))
		return s_bad(req, "assignee", "未知的工作人员");
	if (s_date(v, req, "from", &f->from, 0) || s_date(v, req, "to", &f->to, 1))
		return -1;
	if (f->from && f->to && f->to <= f->from)
		return s_bad(req, "to", "结束日期须晚于开始日期");
	static const struct qf_page_rule rule = {DEFAULT_LIMIT, MAX_LIMIT};
	struct qf_page pg;
	if (qf_page_parse(req, &rule, &pg))
		return -1;
	f->limit = pg.limit;
	f->cursor = pg.cursor;
	if (f->cursor && strlen(f->cursor) > 2 * (RT_STAFF_MAX + 8 + RT_ID_MAX))
		return qf_page_bad_cursor(req);
	return 0;
}

static int s_match(const struct filter *f, const struct rt_case *k)
{
	if (f->state == 0 && !rt_state_open(k->state))
		return 0;
	if (f->state > 0 && k->state != f->state)
		return 0;
	if (f->category && *f->category && strcmp(f->category, k->category))
		return 0;
	if (f->building && *f->building && strcmp(f->building, k->building))
		return 0;
	if (f->assignee && *f->assignee && strcmp(f->assignee, k->assignee))
		return 0;
	if (f->from && k->submitted_ms < f->from)
		return 0;
	if (f->to && k->submitted_ms >= f->to)
		return 0;
	return 1;
}

/* ------------------------------------------------------------ lists */

enum list_kind { L_QUEUE, L_ALERTS, L_CASES };

struct list {
	const struct view *v;
	const struct filter *f;
	enum list_kind kind;
	const char *staff; /* queue: whose; alerts: "mine" filter (NULL: all) */
	unsigned want;	   /* alerts: RT_ALERT_* mask */
	json_t *items;
	char next[2 * (RT_STAFF_MAX + 8 + RT_ID_MAX) + 1];
	int has_next;
};

static int s_take(struct list *l, struct qf_txn *t, const char *id)
{
	struct rt_case k;
	if (rt_db_case_get(&l->v->r->db, t, id, &k))
		return 0;
	if (!s_visible(l->v, &k) || !s_match(l->f, &k))
		return 0;
	if (l->kind == L_ALERTS) {
		if (!(rt_case_alerts(&k) & l->want))
			return 0;
		if (l->staff && strcmp(k.assignee, l->staff) &&
		    strcmp(k.owner, l->staff) && strcmp(k.escalated_to, l->staff))
			return 0;
	}
	json_array_append_new(l->items, s_case_json(l->v, &k));
	return 1;
}

static int s_list_read(struct qf_txn *t, void *arg)
{
	struct list *l = arg;
	const struct rt_db *db = &l->v->r->db;
	MDB_cursor *cur;
	MDB_dbi dbi = l->kind == L_QUEUE    ? db->queue
		      : l->kind == L_ALERTS ? db->alerts
					    : db->cases;
	if (mdb_cursor_open(qf_txn_mdb(t), dbi, &cur))
		return QF_ERR_STORE;
	uint8_t key[RT_STAFF_MAX + 8 + RT_ID_MAX + 1];
	size_t pl = 0, cl = 0;
	MDB_val k, d;
	int rc;
	if (l->kind == L_QUEUE) {
		/* ascending by resolve due time within the staff member's prefix */
		pl = strlen(l->staff) + 1;
		memcpy(key, l->staff, pl);
		if (l->f->cursor && *l->f->cursor) {
			cl = strlen(l->f->cursor) / 2;
			if (cl > sizeof key - pl ||
			    qf_unhex(l->f->cursor, key + pl, cl)) {
				mdb_cursor_close(cur);
				return QF_ERR_INVAL;
			}
		}
		k = (MDB_val){pl + cl, key};
		rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
		if (rc == 0 && cl && k.mv_size == pl + cl &&
		    memcmp(k.mv_data, key, pl + cl) == 0)
			rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	} else {
		/* newest first: case ids sort by creation time */
		if (l->f->cursor && *l->f->cursor) {
			cl = strlen(l->f->cursor);
			if (cl >= RT_ID_MAX) {
				mdb_cursor_close(cur);
				return QF_ERR_INVAL;
			}
			memcpy(key, l->f->cursor, cl);
			k = (MDB_val){cl, key};
			rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
			rc = rc == 0 ? mdb_cursor_get(cur, &k, &d, MDB_PREV)
				     : mdb_cursor_get(cur, &k, &d, MDB_LAST);
		} else {
			rc = mdb_cursor_get(cur, &k, &d, MDB_LAST);
		}
	}
	unsigned n = 0, scanned = 0, budget = (unsigned)l->v->r->conf.rt.scan_budget;
	while (rc == 0) {
		if (l->kind == L_QUEUE &&
		    (k.mv_size <= pl + 8 || memcmp(k.mv_data, key, pl)))
			break;
		if (n == l->f->limit || scanned == budget) {
			l->has_next = 1;
			break;
		}
		scanned++;
		char id[RT_ID_MAX];
		const uint8_t *kp = k.mv_data;
		size_t off = l->kind == L_QUEUE ? pl + 8 : 0;
		size_t idl = k.mv_size - off;
		if (idl < RT_ID_MAX) {
			memcpy(id, kp + off, idl);
			id[idl] = '\0';
			n += (unsigned)s_take(l, t, id);
		}
		/* the cursor names the last key read */
		if (l->kind == L_QUEUE)
			qf_hex(kp + pl, k.mv_size - pl, l->next);
		else if (k.mv_size < sizeof l->next) {
			memcpy(l->next, kp, k.mv_size);
			l->next[k.mv_size] = '\0';
		}
		rc =
		    mdb_cursor_get(cur, &k, &d, l->kind == L_QUEUE ? MDB_NEXT : MDB_PREV);
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? QF_OK : qf_store_err(rc);
}

static void s_list_reply(struct qf_http_req *req, struct list *l)
{
	int rc = qf_store_read(l->v->r->store, s_list_read, l);
	if (rc == QF_ERR_INVAL) {
		json_decref(l->items);
		qf_page_bad_cursor(req);
		return;
	}
	if (rc) {
		json_decref(l->items);
		qf_http_reply_error(req, 503, "store_unavailable",
				    "暂时无法读取案件，请稍后重试", NULL);
		return;
	}
	json_t *out = json_pack("{s:o, s:I}", "items", l->items, "count",
				(json_int_t)json_array_size(l->items));
	if (!out || qf_page_finish(req, out, l->has_next ? l->next : NULL, NULL)) {
		json_decref(out);
		qf_http_reply_error(req, 503, "out_of_memory", "服务器繁忙，请稍后重试",
				    NULL);
		return;
	}
	qf_http_reply_json(req, 200, out);
}

static void h_queue(struct qf_http_req *req, void *ctx)
{
	struct view v;
	struct filter f;
	s_begin(ctx, req, &v);
	if (s_filter(&v, req, &f))
		return;
	const char *staff = qf_http_query(req, "staff");
	if (staff && *staff && strcmp(staff, v.me->id)) {
		if (qf_policy_role_allows(v.c, v.me, QF_ACT_OVERSIGHT_READ) != QF_ALLOW) {
			qf_access_deny(req, QF_DENY_ROLE);
			return;
		}
		if (!qf_community_staff(v.c, staff)) {
			s_bad(req, "staff", "未知的工作人员");
			return;
		}
	} else {
		staff = v.me->id;
	}
	struct list l = {
	    .v = &v, .f = &f, .kind = L_QUEUE, .staff = staff, .items = json_array()};
	s_list_reply(req, &l);
}

static void h_alerts(struct qf_http_req *req, void *ctx)
{
	struct view v;
	struct filter f;
	s_begin(ctx, req, &v);
	if (s_filter(&v, req, &f))
		return;
	const char *scope = qf_http_query(req, "scope");
	const char *kind = qf_http_query(req, "kind");
	struct list l = {.v = &v,
			 .f = &f,
			 .kind = L_ALERTS,
			 .staff = v.me->id,
			 .want = RT_ALERT_WARNED | RT_ALERT_OVERDUE,
			 .items = json_array()};
	if (scope && strcmp(scope, "all") == 0) {
		if (qf_policy_role_allows(v.c, v.me, QF_ACT_OVERSIGHT_READ) != QF_ALLOW) {
			json_decref(l.items);
			qf_access_deny(req, QF_DENY_ROLE);
			return;
		}
		l.staff = NULL;
	} else if (scope && *scope && strcmp(scope, "mine")) {
		json_decref(l.items);
		s_bad(req, "scope", "scope 须为 mine 或 all");
		return;
	}
	if (kind && strcmp(kind, "overdue") == 0)
		l.want = RT_ALERT_OVERDUE;
	else if (kind && strcmp(kind, "warned") == 0)
		l.want = RT_ALERT_WARNED;
	else if (kind && *kind && strcmp(kind, "all")) {
		json_decref(l.items);
		s_bad(req, "kind", "kind 须为 overdue、warned 或 all");
		return;
	}
	s_list_reply(req, &l);
}

static void h_cases(struct qf_http_req *req, void *ctx)
{
	struct view v;
	struct filter f;
	s_begin(ctx, req, &v);
	if (s_filter(&v, req, &f))
		return;
	struct list l = {.v = &v, .f = &f, .kind = L_CASES, .items = json_array()};
	s_list_reply(req, &l);
}

/* ------------------------------------------------------------ detail */

struct detail {
	const struct view *v;
	const char *id;
	struct rt_case k;
	int found;
	json_t *timeline;
};

static void s_tl_add(struct detail *d, const char *type, int64_t at, json_t *event)
{
	json_t *o = json_pack("{s:I, s:s}", "seq",
			      (json_int_t)json_array_size(d->timeline), "type", type);
	json_t *a = event ? json_object_get(event, "at_ms") : NULL;
	json_object_set_new(o, "at", s_time(d->v, a ? json_integer_value(a) : at));
	if (event)
		json_object_set_new(o, "event", event);
	json_array_append_new(d->timeline, o);
}

/* The petition, then every event the router emitted about the case, read
 * from the router's outbox at the positions the record lists. */
static int s_detail_read(struct qf_txn *t, void *arg)
{
	struct detail *d = arg;
	const struct rt_db *db = &d->v->r->db;
	int rc = rt_db_case_get(db, t, d->id, &d->k);
	if (rc == QF_ERR_NOTFOUND)
		return QF_OK;
	if (rc)
		return rc;
	if (!s_visible(d->v, &d->k))
		return QF_OK; /* hidden: answered as not found */
	d->found = 1;
	uint8_t *pet;
	size_t petlen;
	if (rt_db_petition_get(db, t, d->id, &pet, &petlen) == QF_OK) {
		Qingfeng__V1__PetitionSubmitted *p =
		    qingfeng__v1__petition_submitted__unpack(NULL, petlen, pet);
		if (p) {
			s_tl_add(d, "PETITION_SUBMITTED", d->k.submitted_ms,
				 qf_message_json(&p->base));
			qingfeng__v1__petition_submitted__free_unpacked(p, NULL);
		}
		sodium_memzero(pet, petlen);
		free(pet);
	}
	unsigned listed = d->k.nevents < RT_TL_MAX ? d->k.nevents : RT_TL_MAX;
	for (unsigned i = 0; i < listed; i++) {
		Qingfeng__V1__Envelope *env = NULL;
		const uint8_t *eb = NULL, *box = NULL;
		size_t el = 0, bl = 0;
		MDB_val v;
		if (rt_db_outbox_get(db, t, d->k.tl_part, d->k.tl[i], &v) == QF_OK &&
		    qf_bus_record_parse(v.mv_data, v.mv_size, &eb, &el, &box, &bl) == QF_OK)
			env = qf_bus_decode(eb, el);
		if (!env) { /* trimmed by bus.retain */
			json_t *o = json_pack("{s:I, s:s, s:b}", "seq",
					      (json_int_t)json_array_size(d->timeline),
					      "type", "UNAVAILABLE", "missing", 1);
			json_array_append_new(d->timeline, o);
			continue;
		}
		/* staff see the whole event: its private part while retained */
		uint8_t *pp = NULL;
		size_t ppl = 0;
		const uint8_t *nonce = NULL, *payload = NULL;
		size_t plen = 0;
		if (box && qf_vault_unseal(db->vault, t, box, bl, env->event_id.data,
					   env->event_id.len, &pp, &ppl) == QF_OK)
			qf_bus_private_parse(pp, ppl, &nonce, &payload, &plen);
		const char *tn = qf_event_type_name(env->type);
		ProtobufCMessage *m = qf_event_payload_full(env, nonce ? payload : NULL, plen);
		s_tl_add(d, tn ? tn : "UNKNOWN", env->time_ms,
			 m ? qf_message_json(m) : NULL);
		if (m)
			protobuf_c_message_free_unpacked(m, NULL);
		if (pp) {
			sodium_memzero(pp, ppl);
			free(pp);
		}
		qingfeng__v1__envelope__free_unpacked(env, NULL);
	}
	return QF_OK;
}

static void h_case(struct qf_http_req *req, void *ctx)
{
	struct view v;
	s_begin(ctx, req, &v);
	struct detail d = {
	    .v = &v, .id = qf_http_param(req, "id"), .timeline = json_array()};
	int rc = qf_store_read(v.r->store, s_detail_read, &d);
	if (rc) {
		json_decref(d.timeline);
		qf_http_reply_error(req, 503, "store_unavailable",
				    "暂时无法读取案件，请稍后重试", NULL);
		return;
	}
	if (!d.found) {
		json_decref(d.timeline);
		qf_http_reply_error(req, 404, "not_found", "找不到该案件", "id");
		return;
	}
	json_t *o = s_case_json(&v, &d.k);
	json_object_set_new(o, "timeline", d.timeline);
	json_object_set_new(o, "timeline_truncated",
			    json_boolean(d.k.nevents > RT_TL_MAX));
	qf_http_reply_json(req, 200, o);
}

/* ------------------------------------------------------------ duties */

struct duties {
	const struct view *v;
	char month[8];
	json_t *items;
};

static int s_duties_read(struct qf_txn *t, void *arg)
{
	struct duties *q = arg;
	const struct router *r = q->v->r;
	const struct qf_community *c = q->v->c;
	char now_month[8];
	rt_duty_month(q->v->now, c->utc_offset_min, now_month);
	for (unsigned i = 0; i < r->conf.rt.nduties; i++) {
		const struct rt_duty_conf *dc = &r->conf.rt.duties[i];
		for (unsigned j = 0; j < c->nstaff; j++) {
			const struct qf_staff *s = &c->staff[j];
			if (!rt_duty_applies(dc, s) || !rt_engine_owns(&r->engine, s->id))
				continue;
			uint32_t done = 0;
			unsigned flags = 0;
			int rc = rt_duty_get(&r->db, t, s->id, dc->name, q->month, &done,
					     &flags);
			if (rc && rc != QF_ERR_NOTFOUND && rc != QF_ERR_PROTO)
				return rc;
			uint32_t expected = dc->target; /* past months: the target */
			if (strcmp(q->month, now_month) == 0)
				expected =
				    rt_duty_expected(dc, c->utc_offset_min, q->v->now);
			else if (strcmp(q->month, now_month) > 0)
				expected = 0;
			json_array_append_new(
			    q->items,
			    json_pack(
				"{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:b}",
				"staff_id", s->id, "name", s->name, "post", s->post,
				"duty", dc->name, "month", q->month, "done",
				(json_int_t)done, "target", (json_int_t)dc->target,
				"expected_by_now", (json_int_t)expected, "behind",
				done < expected, "final_recorded", (flags & 1) != 0));
		}
	}
	return QF_OK;
}

static void h_duties(struct qf_http_req *req, void *ctx)
{
	struct view v;
	s_begin(ctx, req, &v);
	struct duties q = {.v = &v, .items = json_array()};
	const char *m = qf_http_query(req, "month");
	if (m && *m) {
		int y, mo;
		char tail;
		if (strlen(m) != 7 || sscanf(m, "%4d-%2d%c", &y, &mo, &tail) != 2 ||
		    mo < 1 || mo > 12 || y < 2000 || y > 9999) {
			json_decref(q.items);
			s_bad(req, "month", "月份格式应为 YYYY-MM");
			return;
		}
		snprintf(q.month, sizeof q.month, "%04u-%02u", (unsigned)y % 10000u,
			 (unsigned)mo % 100u);
	} else {
		rt_duty_month(v.now, v.c->utc_offset_min, q.month);
	}
	if (qf_store_read(v.r->store, s_duties_read, &q)) {
		json_decref(q.items);
		qf_http_reply_error(req, 503, "store_unavailable",
				    "暂时无法读取，请稍后重试", NULL);
		return;
	}
	qf_http_reply_json(req, 200,
			   json_pack("{s:s, s:o}", "month", q.month, "items", q.items));
}

/* ------------------------------------------------------------ hotspots */

struct hotspots {
	const struct view *v;
	json_t *items;
};

static int s_hot_read(struct qf_txn *t, void *arg)
{
	struct hotspots *h = arg;
	MDB_cursor *cur;
	if (mdb_cursor_open(qf_txn_mdb(t), h->v->r->db.hotspots, &cur))
		return QF_ERR_STORE;
	MDB_val k, d;
	int rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		const uint8_t *p = d.mv_data;
		if (d.mv_size < 9 || d.mv_size < 9u + p[0])
			continue;
		Qingfeng__V1__HotspotWarning *w = qingfeng__v1__hotspot_warning__unpack(
		    NULL, d.mv_size - 9 - p[0], p + 9 + p[0]);
		if (!w)
			continue;
		json_t *o = qf_message_json(&w->base);
		json_object_set_new(o, "at", s_time(h->v, w->at_ms));
		const struct qf_category *cat =
		    qf_community_category(h->v->c, w->category);
		const struct qf_building *b = qf_community_building(h->v->c, w->building);
		json_object_set_new(o, "category_name",
				    json_string(cat ? cat->name : w->category));
		json_object_set_new(o, "building_name",
				    json_string(b ? b->name : w->building));
		json_array_append_new(h->items, o);
		qingfeng__v1__hotspot_warning__free_unpacked(w, NULL);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? QF_OK : qf_store_err(rc);
}

static void h_hotspots(struct qf_http_req *req, void *ctx)
{
	struct view v;
	s_begin(ctx, req, &v);
	struct hotspots h = {.v = &v, .items = json_array()};
	if (qf_store_read(v.r->store, s_hot_read, &h)) {
		json_decref(h.items);
		qf_http_reply_error(req, 503, "store_unavailable",
				    "暂时无法读取，请稍后重试", NULL);
		return;
	}
	qf_http_reply_json(req, 200, json_pack("{s:o}", "items", h.items));
}

/* ------------------------------------------------------------ table */

static void h_me(struct qf_http_req *req, void *ctx)
{
	struct view v;
	s_begin(ctx, req, &v);
	qf_http_reply_json(req, 200,
			   json_pack("{s:s, s:s, s:s, s:s}", "staff_id", v.me->id, "name",
				     v.me->name, "post", v.me->post, "role", v.me->role));
}

/* Each route names its action of the access policy (qf_policy.h); lists
 * filter their rows with the same table. */
const struct qf_http_route rt_routes[] = {
    {"GET", "/v1/me", h_me, 0, 0, NULL, "self.read", NULL},
    {"GET", "/v1/queue", h_queue, 0, 0, NULL, "queue.read", NULL},
    {"GET", "/v1/alerts", h_alerts, 0, 0, NULL, "queue.read", NULL},
    {"GET", "/v1/cases", h_cases, 0, 0, NULL, "case.read", NULL},
    {"GET", "/v1/cases/:id", h_case, 0, 0, NULL, "case.read", "id"},
    {"GET", "/v1/duties", h_duties, 0, 0, NULL, "community.read", NULL},
    {"GET", "/v1/hotspots", h_hotspots, 0, 0, NULL, "community.read", NULL},
};
const size_t rt_nroutes = sizeof rt_routes / sizeof rt_routes[0];

static void s_world(void *svc, const struct qf_community **c, const struct qf_tokens **t)
{
	struct router *r = svc;
	*c = atomic_load(&r->community);
	*t = atomic_load(&r->tokens);
}

struct facts_read {
	struct router *r;
	const char *id;
	struct qf_case_facts *f;
};

static int s_facts_read(struct qf_txn *t, void *arg)
{
	struct facts_read *fr = arg;
	struct rt_case k;
	int rc = rt_db_case_get(&fr->r->db, t, fr->id, &k);
	if (rc == QF_ERR_PROTO)
		rc = QF_ERR_NOTFOUND;
	if (!rc)
		rt_route_facts(atomic_load(&fr->r->community), &k, fr->f);
	return rc;
}

static int s_case_facts(void *svc, const char *id, struct qf_case_facts *f)
{
	struct facts_read fr = {svc, id, f};
	return qf_store_read(((struct router *)svc)->store, s_facts_read, &fr);
}

void rt_views_access(struct router *r, struct qf_access *a)
{
	*a = (struct qf_access){s_world, s_case_facts, r};
}

int rt_views_ready(void *ctx)
{
	struct router *r = ctx;
	return qf_svc_ready(r->svc);
}
