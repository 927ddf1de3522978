/* cases.c: the staff side of a case: the case with its timeline, a list of
 * cases, and the petitioner's contact details on explicit request.
 *
 * Design: contact details are the one thing in intake that identifies a
 * resident. They are kept encrypted at rest, shown only to an authenticated
 * staff member who is neither the subject of an integrity report nor a party
 * to the case, and every showing is a CONTACT_VIEWED event written in the
 * same transaction as the view record, before the details are released: no
 * view goes unrecorded. */
#include "intake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"

json_t *intake_case_view(struct intake *in, struct qf_txn *t, const json_t *rec,
			 int with_timeline);

json_t *intake_contact_views(struct intake *in, struct qf_txn *t, const char *id)
{
	json_t *out = json_array();
	size_t il = strlen(id);
	MDB_cursor *c;
	if (!out || mdb_cursor_open(qf_txn_mdb(t), in->db.views, &c))
		return out;
	MDB_val k = {il, (void *)id}, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size > il + 8 && !memcmp(k.mv_data, id, il)) {
		json_t *x = intake_rec_parse(in, t, &intake_rec_view, k.mv_data, k.mv_size,
					     v.mv_data, v.mv_size);
		if (x) {
			char at[40];
			json_object_del(x, "private_gone");
			qf_time_fmt(json_integer_value(json_object_get(x, "viewed_ms")),
				    intake_world_get(in)->community->utc_offset_min, at,
				    sizeof at);
			json_object_set_new(x, "viewed_at", json_string(at));
			json_object_del(x, "viewed_ms");
			json_array_append_new(out, x);
		}
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return out;
}

struct case_read {
	struct intake *in;
	const char *id;
	const struct qf_staff *staff;
	json_t *view;
	int status;
};

static int s_case_read(struct qf_txn *t, void *arg)
{
	struct case_read *c = arg;
	json_t *rec = intake_case_get(c->in, t, c->id);
	if (!rec) {
		c->status = 404;
		return QF_OK;
	}
	if (!intake_may(c->in, c->staff, QF_ACT_CASE_READ, rec)) {
		c->status = 403;
		json_decref(rec);
		return QF_OK;
	}
	c->view = intake_case_view(c->in, t, rec, 1);
	/* staff read the notes as written (events carry them masked) */
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(c->view, "timeline"), i, e)
	{
		const char *cmd = json_string_value(json_object_get(e, "command_id"));
		json_t *cr = cmd ? intake_rec_get(c->in, t, c->in->db.cmds, cmd, strlen(cmd),
						  &intake_rec_cmd)
				 : NULL;
		json_t *notes = json_object_get(cr, "notes");
		if (json_object_size(notes))
			json_object_set(e, "staff_notes", notes);
		json_decref(cr);
	}
	if (json_object_get(rec, "feedback"))
		json_object_set(c->view, "feedback", json_object_get(rec, "feedback"));
	if (json_object_get(rec, "supplements")) /* the petitioner's, as written */
		json_object_set(c->view, "supplements", json_object_get(rec, "supplements"));
	static const char *const extra[] = {
	    "assignee", "owner",	   "entered_by",       "concerns_staff",
	    "parties",	"source_visit_id", "released_hold_id", "client",
	    "origin",	"replica",	   "transfer_count",   "has_contact",
	    "dispatched_from_id"};
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		json_t *x = json_object_get(rec, extra[i]);
		if (x)
			json_object_set(c->view, extra[i], x);
	}
	json_decref(rec);
	c->status = 200;
	return QF_OK;
}

json_t *intake_case_staff_view(struct intake *in, const struct qf_staff *s,
			       const char *case_id, int *status)
{
	struct case_read c = {in, case_id, s, NULL, 404};
	intake_read(in, s_case_read, &c);
	*status = c.status;
	return c.view;
}

void intake_h_case(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const struct qf_staff *s = qf_access_staff(r);
	struct case_read c = {in, qf_http_param(r, "id"), s, NULL, 0};
	intake_read(in, s_case_read, &c);
	if (c.status == 404)
		qf_http_reply_error(r, 404, "case_not_found", "没有这个案件", NULL);
	else if (c.status == 403)
		qf_http_reply_error(r, 403, "conflict_of_interest", "您无权查看这个案件",
				    NULL);
	else
		qf_http_reply_json(r, 200, c.view);
}

struct case_list {
	struct intake *in;
	const struct qf_staff *staff;
	const char *state, *building, *assignee, *category;
	long limit;
	json_t *items;
};

