/* export.c: a petitioner's copy of everything intake holds about their
 * petition (the right of access of China's Personal Information Protection
 * Law, art. 45): GET /v1/track/:code/export with the secret in
 * X-Tracking-Secret, or POST with {"secret"} or a form field `secret` (for
 * a page), as one JSON document: the petition as written, the contact, the
 * photos, the handling as the follow view shows it, the feedback given, who
 * viewed the contact and why, and the receipts of the petitioner's events.
 *
 * Design: the document is built on the HTTP thread in a read transaction
 * (photos make it large, and the writer must not wait on base64); the job
 * then only checks the case is still there, emits DATA_EXPORTED (an access
 * to personal data goes on the record) and remembers its place, so the
 * answer, sent after the commit, carries its receipt too. Codes, secrets,
 * rate limits and errors are the follow view's. */
#include "intake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"
#include "ratelimit.h"

struct export_job {
	struct qf_gc_job job;
	struct intake *in;
	struct qf_http_req *r;
	char code[32];
	char secret[64];
	char target[48]; /* case or hold id */
	char key[64];	 /* partition key of the case's events */
	struct qf_privacy pc;
	int64_t now;
	int found;
	int attachment; /* the form variant: offered as a file */
	json_t *doc;
	json_t *rcpt; /* DATA_EXPORTED's own receipt */
};

static void s_time(struct intake *in, json_t *o, const char *k, int64_t ms)
{
	char b[40];
	if (ms > 0)
		json_object_set_new(
		    o, k,
		    json_string(qf_time_fmt(ms, intake_world_get(in)->community->utc_offset_min,
					    b, sizeof b)));
}

/* The photos, with their bytes (the petitioner may not be able to fetch a
 * photo that is not public). */
static json_t *s_photos(struct intake *in, struct qf_txn *t, const char *owner,
			const json_t *media)
{
	json_t *out = json_array();
	size_t i;
	json_t *m;
	json_array_foreach(media, i, m)
	{
		json_t *x = json_deep_copy(m);
		const char *sha = json_string_value(json_object_get(m, "sha256"));
		uint8_t *data = NULL;
		size_t len = 0;
		const char *ct;
		if (x && sha && !intake_media_get(in, t, sha, owner, &data, &len, &ct)) {
			size_t bl = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
			char *b64 = malloc(bl);
			if (b64) {
				sodium_bin2base64(b64, bl, data, len,
						  sodium_base64_VARIANT_ORIGINAL);
				json_object_set_new(x, "data", json_string(b64));
				free(b64);
			}
			sodium_memzero(data, len);
			free(data);
		}
		if (x)
			json_array_append_new(out, x);
	}
	return out;
}

/* The petition as written: the record's members a petitioner gave. */
static json_t *s_petition(struct intake *in, struct qf_txn *t, const char *owner,
			  const json_t *p)
{
	static const char *const keep[] = {
	    "category", "building", "address", "description",	 "channel",
	    "anonymous", "consent_public", "lat", "lng",	 "name_masked",
	    "phone_masked", "concerns_staff", "parties", "entered_by", "client"};
	json_t *o = json_object();
	for (size_t i = 0; o && i < sizeof keep / sizeof keep[0]; i++) {
		json_t *v = json_object_get(p, keep[i]);
		if (v)
			json_object_set(o, keep[i], v);
	}
	if (o && json_object_get(p, "media"))
		json_object_set_new(o, "media",
				    s_photos(in, t, owner, json_object_get(p, "media")));
	return o;
}

static json_t *s_case_doc(struct export_job *j, struct qf_txn *t, json_t *rec)
{
	struct intake *in = j->in;
	json_t *d = json_object();
	json_object_set_new(d, "case", intake_case_view(in, t, rec, 1));
	if (intake_case_forgotten(rec)) {
		json_object_set_new(d, "personal_data_deleted", json_true());
		json_object_set_new(d, "notice", json_string("个人信息已按保存期限删除"));
	} else {
		json_object_set_new(d, "petition", s_petition(in, t, j->target, rec));
		json_t *c = intake_contact_get(in, t, in->db.contact, j->target);
		json_object_set_new(d, "contact", c ? c : json_null());
		json_t *fb = json_deep_copy(json_object_get(rec, "feedback"));
		size_t i;
		json_t *x;
		json_array_foreach(fb, i, x)
		{
			s_time(in, x, "given_at",
			       json_integer_value(json_object_get(x, "given_ms")));
			json_object_del(x, "given_ms");
		}
		json_object_set_new(d, "feedback", fb ? fb : json_array());
		json_object_set_new(d, "contact_views", intake_contact_views(in, t, j->target));
	}
	s_time(in, json_object_get(d, "petition"), "submitted_at",
	       json_integer_value(json_object_get(rec, "submitted_ms")));
	json_object_set_new(d, "receipts", intake_receipts(in, t, rec));
	return d;
}

