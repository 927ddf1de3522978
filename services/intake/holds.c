/* holds.c: the review queue of submissions the spam filter held: the
 * supervisor lists them, releases a false positive (it becomes a case as if
 * it had passed, keeping the tracking code and secret its petitioner was
 * given) or dismisses real spam. Either way the hold's own copy of the
 * texts, contact and photos, sealed under "hold:<id>", is forgotten: a
 * released petition lives on in its case.
 *
 * Design: a release is an ordinary submission (submit.c) whose check hook
 * re-reads the hold inside the transaction, so two reviewers releasing the
 * same hold at once make one case, and whose extra hook marks the hold and
 * emits SPAM_RELEASED in the same transaction as PETITION_SUBMITTED. */
#include "intake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_vault.h"


/* The holds database also keeps the dispatcher's queue (dispatch.c); the
 * spam review sees only its own entries. */
static int s_spam_entry(const char *status)
{
	return status && (!strcmp(status, "held") || !strcmp(status, "released") ||
			  !strcmp(status, "dismissed"));
}

struct hold_list {
	struct intake *in;
	const char *status;
	json_t *items;
};

static int s_list(struct qf_txn *t, void *arg)
{
	struct hold_list *l = arg;
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), l->in->db.holds, &c))
		return QF_ERR_STORE;
	MDB_val k, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	while (rc == 0 && json_array_size(l->items) < 500) {
		json_t *rec = intake_rec_parse(l->in, t, &intake_rec_hold, k.mv_data,
					       k.mv_size, v.mv_data, v.mv_size);
		json_object_del(rec, "private_gone");
		const char *st = json_string_value(json_object_get(rec, "status"));
		if (rec && s_spam_entry(st) &&
		    (!strcmp(l->status, "all") || !strcmp(st, l->status))) {
			json_object_del(rec, "secret_hash");
			char at[40];
			qf_time_fmt(json_integer_value(json_object_get(rec, "held_ms")),
				    intake_world_get(l->in)->community->utc_offset_min,
				    at, sizeof at);
			json_object_set_new(rec, "held_at", json_string(at));
			json_array_append(l->items, rec);
		}
		json_decref(rec);
		rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	}
	mdb_cursor_close(c);
	return QF_OK;
}

json_t *intake_holds_list(struct intake *in, const char *status)
{
	struct hold_list l = {in, status, json_array()};
	if (l.items)
		intake_read(in, s_list, &l);
	return l.items;
}

void intake_h_holds_get(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const char *st = qf_http_query(r, "status");
	if (!st)
		st = "held";
	if (strcmp(st, "held") && strcmp(st, "released") && strcmp(st, "dismissed") &&
	    strcmp(st, "all")) {
		qf_http_reply_error(r, 400, "invalid_status",
				    "status 必须是 held、released、dismissed 或 all",
				    "status");
		return;
	}
	qf_http_reply_json(r, 200, json_pack("{s:o}", "holds", intake_holds_list(in, st)));
}

/* ------------------------------------------------------------ release */

struct release {
	char hold_id[40];
	const struct qf_staff *actor;
	char *note;
};

static void s_release_free(void *arg)
{
	struct release *rl = arg;
	if (!rl)
		return;
	free(rl->note);
	free(rl);
}

static int s_check(struct qf_txn *t, struct intake_sub *s, struct intake_err *e)
{
	struct intake *in = intake_sub_intake(s);
	struct release *rl = intake_sub_extra_arg(s);
	json_t *h = intake_rec_get(in, t, in->db.holds, rl->hold_id, strlen(rl->hold_id),
				   &intake_rec_hold);
	const char *st = h ? json_string_value(json_object_get(h, "status")) : NULL;
	int ok = st && !strcmp(st, "held");
	json_decref(h);
	if (!ok) {
		intake_err_set(e, 409, "not_held", NULL,
			       "这条记录已经审核过（已放行或已驳回）");
		return 1;
	}
	return 0;
}