int intake_cases_each(struct intake *in, struct qf_txn *t, const struct qf_staff *s,
		      int (*fn)(void *arg, struct qf_txn *t, const json_t *rec), void *arg)
{
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), in->db.cases, &c))
		return QF_ERR_STORE;
	MDB_val k, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_LAST), stop = 0;
	while (rc == 0 && !stop) {
		json_t *rec = intake_rec_parse(in, t, &intake_rec_case, k.mv_data, k.mv_size,
					       v.mv_data, v.mv_size);
		if (rec && intake_may(in, s, QF_ACT_CASE_READ, rec))
			stop = fn(arg, t, rec);
		json_decref(rec);
		rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	}
	mdb_cursor_close(c);
	return QF_OK;
}

static int s_list_one(void *arg, struct qf_txn *t, const json_t *rec)
{
	struct case_list *l = arg;
#define MATCH(f, key)                                                                    \
	(!(f) || (json_string_value(json_object_get(rec, key)) &&                        \
		  !strcmp(json_string_value(json_object_get(rec, key)), (f))))
	if (MATCH(l->state, "state") && MATCH(l->building, "building") &&
	    MATCH(l->assignee, "assignee") && MATCH(l->category, "category"))
		json_array_append_new(l->items, intake_case_view(l->in, t, rec, 0));
#undef MATCH
	return (long)json_array_size(l->items) >= l->limit;
}

static int s_list(struct qf_txn *t, void *arg)
{
	struct case_list *l = arg;
	return intake_cases_each(l->in, t, l->staff, s_list_one, l);
}

void intake_h_cases(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const struct qf_staff *s = qf_access_staff(r);
	const char *lim = qf_http_query(r, "limit");
	long limit = lim ? strtol(lim, NULL, 10) : 50;
	if (limit < 1 || limit > 500) {
		qf_http_reply_error(r, 400, "out_of_range", "limit 必须在 1 到 500 之间",
				    "limit");
		return;
	}
	struct case_list l = {in,
			      s,
			      qf_http_query(r, "state"),
			      qf_http_query(r, "building"),
			      qf_http_query(r, "assignee"),
			      qf_http_query(r, "category"),
			      limit,
			      json_array()};
	intake_read(in, s_list, &l);
	qf_http_reply_json(r, 200, json_pack("{s:o}", "cases", l.items));
}

/* ------------------------------------------------------------ contact */

struct contact_job {
	struct qf_gc_job job;
	struct intake *in;
	struct qf_http_req *r;
	const struct qf_staff *staff;
	char case_id[40];
	char *reason;
	int64_t now;
	json_t *contact; /* opened in apply, released in done */
	struct intake_err err;
	intake_contact_page page; /* a staff page answers, or NULL (JSON) */
};

static int s_contact_apply(struct qf_txn *t, void *arg)
{
	struct contact_job *j = arg;
	struct intake *in = j->in;
	j->err.code = NULL;
	json_decref(j->contact);
	j->contact = NULL;
	json_t *rec = intake_case_get(in, t, j->case_id);
	if (!rec) {
		intake_err_set(&j->err, 404, "case_not_found", NULL, "没有这个案件");
		return QF_OK;
	}
	int ok = intake_may(in, j->staff, QF_ACT_CASE_CONTACT, rec);
	char bld[64];
	struct qf_privacy pc;
	intake_case_privacy(in, rec, &pc, bld, sizeof bld);
	json_decref(rec);
	if (!ok) {
		intake_err_set(&j->err, 403, "conflict_of_interest", NULL,
			       "您是本案的当事人或被反映人，不能查看诉求人的联系方式");
		return QF_OK;
	}
	if (!(j->contact = intake_contact_get(in, t, in->db.contact, j->case_id))) {
		intake_err_set(&j->err, 404, "no_contact", NULL,
			       "诉求人没有留下联系方式（匿名、由其他节点受理，或已按保存期限删除）");
		return QF_OK;
	}
	/* decided: record the view and its event */
	uint8_t key[40 + 8 + 40];
	size_t cl = strlen(j->case_id), sl = strlen(j->staff->id);
	if (sl > 40)
		sl = 40;
	memcpy(key, j->case_id, cl);
	qf_be64_put(key + cl, (uint64_t)j->now);
	memcpy(key + cl + 8, j->staff->id, sl);
	json_t *view =
	    json_pack("{s:o, s:s, s:I}", "actor", intake_actor_json(j->staff), "reason",
		      j->reason ? j->reason : "", "viewed_ms", (json_int_t)j->now);
	int rc = view ? intake_rec_put(in, t, in->db.views, key, cl + 8 + sl, &intake_rec_view,
				       j->case_id, 1, view)
		      : QF_ERR_NOMEM;
	json_decref(view);
	if (rc)
		return rc;
	Qingfeng__V1__ContactViewed m = QINGFENG__V1__CONTACT_VIEWED__INIT;
	Qingfeng__V1__Actor a = QINGFENG__V1__ACTOR__INIT;
	a.staff_id = j->staff->id;
	a.role = j->staff->role;
	a.name = j->staff->name;
	m.case_id = j->case_id;
	m.actor = &a;
	m.reason = (char *)(j->reason ? j->reason : ""); /* [private] */
	m.viewed_ms = j->now;
	return intake_emit(in, t, QINGFENG__V1__EVENT_TYPE__CONTACT_VIEWED, bld,
			   j->case_id, NULL, &m.base, &pc);
}