static json_t *s_hold_doc(struct export_job *j, struct qf_txn *t, json_t *h)
{
	struct intake *in = j->in;
	json_t *d = json_object();
	const char *st = json_string_value(json_object_get(h, "status"));
	json_t *c = json_pack("{s:s, s:s}", "tracking_code", j->code, "status",
			      st && !strcmp(st, "dismissed") ? "dismissed" : "held_for_review");
	s_time(in, c, "submitted_at", json_integer_value(json_object_get(h, "held_ms")));
	json_object_set_new(d, "case", c);
	json_t *p = json_object_get(h, "petition");
	if (!p) { /* reviewed: the hold's copy is gone */
		json_object_set_new(d, "personal_data_deleted", json_true());
		json_object_set_new(d, "notice", json_string("个人信息已删除"));
	} else {
		json_object_set_new(d, "petition", s_petition(in, t, j->target, p));
		json_t *ct = intake_contact_get(in, t, in->db.hold_contact, j->target);
		json_object_set_new(d, "contact", ct ? ct : json_null());
	}
	json_object_set_new(d, "receipts", json_array());
	return d;
}

/* HTTP thread: find the case, check the secret, build the document. */
static int s_read(struct qf_txn *t, void *arg)
{
	struct export_job *j = arg;
	struct intake *in = j->in;
	if (intake_code_get(in, t, j->code, j->target, sizeof j->target))
		return QF_OK;
	int hold = j->target[0] == 'H';
	json_t *rec = hold ? intake_rec_get(in, t, in->db.holds, j->target,
					    strlen(j->target), &intake_rec_hold)
			   : intake_case_get(in, t, j->target);
	if (!rec || !intake_track_secret_ok(
			j->secret, json_string_value(json_object_get(rec, "secret_hash")))) {
		json_decref(rec);
		return QF_OK;
	}
	j->found = 1;
	if (hold) {
		json_t *p = json_object_get(rec, "petition");
		const char *cat = json_string_value(json_object_get(p, "category"));
		const char *bld = json_string_value(json_object_get(p, "building"));
		const struct qf_category *cc =
			cat ? qf_community_category(intake_world_get(in)->community, cat) : NULL;
		j->pc.sensitive = !cc || cc->sensitive || json_object_get(p, "concerns_staff");
		snprintf(j->key, sizeof j->key, "%s",
			 qf_privacy_partition_key(bld ? bld : "", j->pc.sensitive));
		j->doc = s_hold_doc(j, t, rec);
	} else {
		intake_case_privacy(in, rec, &j->pc, j->key, sizeof j->key);
		j->doc = s_case_doc(j, t, rec);
	}
	json_decref(rec);
	return QF_OK;
}

/* The writer: DATA_EXPORTED, and its receipt added to the document. */
static int s_apply(struct qf_txn *t, void *arg)
{
	struct export_job *j = arg;
	struct intake *in = j->in;
	int hold = j->target[0] == 'H';
	json_t *rec = hold ? NULL : intake_case_get(in, t, j->target);
	if (!hold && !rec) {
		j->found = 0;
		return QF_OK;
	}
	Qingfeng__V1__DataExported m = QINGFENG__V1__DATA_EXPORTED__INIT;
	m.case_id = j->target;
	m.at_ms = j->now;
	int rc = intake_emit_for(in, t, QINGFENG__V1__EVENT_TYPE__DATA_EXPORTED, j->key,
				 j->target, NULL, &m.base, &j->pc, rec);
	if (!rc && rec)
		rc = intake_case_put(in, t, j->target, rec);
	json_t *events = json_object_get(rec, "events");
	json_t *last = json_array_get(events, json_array_size(events) - 1);
	json_decref(j->rcpt); /* apply may run twice */
	j->rcpt = !rc && last ? intake_receipt(in, t, j->target, last) : NULL;
	json_decref(rec);
	return rc;
}

static void s_free(struct export_job *j)
{
	sodium_memzero(j->secret, sizeof j->secret);
	json_decref(j->doc);
	json_decref(j->rcpt);
	free(j);
}