/* Forget a reviewed hold's texts, contact and photos (its readable members
 * stay: status, reviewer, the case it became). h is the hold as read. */
int intake_hold_forget(struct intake *in, struct qf_txn *t, const char *hold_id,
		       json_t *h)
{
	char subject[48];
	intake_media_subject(hold_id, subject, sizeof subject);
	size_t i;
	json_t *m;
	int rc;
	json_array_foreach(json_object_get(json_object_get(h, "petition"), "media"), i, m)
	{
		const char *sha = json_string_value(json_object_get(m, "sha256"));
		if (sha && (rc = intake_media_del(in, t, sha, hold_id)))
			return rc;
	}
	rc = qf_txn_del(t, in->db.hold_contact, hold_id, strlen(hold_id));
	if (rc && rc != QF_ERR_NOTFOUND)
		return rc;
	if ((rc = qf_vault_forget(in->vault, t, subject)))
		return rc;
	return intake_rec_put(in, t, in->db.holds, hold_id, strlen(hold_id), &intake_rec_hold,
			      subject, 1, h);
}

static int s_extra(struct qf_txn *t, struct intake_sub *s)
{
	struct intake *in = intake_sub_intake(s);
	struct release *rl = intake_sub_extra_arg(s);
	json_t *h = intake_rec_get(in, t, in->db.holds, rl->hold_id, strlen(rl->hold_id),
				   &intake_rec_hold);
	if (!h)
		return QF_ERR_NOTFOUND;
	int64_t now = qf_now_ms(in->clock);
	json_object_set_new(h, "status", json_string("released"));
	json_object_set_new(h, "case_id", json_string(intake_sub_case_id(s)));
	json_object_set_new(h, "reviewed_by", intake_actor_json(rl->actor));
	json_object_set_new(h, "reviewed_ms", json_integer(now));
	if (rl->note)
		json_object_set_new(h, "review_note", json_string(rl->note));
	int rc = intake_spam_review_count(in, t, h, 1);
	if (!rc)
		rc = intake_hold_forget(in, t, rl->hold_id, h);
	json_decref(h);
	if (rc)
		return rc;
	Qingfeng__V1__SpamReleased m = QINGFENG__V1__SPAM_RELEASED__INIT;
	Qingfeng__V1__Actor a = QINGFENG__V1__ACTOR__INIT;
	a.staff_id = rl->actor->id;
	a.role = rl->actor->role;
	a.name = rl->actor->name;
	m.hold_id = rl->hold_id;
	m.actor = &a;
	m.case_id = (char *)intake_sub_case_id(s);
	json_t *rec = intake_case_get(in, t, intake_sub_case_id(s));
	char bld[64];
	struct qf_privacy pc;
	intake_case_privacy(in, rec, &pc, bld, sizeof bld);
	json_decref(rec);
	qf_metric_inc(in->m.released);
	return intake_emit(in, t, QINGFENG__V1__EVENT_TYPE__SPAM_RELEASED, bld,
			   intake_sub_case_id(s), NULL, &m.base, &pc);
}

struct hold_read {
	struct intake *in;
	const char *id;
	json_t *rec;
	json_t *contact;
};

static int s_hold_read(struct qf_txn *t, void *arg)
{
	struct hold_read *h = arg;
	h->rec = intake_rec_get(h->in, t, h->in->db.holds, h->id, strlen(h->id),
				&intake_rec_hold);
	if (h->rec)
		h->contact = intake_contact_get(h->in, t, h->in->db.hold_contact, h->id);
	return QF_OK;
}

void intake_hold_read(struct intake *in, const char *id, json_t **rec, json_t **contact)
{
	struct hold_read h = {in, id, NULL, NULL};
	if (strlen(id) < 40)
		intake_read(in, s_hold_read, &h);
	*rec = h.rec;
	*contact = h.contact;
}

