/* track.c: the petitioner's side after submitting: following a case with
 * its tracking code and secret, their receipts, and giving feedback once it
 * is resolved.
 *
 * A receipt lets a petitioner check the public log without trusting us: the
 * event's id (audit finds its leaf by it) and the opening of the envelope's
 * private commitment (the nonce and the whole payload), read from intake's
 * outbox, so it is byte for byte what was committed.
 *
 * Design: the secret travels only in a header (X-Tracking-Secret) or a POST
 * body, never in a URL (URLs end up in logs and browser history); intake
 * stores only its BLAKE2b hash and compares in constant time. An unknown
 * code and a wrong secret get the same 404, and lookups are rate-limited
 * per client address, so codes cannot be probed. */
#include "intake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"
#include "ratelimit.h"

/* Normalise a typed tracking code ("lsj-a1b2c3" -> "LSJ-A1B2C3"). */
int intake_track_code_norm(const char *in, char *out, size_t n)
{
	size_t l = strlen(in);
	if (l < 3 || l >= n || l > 24)
		return -1;
	const char *dash = strchr(in, '-');
	if (!dash)
		return -1;
	size_t pl = (size_t)(dash - in);
	for (size_t i = 0; i < pl; i++) {
		char c = in[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return -1;
		out[i] = c;
	}
	out[pl] = '-';
	snprintf(out + pl + 1, n - pl - 1, "%s", dash + 1);
	return intake_crockford_norm(out + pl + 1);
}

int intake_track_secret_ok(const char *typed, const char *hash_hex)
{
	char s[64];
	size_t k = 0;
	if (!typed || !hash_hex || strlen(hash_hex) != 64)
		return 0;
	for (const char *p = typed; *p && k < sizeof s - 1; p++)
		if (*p != ' ' && *p != '-')
			s[k++] = *p;
	s[k] = '\0';
	if (k != 20 || intake_crockford_norm(s))
		return 0;
	uint8_t h[32], want[32];
	crypto_generichash(h, sizeof h, (const uint8_t *)s, k, NULL, 0);
	if (qf_unhex(hash_hex, want, 32))
		return 0;
	return sodium_memcmp(h, want, 32) == 0;
}

static void s_time(struct intake *in, json_t *o, const char *key, int64_t ms)
{
	if (ms <= 0)
		return;
	char b[40];
	qf_time_fmt(ms, intake_world_get(in)->community->utc_offset_min, b, sizeof b);
	json_object_set_new(o, key, json_string(b));
}

const char *intake_state_text(const char *st)
{
	static const struct {
		const char *k, *v;
	} t[] = {{"submitted", "已提交，等待派单"},
		 {"assigned", "已派单，等待受理"},
		 {"accepted", "已受理"},
		 {"in_progress", "办理中"},
		 {"resolved", "已办结，请评价"},
		 {"closed", "已结案"},
		 {"rejected", "不予受理"},
		 {"reopened", "重新办理中"},
		 {"merged", "已合并到其他案件"},
		 {"held_for_review", "待审核"},
		 {"awaiting_dispatch", "已收到，正在确认所在楼栋后分派"},
		 {"dismissed", "经审核认定为广告或虚假信息"}};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!strcmp(t[i].k, st))
			return t[i].v;
	return "";
}

/* ------------------------------------------------------------ receipts */

