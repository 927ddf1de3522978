/* dispatch.c: the dispatcher's queue of petitions without a building.
 *
 * A resident who could not name the building (no building id, coordinates
 * outside every footprint and far from every building, an address that
 * names none) is never refused: submit.c keeps the petition in the holds
 * database with status "unlocated" and answers 201 with its tracking code.
 * The secretary (action dispatch.assign) lists the queue and assigns the
 * building; only then does the petition become a case and its
 * PETITION_SUBMITTED event go out, so the router, which routes by building,
 * never sees a case without one.
 *
 * Design: an assignment is an ordinary submission (submit.c), as a spam
 * release is (holds.c): its check hook re-reads the queue entry inside the
 * transaction, so two dispatchers assigning at once make one case, and its
 * extra hook marks the entry dispatched (the case id it became: the Open311
 * token answers it) and forgets the entry's own sealed copy. */
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_log.h"

#define UNLOCATED "unlocated"

/* ------------------------------------------------------------ list */

struct queue {
	struct intake *in;
	json_t *items;
};

static int s_list(struct qf_txn *t, void *arg)
{
	struct queue *q = arg;
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), q->in->db.holds, &c))
		return QF_ERR_STORE;
	MDB_val k, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0 && json_array_size(q->items) < 500) {
		json_t *rec = intake_rec_parse(q->in, t, &intake_rec_hold, k.mv_data,
					       k.mv_size, v.mv_data, v.mv_size);
		const char *st = json_string_value(json_object_get(rec, "status"));
		if (st && !strcmp(st, UNLOCATED)) {
			json_t *p = json_object_get(rec, "petition");
			char at[40];
			qf_time_fmt(json_integer_value(json_object_get(rec, "held_ms")),
				    intake_world_get(q->in)->community->utc_offset_min,
				    at, sizeof at);
			json_t *o = json_pack(
			    "{s:O, s:O, s:s, s:O, s:O, s:O, s:O}", "dispatch_id",
			    json_object_get(rec, "hold_id"), "tracking_code",
			    json_object_get(rec, "code"), "received_at", at, "category",
			    json_object_get(p, "category"), "address",
			    json_object_get(p, "address"), "description",
			    json_object_get(p, "description"), "channel",
			    json_object_get(p, "channel"));
			if (o && json_object_get(p, "lat")) {
				json_object_set(o, "lat", json_object_get(p, "lat"));
				json_object_set(o, "lng", json_object_get(p, "lng"));
			}
			if (o)
				json_array_append_new(q->items, o);
		}
		json_decref(rec);
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return QF_OK;
}

void intake_h_dispatch_list(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	struct queue q = {in, json_array()};
	intake_read(in, s_list, &q);
	qf_http_reply_json(r, 200, json_pack("{s:o}", "dispatch", q.items));
}

/* ------------------------------------------------------------ assign */

struct assign {
	char id[40];
	const struct qf_staff *actor;
	char *note;
};

static void s_assign_free(void *arg)
{
	struct assign *a = arg;
	if (!a)
		return;
	free(a->note);
	free(a);
}

static int s_check(struct qf_txn *t, struct intake_sub *s, struct intake_err *e)
{
	struct intake *in = intake_sub_intake(s);
	struct assign *a = intake_sub_extra_arg(s);
	json_t *h =
	    intake_rec_get(in, t, in->db.holds, a->id, strlen(a->id), &intake_rec_hold);
	const char *st = h ? json_string_value(json_object_get(h, "status")) : NULL;
	int ok = st && !strcmp(st, UNLOCATED);
	json_decref(h);
	if (!ok) {
		intake_err_set(e, 409, "already_dispatched", NULL, "这条诉求已经分派过");
		return 1;
	}
	return 0;
}

static int s_extra(struct qf_txn *t, struct intake_sub *s)
{
	struct intake *in = intake_sub_intake(s);
	struct assign *a = intake_sub_extra_arg(s);
	json_t *h =
	    intake_rec_get(in, t, in->db.holds, a->id, strlen(a->id), &intake_rec_hold);
	if (!h)
		return QF_ERR_NOTFOUND;
	json_object_set_new(h, "status", json_string("dispatched"));
	json_object_set_new(h, "case_id", json_string(intake_sub_case_id(s)));
	json_object_set_new(h, "reviewed_by", intake_actor_json(a->actor));
	json_object_set_new(h, "reviewed_ms", json_integer(qf_now_ms(in->clock)));
	if (a->note)
		json_object_set_new(h, "review_note", json_string(a->note));
	int rc = intake_hold_forget(in, t, a->id, h);
	json_decref(h);
	return rc;
}

void intake_h_dispatch_assign(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const struct qf_staff *staff = qf_access_staff(r);
	const char *id = qf_http_param(r, "id");
	struct intake_err e = {0};
	struct assign *a = NULL;
	json_t *body = NULL, *rec, *contact;
	char *bld = NULL;
	intake_hold_read(in, id, &rec, &contact);
	const char *st = json_string_value(json_object_get(rec, "status"));
	if (!st || (strcmp(st, UNLOCATED) && strcmp(st, "dispatched"))) {
		qf_http_reply_error(r, 404, "dispatch_not_found", "没有这条待分派的诉求",
				    NULL);
		goto out;
	}
	if (strcmp(st, UNLOCATED)) {
		qf_http_reply_error(r, 409, "already_dispatched", "这条诉求已经分派过",
				    NULL);
		goto out;
	}
	if (!(body = intake_body_json(r)))
		goto out;
	if (!(a = calloc(1, sizeof *a))) {
		qf_http_reply_error(r, 500, "internal", "内存不足", NULL);
		goto out;
	}
	struct intake_petition p;
	if (intake_json_str(body, "building", 1, 64, 0, &bld, &e) ||
	    intake_json_str(body, "note", 0, 500, 1, &a->note, &e) ||
	    intake_hold_petition(in, rec, contact, bld, &p, &e)) {
		intake_reply_err(r, &e); /* unknown_building among them */
		goto out;
	}
	snprintf(a->id, sizeof a->id, "%s", id);
	a->actor = staff;
	struct intake_sub_opts so = {
	    .dispatched_from_id = a->id,
	    /* the resident waited for no one: deadlines count from receipt */
	    .received_ms = json_integer_value(json_object_get(rec, "held_ms")),
	    .check = s_check,
	    .extra = s_extra,
	    .extra_arg = a,
	    .extra_free = s_assign_free,
	};
	qf_info("dispatch_assign", "dispatch=%s building=%s staff=%s", id, bld,
		staff->id);
	intake_hold_submit(in, r, rec, &p, &so);
	a = NULL; /* owned by the submission now */
out:
	s_assign_free(a);
	free(bld);
	json_decref(body);
	json_decref(rec);
	json_decref(contact);
}