int intake_hold_petition(struct intake *in, const json_t *rec, const json_t *contact,
			 const char *building, struct intake_petition *p,
			 struct intake_err *e)
{
	json_t *pet = json_deep_copy(json_object_get(rec, "petition"));
	if (!pet)
		return intake_err_set(e, 500, "internal", NULL, "内存不足");
	if (building)
		json_object_set_new(pet, "building", json_string(building));
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)contact, k, v)
	{
		if (json_string_length(v))
			json_object_set(pet, k, v);
	}
	const struct intake_world *w = intake_world_get(in);
	struct intake_petition_opts po = {w->community, (unsigned)in->conf->max_media,
					  (uint64_t)in->conf->max_media_bytes, 1,
					  (double)in->conf->locate_within_m};
	/* fails when the community changed since (a category or building
	   removed) */
	int rc = intake_petition_decode(pet, NULL, 0, &po, p, e);
	json_decref(pet);
	return rc;
}

void intake_hold_submit(struct intake *in, struct qf_http_req *r, const json_t *rec,
			struct intake_petition *p, struct intake_sub_opts *so)
{
	const char *client = json_string_value(json_object_get(rec, "client"));
	so->fmt = INTAKE_FMT_NATIVE;
	so->client = client ? client : "native";
	so->skip_spam = 1;
	so->skip_limits = 1;
	so->keep_code = json_string_value(json_object_get(rec, "code"));
	so->keep_secret_hash = json_string_value(json_object_get(rec, "secret_hash"));
	intake_submit(in, r, p, so);
}

int intake_hold_release_start(struct intake *in, struct qf_http_req *r, const char *id,
			      const json_t *body, struct intake_sub_opts *page,
			      struct intake_err *e)
{
	const struct qf_staff *s = qf_access_staff(r);
	json_t *rec, *contact;
	int ret = -1;
	intake_hold_read(in, id, &rec, &contact);
	const char *hst = json_string_value(json_object_get(rec, "status"));
	struct release *rl = NULL;
	char *bld = NULL;
	if (!s_spam_entry(hst)) {
		intake_err_set(e, 404, "hold_not_found", NULL, "没有这条待审核记录");
		goto out;
	}
	if (!hst || strcmp(hst, "held")) {
		intake_err_set(e, 409, "not_held", NULL,
			       "这条记录已经审核过（已放行或已驳回）");
		goto out;
	}
	if (!(rl = calloc(1, sizeof *rl))) {
		intake_err_set(e, 500, "internal", NULL, "内存不足");
		goto out;
	}
	struct intake_petition p;
	if (intake_json_str(body, "note", 0, 500, 1, &rl->note, e) ||
	    intake_json_str(body, "building", 0, 64, 0, &bld, e) ||
	    intake_hold_petition(in, rec, contact, bld, &p, e))
		goto out;
	if (p.located_by == INTAKE_UNLOCATED) {
		intake_petition_free(&p);
		intake_err_set(e, 422, "building_required", "building",
			       "这条诉求没有楼栋，放行时请指定楼栋（building）");
		goto out;
	}
	snprintf(rl->hold_id, sizeof rl->hold_id, "%s", id);
	rl->actor = s;
	struct intake_sub_opts so = {
	    .released_hold_id = rl->hold_id,
	    .check = s_check,
	    .extra = s_extra,
	    .extra_arg = rl,
	    .extra_free = s_release_free,
	};
	if (page) {
		so.reply = page->reply;
		so.reply_arg = page->reply_arg;
	}
	qf_info("spam_release", "hold=%s staff=%s", id, s->id);
	intake_hold_submit(in, r, rec, &p, &so);
	rl = NULL; /* owned by the submission now */
	ret = 0;
out:
	free(bld);
	s_release_free(rl);
	json_decref(rec);
	json_decref(contact);
	return ret;
}

void intake_h_hold_release(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	size_t bl;
	qf_http_body(r, &bl);
	json_t *body = bl ? intake_body_json(r) : json_object();
	if (!body)
		return;
	struct intake_err e = {0};
	if (intake_hold_release_start(in, r, qf_http_param(r, "id"), body, NULL, &e))
		intake_reply_err(r, &e);
	json_decref(body);
}