json_t *intake_receipt(struct intake *in, struct qf_txn *t, const char *case_id,
		       const json_t *pos)
{
	json_int_t part = json_integer_value(json_object_get(pos, "partition"));
	json_int_t seq = json_integer_value(json_object_get(pos, "seq"));
	const char *type = json_string_value(json_object_get(pos, "type"));
	const char *eid = json_string_value(json_object_get(pos, "event_id"));
	json_t *r = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "case_id", case_id,
			      "producer", qf_bus_producer_name(in->prod), "type",
			      type ? type : "", "partition", part, "seq", seq, "event_id",
			      eid ? eid : "");
	MDB_val v;
	Qingfeng__V1__Envelope *env = NULL;
	if (!r || part < 0 || seq < 1 ||
	    qf_bus_outbox_get(in->prod, t, (uint32_t)part, (uint64_t)seq, &v) ||
	    !(env = qf_bus_decode(v.mv_data, v.mv_size))) {
		if (r) /* no longer retained by the outbox (bus.retain) */
			json_object_set_new(r, "available", json_false());
		return r;
	}
	char hex[65];
	if (env->private_commitment.len == 32)
		json_object_set_new(r, "commitment",
				    json_string(qf_hex(env->private_commitment.data, 32,
						       hex)));
	qingfeng__v1__envelope__free_unpacked(env, NULL);
	uint8_t *pp = NULL;
	size_t ppl = 0;
	int rc = qf_bus_outbox_private(in->prod, t, (uint32_t)part, (uint64_t)seq, &pp, &ppl);
	const uint8_t *nonce, *payload;
	size_t pl;
	if (rc == QF_ERR_GONE) {
		json_object_set_new(r, "private_expired", json_true());
	} else if (rc == QF_OK && !qf_bus_private_parse(pp, ppl, &nonce, &payload, &pl)) {
		size_t bl = sodium_base64_ENCODED_LEN(pl, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = malloc(bl);
		if (b64) {
			sodium_bin2base64(b64, bl, payload, pl, sodium_base64_VARIANT_ORIGINAL);
			json_object_set_new(r, "nonce", json_string(qf_hex(nonce, 32, hex)));
			json_object_set_new(r, "private", json_string(b64));
			sodium_memzero(b64, bl);
			free(b64);
		}
	} /* QF_ERR_NOTFOUND: all of the event is public, the leaf is the whole */
	if (pp) {
		sodium_memzero(pp, ppl);
		free(pp);
	}
	return r;
}

json_t *intake_receipts(struct intake *in, struct qf_txn *t, const json_t *rec)
{
	json_t *out = json_array();
	const char *id = json_string_value(json_object_get(rec, "id"));
	size_t i;
	json_t *pos;
	json_array_foreach(json_object_get(rec, "events"), i, pos)
	{
		json_t *r = intake_receipt(in, t, id ? id : "", pos);
		if (r)
			json_array_append_new(out, r);
	}
	return out;
}

/* ------------------------------------------------------------ follow */

