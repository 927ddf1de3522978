/* media.c: photos by content hash: staff upload (for progress notes and
 * visit records) and serving any stored photo at /v1/media/<sha256>.
 *
 * Design: a photo's name is the SHA-256 of its bytes, so storing is
 * idempotent, a URL can be cached forever, and nobody can guess the URL of a
 * photo they have not been shown. The type comes from the bytes' magic
 * number (JPEG, PNG), never from what the client claims. */
#include "intake.h"

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
	struct intake_media m;
};

static int s_put_apply(struct qf_txn *t, void *arg)
{
	struct media_job *j = arg;
	return intake_media_put(j->in, t, &j->m);
}

static void s_put_done(void *arg, int rc)
{
	struct media_job *j = arg;
	if (rc) {
		qf_http_reply_error(j->r, 503, "unavailable", "暂时无法保存，请稍后重试",
				    NULL);
	} else {
		char url[100];
		snprintf(url, sizeof url, "/v1/media/%s", j->m.sha256);
		qf_http_add_header(j->r, "Location", url);
		qf_http_reply_json(j->r, 201,
				   json_pack("{s:s, s:s, s:I, s:s}", "sha256",
					     j->m.sha256, "content_type",
					     j->m.content_type, "size",
					     (json_int_t)j->m.size, "url", url));
	}
	intake_media_free(&j->m);
	free(j);
}

void intake_h_media_post(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	if (!intake_auth(in, r, NULL))
		return;
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
	j->job.apply = s_put_apply;
	j->job.done = s_put_done;
	j->job.arg = j;
	if (intake_queue(in, r, &j->job)) {
		intake_media_free(&j->m);
		free(j);
	}
}

struct media_get {
	struct intake *in;
	uint8_t key[32];
	char *data;
	size_t len;
	const char *ctype;
};

static int s_get(struct qf_txn *t, void *arg)
{
	struct media_get *g = arg;
	MDB_val v;
	if (qf_txn_get(t, g->in->db.media, g->key, 32, &v) || v.mv_size < 2)
		return QF_OK;
	const uint8_t *b = v.mv_data;
	g->ctype = b[0] == 'P' ? "image/png" : "image/jpeg";
	g->len = v.mv_size - 1;
	g->data = malloc(g->len);
	if (g->data)
		memcpy(g->data, b + 1, g->len);
	return QF_OK;
}

void intake_h_media_get(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const char *sha = qf_http_param(r, "sha");
	struct media_get g = {in, {0}, NULL, 0, NULL};
	if (strlen(sha) != 64 || qf_unhex(sha, g.key, 32)) {
		qf_http_reply_error(r, 404, "media_not_found", "没有这张图片", NULL);
		return;
	}
	char etag[70];
	snprintf(etag, sizeof etag, "\"%s\"", sha);
	const char *inm = qf_http_header(r, "If-None-Match");
	intake_read(in, s_get, &g);
	if (!g.data) {
		qf_http_reply_error(r, 404, "media_not_found", "没有这张图片", NULL);
		return;
	}
	qf_http_add_header(r, "ETag", etag);
	qf_http_add_header(r, "Cache-Control", "public, max-age=31536000, immutable");
	if (inm && strstr(inm, sha)) {
		free(g.data);
		qf_http_reply(r, 304, NULL, "", 0);
		return;
	}
	qf_http_reply_take(r, 200, g.ctype, g.data, g.len);
}