static void s_done(void *arg, int rc)
{
	struct export_job *j = arg;
	if (rc) {
		qf_error("export_commit_failed", "error=\"%s\"", qf_strerror(rc));
		qf_http_reply_error(j->r, 503, "unavailable", "暂时无法导出，请稍后重试", NULL);
	} else if (!j->found) {
		qf_http_reply_error(j->r, 404, "not_found", "查询码或密钥不正确", NULL);
	} else {
		if (j->rcpt)
			json_array_append(json_object_get(j->doc, "receipts"), j->rcpt);
		s_time(j->in, j->doc, "exported_at", j->now);
		json_object_set_new(j->doc, "tracking_code", json_string(j->code));
		qf_info("data_exported", "target=%s", j->target);
		qf_http_add_header(j->r, "Cache-Control", "no-store");
		if (j->attachment) {
			char cd[96];
			snprintf(cd, sizeof cd, "attachment; filename=\"qingfeng-%s.json\"",
				 j->code);
			qf_http_add_header(j->r, "Content-Disposition", cd);
		}
		qf_http_reply_json(j->r, 200, j->doc);
		j->doc = NULL;
	}
	s_free(j);
}

static void s_export(struct intake *in, struct qf_http_req *r, const char *code,
		     const char *secret, int attachment)
{
	char addr[64];
	if (intake_client_addr(in, r, addr, sizeof addr) ||
	    intake_limit(in, r, in->lim_follow, addr, strlen(addr), "export"))
		return;
	if (!secret || !*secret) {
		qf_http_reply_error(r, 401, "missing_secret",
				    "需要查询密钥（请求头 X-Tracking-Secret，或表单项 secret）",
				    "X-Tracking-Secret");
		return;
	}
	struct export_job *j = calloc(1, sizeof *j);
	if (!j) {
		qf_http_reply_error(r, 500, "internal", "内存不足", NULL);
		return;
	}
	if (strlen(secret) >= sizeof j->secret || !code ||
	    intake_track_code_norm(code, j->code, sizeof j->code)) {
		s_free(j);
		qf_http_reply_error(r, 404, "not_found", "查询码或密钥不正确", NULL);
		return;
	}
	snprintf(j->secret, sizeof j->secret, "%s", secret);
	j->in = in;
	j->r = r;
	j->attachment = attachment;
	j->now = qf_now_ms(in->clock);
	intake_read(in, s_read, j);
	if (!j->found || !j->doc) {
		s_free(j);
		qf_http_reply_error(r, 404, "not_found", "查询码或密钥不正确", NULL);
		return;
	}
	j->job.apply = s_apply;
	j->job.done = s_done;
	j->job.arg = j;
	if (intake_queue(in, r, &j->job))
		s_free(j);
}

void intake_h_export_get(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	if (qf_http_query(r, "secret")) {
		qf_http_reply_error(
		    r, 400, "secret_in_url",
		    "查询密钥不能放在网址中，请使用请求头 X-Tracking-Secret", "secret");
		return;
	}
	s_export(in, r, qf_http_param(r, "code"), qf_http_header(r, "X-Tracking-Secret"), 0);
}

/* POST: {"secret": ...} as JSON, or a form with a `secret` field (a page's
 * form; the answer then comes as a file to save). */
void intake_h_export_post(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	if (qf_http_query(r, "secret")) {
		qf_http_reply_error(
		    r, 400, "secret_in_url",
		    "查询密钥不能放在网址中，请放在请求体或请求头 X-Tracking-Secret 中",
		    "secret");
		return;
	}
	const char *ct = qf_http_header(r, "Content-Type");
	json_t *obj = NULL;
	int form = 0;
	if (ct && !strncasecmp(ct, "application/json", 16)) {
		if (!(obj = intake_body_json(r)))
			return;
	} else {
		struct intake_form f;
		struct intake_err e = {0};
		intake_form_init(&f);
		if (intake_form_read_raw(r, &f, 0, 0, &e)) {
			intake_form_free(&f);
			intake_reply_err(r, &e);
			return;
		}
		obj = json_incref(f.fields);
		intake_form_free(&f);
		form = 1;
	}
	json_t *sv = json_object_get(obj, "secret");
	if (sv && !json_is_string(sv)) {
		json_decref(obj);
		qf_http_reply_error(r, 400, "invalid_type", "secret 必须是字符串", "secret");
		return;
	}
	const char *secret = json_string_value(sv);
	if (!secret)
		secret = qf_http_header(r, "X-Tracking-Secret");
	s_export(in, r, qf_http_param(r, "code"), secret, form);
	json_decref(obj);
}
