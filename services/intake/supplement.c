/* supplement.c: the petitioner adds words or photos to their own open case
 * (POST /v1/track/:code/supplements, and the follow page's form).
 *
 * Why a module: it is the petitioner's second command besides feedback,
 * with its own checks (an open case only, the petition's limits on text and
 * photos). The tracking secret authorises it, as it does feedback
 * (intake_track_case); lookups share the follow rate limit.
 *
 * Design: the words as written stay here, sealed with the case (its
 * "supplements", which staff read in GET /v1/cases/:id); the event
 * PETITION_SUPPLEMENTED carries them masked with the case's names, and its
 * public part drops them unless the resident consented, never for a
 * sensitive case (qf_privacy, the [consent] fields). The router notes it on
 * the timeline as a CASE_PROGRESS by the petitioner ("居民补充：..."),
 * which answers the command. */
#include "intake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "petition.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"
#include "ratelimit.h"

struct sup_job {
	struct qf_gc_job job;
	struct intake *in;
	struct qf_http_req *r;
	char code[32];
	char secret[64];
	char *text; /* or NULL: photos only */
	struct intake_media media[INTAKE_MAX_MEDIA];
	unsigned nmedia;
	char case_id[40];
	char cmd[QF_ID_LEN + 2];
	int64_t now;
	struct intake_err err;
	intake_feedback_done done;
	void *done_arg;
};

int intake_supplement_open(const char *st)
{
	static const char *const open[] = {"submitted", "assigned", "accepted",
					    "in_progress", "reopened"};
	for (size_t i = 0; st && i < sizeof open / sizeof open[0]; i++)
		if (!strcmp(st, open[i]))
			return 1;
	return 0;
}

static void s_free(struct sup_job *j)
{
	free(j->text);
	for (unsigned i = 0; i < j->nmedia; i++)
		intake_media_free(&j->media[i]);
	sodium_memzero(j->secret, sizeof j->secret);
	free(j);
}

/* The photos onto the case (uploaded now, or already the case's). */
static int s_photos(struct sup_job *j, struct qf_txn *t, json_t *rec, json_t *shas)
{
	for (unsigned i = 0; i < j->nmedia; i++) {
		struct intake_media *m = &j->media[i];
		if (m->kind == INTAKE_MEDIA_URL)
			continue;
		int rc = m->kind == INTAKE_MEDIA_REF
			     ? intake_media_attach(j->in, t, m, j->case_id, NULL)
			     : intake_media_put(j->in, t, m, j->case_id);
		if (rc == QF_ERR_NOTFOUND) {
			char f[32];
			snprintf(f, sizeof f, "media[%u]", i);
			intake_err_set(&j->err, 422, "unknown_media", f,
				       "没有这张图片（请随本次补充一起上传）");
			return QF_OK;
		}
		if (rc || (rc = intake_case_media_own(rec, m->sha256)))
			return rc;
		json_array_append_new(shas, json_string(m->sha256));
	}
	return QF_OK;
}

static int s_apply(struct qf_txn *t, void *arg)
{
	struct sup_job *j = arg;
	struct intake *in = j->in;
	j->err.code = NULL;
	json_t *rec =
	    intake_track_case(in, t, j->code, j->secret, j->case_id, sizeof j->case_id, &j->err);
	if (!rec)
		return QF_OK;
	const char *st = json_string_value(json_object_get(rec, "state"));
	if (!intake_supplement_open(st)) {
		intake_err_set(&j->err, 409, "state_forbids", NULL,
			       "案件当前状态为「%s」，不能再补充材料；如有新情况请重新提交诉求",
			       intake_state_text(st ? st : ""));
		json_decref(rec);
		return QF_OK;
	}
	json_t *shas = json_array();
	int rc = shas ? s_photos(j, t, rec, shas) : QF_ERR_NOMEM;
	if (rc || j->err.code) {
		json_decref(shas);
		json_decref(rec);
		return rc;
	}
	char key[64];
	struct qf_privacy pc;
	struct intake_mask mask;
	intake_case_privacy(in, rec, &pc, key, sizeof key);
	intake_mask_case(in, t, rec, &mask);
	pc.mask = &mask.mo;
	/* as written, sealed with the case; the event carries it masked */
	json_t *sup = json_object_get(rec, "supplements");
	if (!json_is_array(sup))
		json_object_set_new(rec, "supplements", sup = json_array());
	json_array_append_new(sup, json_pack("{s:s, s:o, s:I}", "text",
					     j->text ? j->text : "", "media", shas,
					     "given_ms", (json_int_t)j->now));
	char *text = intake_mask_text(&mask, j->text);
	if (!text) {
		json_decref(rec);
		return QF_ERR_NOMEM;
	}
	intake_mask_save(&mask, rec);
	qf_id_sortable(j->now, j->cmd + 1);
	j->cmd[0] = 'K';
	/* its words as written are the timeline entry's notes for staff (the
	   command record is sealed as the case is) */
	json_t *cr = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:{s:s}}", "command_id",
			       j->cmd, "kind", "supplement", "case_id", j->case_id, "action",
			       "supplement", "status", "pending", "requested_ms",
			       (json_int_t)j->now, "notes", "supplement",
			       j->text ? j->text : "");
	rc = cr ? intake_rec_put(in, t, in->db.cmds, j->cmd, strlen(j->cmd), &intake_rec_cmd,
				 j->case_id, 1, cr)
		: QF_ERR_NOMEM;
	json_decref(cr);
	Qingfeng__V1__Attachment att[INTAKE_MAX_MEDIA], *attp[INTAKE_MAX_MEDIA];
	Qingfeng__V1__PetitionSupplemented m = QINGFENG__V1__PETITION_SUPPLEMENTED__INIT;
	m.case_id = j->case_id;
	m.command_id = j->cmd;
	m.text = text;
	m.supplemented_ms = j->now;
	m.n_media = intake_media_attachments(j->media, j->nmedia, att, attp);
	m.media = attp;
	if (!rc)
		rc = intake_emit_for(in, t, QINGFENG__V1__EVENT_TYPE__PETITION_SUPPLEMENTED, key,
				     j->case_id, j->cmd, &m.base, &pc, rec);
	if (!rc)
		rc = intake_case_put(in, t, j->case_id, rec);
	free(text);
	json_decref(rec);
	return rc;
}