/* The view a petitioner (or staff) sees: no contact details, no secret. */
json_t *intake_case_view(struct intake *in, struct qf_txn *t, const json_t *rec,
			 int with_timeline)
{
	const struct qf_community *c = intake_world_get(in)->community;
	const char *cat = json_string_value(json_object_get(rec, "category"));
	const char *bld = json_string_value(json_object_get(rec, "building"));
	const char *st = json_string_value(json_object_get(rec, "state"));
	const struct qf_category *cc = cat ? qf_community_category(c, cat) : NULL;
	const struct qf_building *bb = bld ? qf_community_building(c, bld) : NULL;
	json_t *v = json_object();
	static const char *const copy[] = {
	    "id",	   "code",	  "category",	    "building",	    "address",
	    "description", "channel",	  "state",	    "status_notes", "merged_into",
	    "priority",	   "anonymous",	  "consent_public", "media",	    "lat",
	    "lng",	   "name_masked", "phone_masked"};
	for (size_t i = 0; i < sizeof copy / sizeof copy[0]; i++) {
		json_t *x = json_object_get(rec, copy[i]);
		if (x)
			json_object_set(v,
					!strcmp(copy[i], "id")	    ? "case_id"
					: !strcmp(copy[i], "code")  ? "tracking_code"
					: !strcmp(copy[i], "state") ? "status"
								    : copy[i],
					x);
	}
	json_object_set_new(v, "status_text",
			    json_string(intake_state_text(st ? st : "")));
	if (cc)
		json_object_set_new(v, "category_name", json_string(cc->name));
	if (bb)
		json_object_set_new(v, "building_name", json_string(bb->name));
	s_time(in, v, "submitted_at",
	       json_integer_value(json_object_get(rec, "submitted_ms")));
	s_time(in, v, "updated_at",
	       json_integer_value(json_object_get(rec, "updated_ms")));
	const char *an = json_string_value(json_object_get(rec, "assignee_name"));
	if (an) {
		const char *ap = json_string_value(json_object_get(rec, "assignee_post"));
		json_object_set_new(
		    v, "handler",
		    json_pack("{s:s, s:s}", "name", an, "post", ap ? ap : ""));
	}
	json_t *dl = json_object();
	s_time(in, dl, "respond_due_at",
	       json_integer_value(json_object_get(rec, "respond_due_ms")));
	s_time(in, dl, "resolve_due_at",
	       json_integer_value(json_object_get(rec, "resolve_due_ms")));
	json_object_set_new(v, "deadlines", dl);
	json_int_t rn = json_integer_value(json_object_get(rec, "resolved_n"));
	json_int_t fn = json_integer_value(json_object_get(rec, "feedback_n"));
	json_object_set_new(v, "can_give_feedback",
			    json_boolean(st && !strcmp(st, "resolved") && fn < rn));
	json_object_set_new(v, "can_supplement", json_boolean(intake_supplement_open(st)));
	if (intake_case_forgotten(rec)) {
		json_object_set_new(v, "personal_data_deleted", json_true());
		json_object_set_new(v, "notice", json_string("个人信息已按保存期限删除"));
		s_time(in, v, "deleted_at",
		       json_integer_value(json_object_get(rec, "expired_ms")));
	}
	if (with_timeline && t) {
		const char *id = json_string_value(json_object_get(rec, "id"));
		json_t *tl = json_array();
		json_int_t sub = json_integer_value(json_object_get(rec, "submitted_ms"));
		if (sub) {
			json_t *first = json_pack("{s:s, s:I, s:s}", "event", "submitted",
						  "at_ms", sub, "note", "诉求已提交");
			s_time(in, first, "at", sub);
			json_array_append_new(tl, first);
		}
		json_t *rest = intake_timeline_get(in, t, id ? id : "");
		size_t i;
		json_t *e;
		json_array_foreach(rest, i, e)
		{
			s_time(in, e, "at",
			       json_integer_value(json_object_get(e, "at_ms")));
			const char *to = json_string_value(json_object_get(e, "to"));
			if (to && *intake_state_text(to))
				json_object_set_new(e, "status_text",
						    json_string(intake_state_text(to)));
			json_array_append(tl, e);
		}
		json_decref(rest);
		json_object_set_new(v, "timeline", tl);
	}
	return v;
}

struct follow {
	struct intake *in;
	char code[32];
	const char *secret;
	json_t *view;
	int found; /* 1: shown; 0: unknown or wrong secret */
};

static json_t *s_hold_view(struct intake *in, struct qf_txn *t, const char *hold_id,
			   const char *secret, const char *code)
{
	json_t *h = intake_rec_get(in, t, in->db.holds, hold_id, strlen(hold_id),
				   &intake_rec_hold);
	if (!h)
		return NULL;
	if (!intake_track_secret_ok(secret, json_string_value(json_object_get(h, "secret_hash")))) {
		json_decref(h);
		return NULL;
	}
	const char *st = json_string_value(json_object_get(h, "status"));
	const char *status = st && !strcmp(st, "dismissed")   ? "dismissed"
			     : st && !strcmp(st, "unlocated") ? "awaiting_dispatch"
							      : "held_for_review";
	json_t *v = json_pack("{s:s, s:s, s:s}", "tracking_code", code, "status", status,
			      "status_text", intake_state_text(status));
	s_time(in, v, "submitted_at", json_integer_value(json_object_get(h, "held_ms")));
	json_decref(h);
	return v;
}