static void s_contact_free(struct contact_job *j)
{
	free(j->reason);
	json_decref(j->contact);
	free(j);
}

static void s_contact_done(void *arg, int rc)
{
	struct contact_job *j = arg;
	if (rc) {
		intake_err_set(&j->err, 503, "unavailable", NULL,
			       "暂时无法保存查看记录，请稍后重试");
		if (!j->page)
			intake_reply_err(j->r, &j->err);
	} else if (j->err.code) {
		if (!j->page)
			intake_reply_err(j->r, &j->err);
	} else {
		json_t *c = j->contact;
		char at[40];
		qf_time_fmt(j->now, intake_world_get(j->in)->community->utc_offset_min, at,
			    sizeof at);
		json_object_set_new(c, "case_id", json_string(j->case_id));
		json_object_set_new(c, "viewed_at", json_string(at));
		json_object_set_new(c, "notice",
				    json_string("本次查看已记录（查看人、时间、事由）"));
		qf_metric_inc(j->in->m.contact_views);
		qf_info("contact_viewed", "case=%s staff=%s", j->case_id, j->staff->id);
		if (!j->page) {
			j->contact = NULL;
			qf_http_add_header(j->r, "Cache-Control", "no-store");
			qf_http_reply_json(j->r, 200, c);
		}
	}
	if (j->page)
		j->page(j->in, j->r, j->case_id, j->err.code ? NULL : j->contact,
			j->err.code ? &j->err : NULL);
	s_contact_free(j);
}

static void s_contact_queue(struct intake *in, struct qf_http_req *r, struct contact_job *j)
{
	j->in = in;
	j->r = r;
	j->staff = qf_access_staff(r);
	j->now = qf_now_ms(in->clock);
	j->job.apply = s_contact_apply;
	j->job.done = s_contact_done;
	j->job.arg = j;
	if (intake_queue(in, r, &j->job))
		s_contact_free(j);
}

int intake_contact_start(struct intake *in, struct qf_http_req *r, const char *case_id,
			 char *reason, intake_contact_page page)
{
	struct contact_job *j = calloc(1, sizeof *j);
	if (!j || strlen(case_id) >= sizeof j->case_id) {
		free(j);
		free(reason);
		return j ? QF_ERR_NOTFOUND : QF_ERR_NOMEM;
	}
	snprintf(j->case_id, sizeof j->case_id, "%s", case_id);
	j->reason = reason;
	j->page = page;
	s_contact_queue(in, r, j);
	return QF_OK;
}

void intake_h_contact(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	struct contact_job *j = calloc(1, sizeof *j);
	if (!j) {
		qf_http_reply_error(r, 500, "internal", "内存不足", NULL);
		return;
	}
	struct intake_err e = {0};
	const char *id = qf_http_param(r, "id");
	if (strlen(id) >= sizeof j->case_id) {
		s_contact_free(j);
		qf_http_reply_error(r, 404, "case_not_found", "没有这个案件", NULL);
		return;
	}
	snprintf(j->case_id, sizeof j->case_id, "%s", id);
	if (!strcmp(qf_http_method(r), "POST")) {
		size_t bl;
		qf_http_body(r, &bl);
		if (bl) {
			json_t *obj = intake_body_json(r);
			if (!obj) {
				s_contact_free(j);
				return;
			}
			int bad =
			    intake_json_str(obj, "reason", 0, 200, 0, &j->reason, &e);
			json_decref(obj);
			if (bad) {
				s_contact_free(j);
				intake_reply_err(r, &e);
				return;
			}
		}
	} else if (qf_http_query(r, "reason")) {
		json_t *o = json_pack("{s:s}", "reason", qf_http_query(r, "reason"));
		int bad = !o || intake_json_str(o, "reason", 0, 200, 0, &j->reason, &e);
		json_decref(o);
		if (bad) {
			s_contact_free(j);
			if (!e.code)
				intake_err_set(&e, 400, "invalid_text", "reason",
					       "reason 不是有效文本");
			intake_reply_err(r, &e);
			return;
		}
	}
	if (!j->reason || !*j->reason) {
		s_contact_free(j);
		qf_http_reply_error(r, 400, "missing_field",
				    "查看诉求人的联系方式须说明理由（如：电话回访核实情况）",
				    "reason");
		return;
	}
	s_contact_queue(in, r, j);
}