/* ------------------------------------------------------------ dismiss */

struct dismiss_job {
	struct qf_gc_job job;
	struct intake *in;
	struct qf_http_req *r;
	const struct qf_staff *actor;
	char hold_id[40];
	char *note;
	struct intake_err err;
	intake_hold_page page; /* a staff page answers, or NULL (JSON) */
};

static int s_dismiss_apply(struct qf_txn *t, void *arg)
{
	struct dismiss_job *j = arg;
	struct intake *in = j->in;
	j->err.code = NULL;
	json_t *h = intake_rec_get(in, t, in->db.holds, j->hold_id, strlen(j->hold_id),
				   &intake_rec_hold);
	const char *st = json_string_value(json_object_get(h, "status"));
	if (!s_spam_entry(st)) {
		json_decref(h);
		intake_err_set(&j->err, 404, "hold_not_found", NULL,
			       "没有这条待审核记录");
		return QF_OK;
	}
	if (!st || strcmp(st, "held")) {
		json_decref(h);
		intake_err_set(&j->err, 409, "not_held", NULL, "这条记录已经审核过");
		return QF_OK;
	}
	json_object_set_new(h, "status", json_string("dismissed"));
	json_object_set_new(h, "reviewed_by", intake_actor_json(j->actor));
	json_object_set_new(h, "reviewed_ms", json_integer(qf_now_ms(in->clock)));
	if (j->note)
		json_object_set_new(h, "review_note", json_string(j->note));
	int rc = intake_spam_review_count(in, t, h, 0);
	if (!rc)
		rc = intake_hold_forget(in, t, j->hold_id, h);
	json_decref(h);
	return rc;
}

static void s_dismiss_done(void *arg, int rc)
{
	struct dismiss_job *j = arg;
	if (!rc && !j->err.code)
		qf_info("spam_dismissed", "hold=%s staff=%s", j->hold_id, j->actor->id);
	if (j->page) {
		if (rc)
			intake_err_set(&j->err, 503, "unavailable", NULL,
				       "暂时无法保存，请稍后重试");
		j->page(j->in, j->r, j->hold_id, j->err.code ? &j->err : NULL);
	} else if (rc)
		qf_http_reply_error(j->r, 503, "unavailable", "暂时无法保存，请稍后重试",
				    NULL);
	else if (j->err.code)
		intake_reply_err(j->r, &j->err);
	else
		qf_http_reply_json(j->r, 200,
				   json_pack("{s:s, s:s}", "hold_id", j->hold_id,
					     "status", "dismissed"));
	free(j->note);
	free(j);
}

int intake_hold_dismiss_start(struct intake *in, struct qf_http_req *r, const char *id,
			      const json_t *body, intake_hold_page page, struct intake_err *e)
{
	if (strlen(id) >= 40)
		return intake_err_set(e, 404, "hold_not_found", NULL, "没有这条待审核记录");
	struct dismiss_job *j = calloc(1, sizeof *j);
	if (!j)
		return intake_err_set(e, 500, "internal", NULL, "内存不足");
	if (body && intake_json_str(body, "note", 0, 500, 1, &j->note, e)) {
		free(j);
		return -1;
	}
	snprintf(j->hold_id, sizeof j->hold_id, "%s", id);
	j->in = in;
	j->r = r;
	j->actor = qf_access_staff(r);
	j->page = page;
	j->job.apply = s_dismiss_apply;
	j->job.done = s_dismiss_done;
	j->job.arg = j;
	if (intake_queue(in, r, &j->job)) {
		free(j->note);
		free(j);
	}
	return 0;
}

void intake_h_hold_dismiss(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	size_t bl;
	qf_http_body(r, &bl);
	json_t *body = bl ? intake_body_json(r) : NULL;
	if (bl && !body)
		return;
	struct intake_err e = {0};
	if (intake_hold_dismiss_start(in, r, qf_http_param(r, "id"), body, NULL, &e))
		intake_reply_err(r, &e);
	json_decref(body);
}