static int s_follow(struct qf_txn *t, void *arg)
{
	struct follow *f = arg;
	char target[64];
	if (intake_code_get(f->in, t, f->code, target, sizeof target))
		return QF_OK;
	if (target[0] == 'H') {
		f->view = s_hold_view(f->in, t, target, f->secret, f->code);
		f->found = f->view != NULL;
		return QF_OK;
	}
	json_t *rec = intake_case_get(f->in, t, target);
	if (!rec)
		return QF_OK;
	if (intake_track_secret_ok(f->secret,
			json_string_value(json_object_get(rec, "secret_hash")))) {
		f->view = intake_case_view(f->in, t, rec, 1);
		/* the petitioner sees who looked at their contact, when and why */
		const char *cid = json_string_value(json_object_get(rec, "id"));
		json_object_set_new(f->view, "contact_views",
				    intake_contact_views(f->in, t, cid ? cid : ""));
		json_object_set_new(f->view, "receipts", intake_receipts(f->in, t, rec));
		f->found = 1;
	}
	json_decref(rec);
	return QF_OK;
}

static void s_follow_reply(struct intake *in, struct qf_http_req *r, const char *code,
			   const char *secret)
{
	char addr[64];
	if (intake_client_addr(in, r, addr, sizeof addr) ||
	    intake_limit(in, r, in->lim_follow, addr, strlen(addr), "follow"))
		return;
	if (!secret || !*secret) {
		qf_http_reply_error(r, 401, "missing_secret",
				    "需要查询密钥（请求头 X-Tracking-Secret）",
				    "X-Tracking-Secret");
		return;
	}
	json_t *view = NULL;
	if (intake_track_view(in, code, secret, &view) != 1) {
		qf_http_reply_error(r, 404, "not_found", "查询码或密钥不正确", NULL);
		return;
	}
	qf_http_add_header(r, "Cache-Control", "no-store");
	qf_http_reply_json(r, 200, view);
}

int intake_track_view(struct intake *in, const char *code, const char *secret,
		      json_t **view)
{
	struct follow f = {in, "", secret, NULL, 0};
	*view = NULL;
	if (!code || intake_track_code_norm(code, f.code, sizeof f.code))
		return -1;
	intake_read(in, s_follow, &f);
	if (!f.found)
		return 0;
	*view = f.view;
	return 1;
}

void intake_h_track_get(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	if (qf_http_query(r, "secret")) {
		qf_http_reply_error(
		    r, 400, "secret_in_url",
		    "查询密钥不能放在网址中，请使用请求头 X-Tracking-Secret", "secret");
		return;
	}
	s_follow_reply(in, r, qf_http_param(r, "code"),
		       qf_http_header(r, "X-Tracking-Secret"));
}

void intake_h_track_post(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	json_t *obj = intake_body_json(r);
	if (!obj)
		return;
	const char *code = json_string_value(json_object_get(obj, "tracking_code"));
	const char *secret = json_string_value(json_object_get(obj, "secret"));
	if (!code) {
		json_decref(obj);
		qf_http_reply_error(r, 400, "missing_field", "缺少必填项 tracking_code",
				    "tracking_code");
		return;
	}
	s_follow_reply(in, r, code, secret);
	json_decref(obj);
}

/* ------------------------------------------------------------ feedback */

json_t *intake_track_case(struct intake *in, struct qf_txn *t, const char *code,
			  const char *secret, char *case_id, size_t n, struct intake_err *e)
{
	char target[64];
	json_t *rec = NULL;
	if (intake_code_get(in, t, code, target, sizeof target) || target[0] != 'C' ||
	    !(rec = intake_case_get(in, t, target)) ||
	    !intake_track_secret_ok(secret,
				    json_string_value(json_object_get(rec, "secret_hash")))) {
		json_decref(rec);
		intake_err_set(e, 404, "not_found", NULL, "查询码或密钥不正确");
		return NULL;
	}
	snprintf(case_id, n, "%s", target);
	return rec;
}