static void s_done(void *arg, int rc)
{
	struct sup_job *j = arg;
	if (intake_petitioner_answer(j->in, j->r, rc, &j->err, j->cmd, j->done, j->done_arg))
		qf_info("supplement_given", "case=%s command=%s photos=%u", j->case_id, j->cmd,
			j->nmedia);
	s_free(j);
}

int intake_supplement_queue(struct intake *in, struct qf_http_req *r, const char *code,
			    const char *secret, const json_t *obj, struct intake_form *form,
			    intake_feedback_done done, void *done_arg, struct intake_err *e)
{
	struct sup_job *j = calloc(1, sizeof *j);
	int rc = -1;
	if (!j) {
		intake_err_set(e, 500, "internal", NULL, "内存不足");
	} else if (!secret || !*secret) {
		intake_err_set(e, 401, "missing_secret", "X-Tracking-Secret",
			       "需要查询密钥（请求头 X-Tracking-Secret）");
	} else if (!code || intake_track_code_norm(code, j->code, sizeof j->code)) {
		intake_err_set(e, 404, "not_found", NULL, "查询码或密钥不正确");
	} else if (!intake_media_decode(obj, form ? form->uploads : NULL,
					form ? form->nuploads : 0,
					(unsigned)in->conf->max_media,
					(uint64_t)in->conf->max_media_bytes, j->media,
					&j->nmedia, e) &&
		   !intake_json_str(obj, "text", j->nmedia == 0, INTAKE_DESCRIPTION_MAX, 1,
				    &j->text, e)) {
		rc = 0;
	}
	if (form)
		intake_form_free(form);
	if (rc) {
		if (j)
			s_free(j);
		return rc;
	}
	snprintf(j->secret, sizeof j->secret, "%s", secret);
	j->in = in;
	j->r = r;
	j->done = done;
	j->done_arg = done_arg;
	j->now = qf_now_ms(in->clock);
	j->job.apply = s_apply;
	j->job.done = s_done;
	j->job.arg = j;
	if (intake_queue(in, r, &j->job)) {
		s_free(j);
		return -2; /* answered 503 */
	}
	return 0;
}

/* POST /v1/track/:code/supplements: JSON {secret?, text, media?} or a
 * multipart form (secret, text, photo files); the secret also in
 * X-Tracking-Secret. */
void intake_h_supplement(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	char addr[64];
	if (intake_client_addr(in, r, addr, sizeof addr) ||
	    intake_limit(in, r, in->lim_follow, addr, strlen(addr), "supplement"))
		return;
	struct intake_err e = {0};
	struct intake_form form;
	json_t *obj = NULL;
	int rc = intake_petition_read(in, r, &obj, &form, &e);
	if (rc == -2)
		return; /* answered */
	if (rc == -1) {
		intake_form_free(&form);
		intake_reply_err(r, &e);
		return;
	}
	const char *secret = qf_http_header(r, "X-Tracking-Secret");
	if (!secret)
		secret = json_string_value(json_object_get(obj, "secret"));
	rc = intake_supplement_queue(in, r, qf_http_param(r, "code"), secret, obj, &form,
				     NULL, NULL, &e);
	json_decref(obj);
	if (rc == -1)
		intake_reply_err(r, &e);
}
