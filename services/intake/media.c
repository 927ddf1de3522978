/* media.c: photos by content hash: staff upload (for progress notes and
 * visit records, attached later by their upload token) and serving a photo
 * at /v1/media/<sha256> to those who may see it.
 *
 * Design: a photo's name is the SHA-256 of its bytes, so a URL can be cached
 * and nobody can guess the URL of a photo they have not been shown; but a
 * hash is no secret once published, so serving is decided per owner (each
 * stored copy belongs to one case, hold, visit or upload, store.c) by one
 * function, s_access, and a photo nobody may see here is 404, never 403 (its
 * existence is not confirmed). The type comes from the bytes' magic number
 * (JPEG, PNG), never from what the client claims. */
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

struct media_job {
	struct qf_gc_job job;
	struct intake *in;
	struct qf_http_req *r;
	const struct qf_staff *staff;
	struct intake_media m;
	int64_t now;
	char owner[40];
	char token[64];
};

static int s_put_apply(struct qf_txn *t, void *arg)
{
	struct media_job *j = arg;
	return intake_upload_put(j->in, t, &j->m, j->staff, j->now, j->owner, j->token);
}

static void s_put_done(void *arg, int rc)
{
	struct media_job *j = arg;
	if (rc) {
		qf_http_reply_error(j->r, 503, "unavailable", "暂时无法保存，请稍后重试",
				    NULL);
	} else {
		char url[100], exp[40];
		snprintf(url, sizeof url, "/v1/media/%s", j->m.sha256);
		qf_time_fmt(j->now + (int64_t)j->in->conf->upload_ttl_h * 3600000,
			    intake_world_get(j->in)->community->utc_offset_min, exp,
			    sizeof exp);
		qf_http_add_header(j->r, "Location", url);
		qf_http_add_header(j->r, "Cache-Control", "no-store");
		qf_http_reply_json(j->r, 201,
				   json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "sha256",
					     j->m.sha256, "content_type",
					     j->m.content_type, "size",
					     (json_int_t)j->m.size, "url", url,
					     "upload_token", j->token, "expires_at", exp));
	}
	sodium_memzero(j->token, sizeof j->token);
	intake_media_free(&j->m);
	free(j);
}

void intake_h_media_post(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const struct qf_staff *staff = qf_access_staff(r);
	struct intake_err e = {0};
	struct intake_upload up = {0};
	const char *ct = qf_http_header(r, "Content-Type");
	struct intake_form form;
	intake_form_init(&form);
	if (ct && (!strncasecmp(ct, "multipart/form-data", 19) ||
		   !strncasecmp(ct, "application/x-www-form-urlencoded", 33))) {
		if (intake_form_read_raw(r, &form, (uint64_t)in->conf->max_media_bytes, 1,
					 &e)) {
			intake_form_free(&form);
			intake_reply_err(r, &e);
			return;
		}
		if (form.nuploads != 1) {
			intake_form_free(&form);
			qf_http_reply_error(r, 400, "missing_field",
					    "需要上传一个图片文件", "file");
			return;
		}
		up = form.uploads[0];
		form.uploads[0].data = NULL;
	} else {
		size_t bl;
		const char *body = qf_http_body(r, &bl);
		if (!ct || strncasecmp(ct, "image/", 6)) {
			intake_form_free(&form);
			qf_http_reply_error(
			    r, 415, "unsupported_media_type",
			    "请以 image/jpeg、image/png 或 multipart/form-data 上传",
			    "Content-Type");
			return;
		}
		up.data = malloc(bl ? bl : 1);
		if (!up.data) {
			intake_form_free(&form);
			qf_http_reply_error(r, 500, "internal", "内存不足", NULL);
			return;
		}
		memcpy(up.data, body, bl);
		up.len = bl;
	}
	struct media_job *j = calloc(1, sizeof *j);
	int rc = j ? intake_media_from_upload(
			 &up, "file", (uint64_t)in->conf->max_media_bytes, &j->m, &e)
		   : intake_err_set(&e, 500, "internal", NULL, "内存不足");
	free(up.data);
	intake_form_free(&form);
	if (rc) {
		free(j);
		intake_reply_err(r, &e);
		return;
	}
	j->in = in;
	j->r = r;
	j->staff = staff;
	j->now = qf_now_ms(in->clock);
	j->job.apply = s_put_apply;
	j->job.done = s_put_done;
	j->job.arg = j;
	if (intake_queue(in, r, &j->job)) {
		intake_media_free(&j->m);
		free(j);
	}
}

/* ------------------------------------------------------------ access */

enum media_access { MEDIA_NONE = 0, MEDIA_STAFF, MEDIA_PUBLIC };

/* Who may see the copy of a photo stored for owner: the one decision.
 *  - a case's: the public when its petitioner consented to public display
 *    and it is not sensitive (what qf_privacy publishes of a [consent]
 *    field), otherwise staff the access policy lets read the case;
 *  - a spam hold's: its reviewers (spam.review);
 *  - a visit's: who recorded it and those who read the visit log
 *    (visit.read);
 *  - an upload not yet attached: the staff member who uploaded it.
 * staff is NULL for a request without a token. */