struct fb_job {
	struct qf_gc_job job;
	struct intake *in;
	struct qf_http_req *r;
	char code[32];
	char secret[64];
	unsigned rating;
	char *comment;
	char case_id[40];
	char cmd[QF_ID_LEN + 2];
	int64_t now;
	struct intake_err err;
	intake_feedback_done done; /* or NULL: wait for the router's verdict */
	void *done_arg;
};

static int s_fb_apply(struct qf_txn *t, void *arg)
{
	struct fb_job *j = arg;
	struct intake *in = j->in;
	j->err.code = NULL;
	json_t *rec =
	    intake_track_case(in, t, j->code, j->secret, j->case_id, sizeof j->case_id, &j->err);
	if (!rec)
		return QF_OK;
	const char *st = json_string_value(json_object_get(rec, "state"));
	json_int_t rn = json_integer_value(json_object_get(rec, "resolved_n"));
	json_int_t fn = json_integer_value(json_object_get(rec, "feedback_n"));
	if (!st || strcmp(st, "resolved")) {
		json_decref(rec);
		intake_err_set(&j->err, 409, "not_resolved", NULL, "案件办结后才能评价");
		return QF_OK;
	}
	if (fn >= rn) {
		json_decref(rec);
		intake_err_set(&j->err, 409, "already_rated", NULL,
			       "本次办理结果已经评价过");
		return QF_OK;
	}
	/* decided: write */
	json_object_set_new(rec, "feedback_n", json_integer(rn));
	char bld[64];
	struct qf_privacy pc;
	struct intake_mask mask;
	intake_case_privacy(in, rec, &pc, bld, sizeof bld);
	intake_mask_case(in, t, rec, &mask);
	pc.mask = &mask.mo;
	/* the comment as written stays here, sealed with the case; the event
	   carries it masked with the case's names */
	json_t *fb = json_object_get(rec, "feedback");
	if (!json_is_array(fb))
		json_object_set_new(rec, "feedback", fb = json_array());
	json_array_append_new(fb, json_pack("{s:i, s:s, s:I}", "rating", (int)j->rating,
					    "comment", j->comment ? j->comment : "",
					    "given_ms", (json_int_t)j->now));
	char *comment = intake_mask_text(&mask, j->comment);
	if (!comment) {
		json_decref(rec);
		return QF_ERR_NOMEM;
	}
	intake_mask_save(&mask, rec);
	int rc;
	qf_id_sortable(j->now, j->cmd + 1);
	j->cmd[0] = 'K';
	json_t *cr = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:i}", "command_id",
			       j->cmd, "kind", "feedback", "case_id", j->case_id,
			       "action", "feedback", "status", "pending", "requested_ms",
			       (json_int_t)j->now, "rating", (int)j->rating);
	rc = cr ? intake_rec_put(in, t, in->db.cmds, j->cmd, strlen(j->cmd), &intake_rec_cmd,
				 j->case_id, 1, cr)
		: QF_ERR_NOMEM;
	json_decref(cr);
	Qingfeng__V1__FeedbackGiven m = QINGFENG__V1__FEEDBACK_GIVEN__INIT;
	m.case_id = j->case_id;
	m.rating = j->rating;
	m.comment = comment;
	m.given_ms = j->now;
	m.command_id = j->cmd;
	if (!rc)
		rc = intake_emit_for(in, t, QINGFENG__V1__EVENT_TYPE__FEEDBACK_GIVEN, bld,
				     j->case_id, j->cmd, &m.base, &pc, rec);
	if (!rc)
		rc = intake_case_put(in, t, j->case_id, rec);
	free(comment);
	json_decref(rec);
	return rc;
}

static void s_fb_free(struct fb_job *j)
{
	free(j->comment);
	sodium_memzero(j->secret, sizeof j->secret);
	free(j);
}

int intake_petitioner_answer(struct intake *in, struct qf_http_req *r, int rc,
			     const struct intake_err *refused, const char *cmd,
			     intake_feedback_done done, void *done_arg)
{
	struct intake_err e = {0};
	if (rc) {
		qf_error("petitioner_commit_failed", "command=%s error=\"%s\"", cmd,
			 qf_strerror(rc));
		intake_err_set(&e, 503, "unavailable", NULL, "暂时无法保存，请稍后重试");
	} else if (refused->code) {
		e = *refused;
	}
	if (done)
		done(r, e.code ? &e : NULL, done_arg);
	else if (e.code)
		intake_reply_err(r, &e);
	else
		intake_waiters_add(in, r, cmd, 1);
	return !e.code;
}

static void s_fb_done(void *arg, int rc)
{
	struct fb_job *j = arg;
	if (intake_petitioner_answer(j->in, j->r, rc, &j->err, j->cmd, j->done,
				     j->done_arg)) {
		qf_metric_inc(j->in->m.feedback);
		qf_info("feedback_given", "case=%s command=%s rating=%u", j->case_id,
			j->cmd, j->rating);
	}
	s_fb_free(j);
}

int intake_feedback_queue(struct intake *in, struct qf_http_req *r, const char *code,
			  const char *secret, unsigned rating, char *comment,
			  intake_feedback_done done, void *done_arg, struct intake_err *e)
{
	struct fb_job *j = calloc(1, sizeof *j);
	if (!j) {
		free(comment);
		return intake_err_set(e, 500, "internal", NULL, "内存不足");
	}
	j->comment = comment;
	if (!secret || !*secret) {
		s_fb_free(j);
		return intake_err_set(e, 401, "missing_secret", "X-Tracking-Secret",
				      "需要查询密钥（请求头 X-Tracking-Secret）");
	}
	if (!code || intake_track_code_norm(code, j->code, sizeof j->code)) {
		s_fb_free(j);
		return intake_err_set(e, 404, "not_found", NULL, "查询码或密钥不正确");
	}
	snprintf(j->secret, sizeof j->secret, "%s", secret);
	j->rating = rating;
	j->in = in;
	j->r = r;
	j->done = done;
	j->done_arg = done_arg;
	j->now = qf_now_ms(in->clock);
	j->job.apply = s_fb_apply;
	j->job.done = s_fb_done;
	j->job.arg = j;
	if (intake_queue(in, r, &j->job)) {
		s_fb_free(j);
		return -2; /* answered 503 */
	}
	return 0;
}

void intake_h_feedback(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	char addr[64];
	if (intake_client_addr(in, r, addr, sizeof addr) ||
	    intake_limit(in, r, in->lim_follow, addr, strlen(addr), "feedback"))
		return;
	json_t *obj = intake_body_json(r);
	if (!obj)
		return;
	struct intake_err e = {0};
	const char *secret = qf_http_header(r, "X-Tracking-Secret");
	if (!secret)
		secret = json_string_value(json_object_get(obj, "secret"));
	long long rating;
	char *comment = NULL;
	int rc = -1;
	if (!secret || !*secret)
		intake_err_set(&e, 401, "missing_secret", "X-Tracking-Secret",
			       "需要查询密钥（请求头 X-Tracking-Secret）");
	else if (!intake_json_int(obj, "rating", 1, 1, 5, 0, &rating, &e) &&
		 !intake_json_str(obj, "comment", 0, 500, 1, &comment, &e))
		rc = intake_feedback_queue(in, r, qf_http_param(r, "code"), secret,
					   (unsigned)rating, comment, NULL, NULL, &e);
	json_decref(obj);
	if (rc == -1)
		intake_reply_err(r, &e);
}