static enum media_access s_access(struct intake *in, struct qf_txn *t, const char *owner,
				  const struct qf_staff *staff)
{
	enum media_access a = MEDIA_NONE;
	json_t *rec = NULL;
	switch (owner[0]) {
	case 'C': {
		rec = intake_case_get(in, t, owner);
		if (!rec || intake_case_forgotten(rec))
			break;
		struct qf_privacy pc;
		char key[64];
		intake_case_privacy(in, rec, &pc, key, sizeof key);
		if (qf_privacy_shows(QF_VIS_CONSENT, &pc))
			a = MEDIA_PUBLIC;
		else if (staff && intake_may(in, staff, QF_ACT_CASE_READ, rec))
			a = MEDIA_STAFF;
		break;
	}
	case 'H':
		if (qf_policy_role_allows(intake_world_get(in)->community, staff,
					  QF_ACT_SPAM_REVIEW) == QF_ALLOW)
			a = MEDIA_STAFF;
		break;
	case 'V': {
		if (!staff)
			break;
		rec = intake_rec_get(in, t, in->db.visits, owner, strlen(owner),
				     &intake_rec_visit);
		const char *by = json_string_value(
		    json_object_get(json_object_get(rec, "actor"), "staff_id"));
		if (by && qf_policy_own(intake_world_get(in)->community, staff,
					QF_ACT_VISIT_READ, by) == QF_ALLOW)
			a = MEDIA_STAFF;
		break;
	}
	case 'U': {
		if (!staff)
			break;
		rec = intake_json_get(t, in->db.uploads, owner, strlen(owner));
		const char *by = json_string_value(json_object_get(rec, "staff_id"));
		if (by && !strcmp(by, staff->id))
			a = MEDIA_STAFF;
		break;
	}
	default:
		break;
	}
	json_decref(rec);
	return a;
}

struct media_get {
	struct intake *in;
	const char *sha;
	const struct qf_staff *staff;
	enum media_access access;
	char owner[64];
	uint8_t *data;
	size_t len;
	const char *ctype;
	struct qf_txn *t;
};

static int s_owner(void *arg, const char *owner)
{
	struct media_get *g = arg;
	enum media_access a = s_access(g->in, g->t, owner, g->staff);
	if (a > g->access) {
		g->access = a;
		snprintf(g->owner, sizeof g->owner, "%s", owner);
	}
	return a == MEDIA_PUBLIC ? QF_OK : QF_ERR_NOTFOUND;
}

static int s_get(struct qf_txn *t, void *arg)
{
	struct media_get *g = arg;
	g->t = t;
	g->access = MEDIA_NONE;
	intake_media_owners(g->in, t, g->sha, s_owner, g);
	if (g->access != MEDIA_NONE &&
	    intake_media_get(g->in, t, g->sha, g->owner, &g->data, &g->len, &g->ctype))
		g->access = MEDIA_NONE;
	return QF_OK;
}

void intake_h_media_get(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const char *sha = qf_http_param(r, "sha");
	struct media_get g = {.in = in, .sha = sha};
	g.staff = qf_access_staff(r); /* a valid token, when sent */
	uint8_t key[32];
	if (strlen(sha) == 64 && !qf_unhex(sha, key, 32))
		intake_read(in, s_get, &g);
	if (g.access == MEDIA_NONE || !g.data) {
		free(g.data);
		qf_http_reply_error(r, 404, "media_not_found", "没有这张图片", NULL);
		return;
	}
	if (g.access == MEDIA_STAFF) {
		/* not for shared caches: another request may not see it */
		qf_http_add_header(r, "Cache-Control", "private, no-store");
		qf_http_add_header(r, "Vary", "Authorization");
		qf_http_reply_take(r, 200, g.ctype, (char *)g.data, g.len);
		return;
	}
	char etag[70];
	snprintf(etag, sizeof etag, "\"%s\"", sha);
	const char *inm = qf_http_header(r, "If-None-Match");
	qf_http_add_header(r, "ETag", etag);
	qf_http_add_header(r, "Cache-Control", "public, max-age=86400");
	if (inm && strstr(inm, sha)) {
		free(g.data);
		qf_http_reply(r, 304, NULL, "", 0);
		return;
	}
	qf_http_reply_take(r, 200, g.ctype, (char *)g.data, g.len);
}

size_t intake_media_attachments(const struct intake_media *media, unsigned n,
				Qingfeng__V1__Attachment *att, Qingfeng__V1__Attachment **attp)
{
	for (unsigned i = 0; i < n; i++) {
		qingfeng__v1__attachment__init(&att[i]);
		const struct intake_media *md = &media[i];
		if (md->kind == INTAKE_MEDIA_URL) {
			att[i].url = md->url;
		} else {
			att[i].sha256 = (char *)md->sha256;
			att[i].content_type = (char *)(md->content_type ? md->content_type : "");
			att[i].size = md->size;
		}
		attp[i] = &att[i];
	}
	return n;
}
