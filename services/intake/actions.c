/* actions.c: staff actions on cases and the wait for the router's verdict.
 *
 * A staff action becomes a STAFF_ACTION_REQUESTED event with a fresh command
 * id (also the envelope's correlation id) and a command record, written in
 * one group-commit transaction. The request is then parked as a waiter; the
 * router's ACTION_RESULT, consumed like any event (consume.c), completes the
 * command record and, after that commit, answers the waiter: 200, 403, 404
 * or 409 with the router's message. A waiter not answered within
 * intake.action_wait_ms gets 202 and the command id to poll.
 *
 * Design: waiters are touched only on the core thread (the done callback
 * that parks them, the consumer's commit hook that completes them, the timer
 * that expires them), so their bookkeeping needs no lock; the mutex only
 * guards against a future caller from another thread. */
#include "intake.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"

struct waiter {
	char cmd[40];
	char page_case[40]; /* a page's action: answered by a redirect there */
	struct qf_http_req *r;
	int64_t deadline;
	int feedback;
	struct waiter *next;
};

struct intake_waiters {
	pthread_mutex_t lock;
	struct waiter *head;
};

int intake_waiters_new(struct intake_waiters **out)
{
	struct intake_waiters *w = calloc(1, sizeof *w);
	if (!w)
		return QF_ERR_NOMEM;
	pthread_mutex_init(&w->lock, NULL);
	*out = w;
	return QF_OK;
}

void intake_waiters_destroy(struct intake_waiters **wp)
{
	if (!wp || !*wp)
		return;
	struct intake_waiters *w = *wp;
	for (struct waiter *x = w->head, *n; x; x = n) {
		n = x->next;
		free(x);
	}
	pthread_mutex_destroy(&w->lock);
	free(w);
	*wp = NULL;
}

int intake_waiters_pending(struct intake *in)
{
	int n = 0;
	pthread_mutex_lock(&in->waiters->lock);
	for (struct waiter *x = in->waiters->head; x; x = x->next)
		n++;
	pthread_mutex_unlock(&in->waiters->lock);
	return n;
}

void intake_waiters_add(struct intake *in, struct qf_http_req *r, const char *cmd,
			int feedback)
{
	struct waiter *x = calloc(1, sizeof *x);
	if (!x) {
		qf_http_reply_error(r, 500, "internal", "内存不足", NULL);
		return;
	}
	snprintf(x->cmd, sizeof x->cmd, "%s", cmd);
	x->r = r;
	x->deadline = qf_mono_ms() + in->conf->action_wait_ms;
	x->feedback = feedback;
	pthread_mutex_lock(&in->waiters->lock);
	x->next = in->waiters->head;
	in->waiters->head = x;
	pthread_mutex_unlock(&in->waiters->lock);
}

void intake_waiters_page(struct intake *in, const char *cmd, const char *case_id)
{
	pthread_mutex_lock(&in->waiters->lock);
	for (struct waiter *x = in->waiters->head; x; x = x->next)
		if (!strcmp(x->cmd, cmd))
			snprintf(x->page_case, sizeof x->page_case, "%s", case_id);
	pthread_mutex_unlock(&in->waiters->lock);
}

static struct waiter *s_take(struct intake_waiters *w, const char *cmd)
{
	pthread_mutex_lock(&w->lock);
	struct waiter **pp = &w->head, *x = NULL;
	for (; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->cmd, cmd)) {
			x = *pp;
			*pp = x->next;
			break;
		}
	pthread_mutex_unlock(&w->lock);
	return x;
}

/* A page's action: back to the case page, which shows the verdict. */
static void s_page_reply(struct waiter *x)
{
	char loc[128];
	snprintf(loc, sizeof loc, "/staff/cases/%s?cmd=%s", x->page_case, x->cmd);
	qf_http_add_header(x->r, "Location", loc);
	qf_http_reply(x->r, 303, "text/plain; charset=utf-8", "", 0);
}

void intake_waiters_complete(struct intake *in, const char *cmd, const json_t *record)
{
	struct waiter *x = s_take(in->waiters, cmd);
	if (!x)
		return;
	if (x->page_case[0])
		s_page_reply(x);
	else
		intake_command_reply(x->r, record, 1);
	free(x);
}

int intake_waiters_expire(struct intake *in, int64_t now, int all)
{
	struct waiter *due = NULL;
	int64_t next = -1;
	pthread_mutex_lock(&in->waiters->lock);
	struct waiter **pp = &in->waiters->head;
	while (*pp) {
		struct waiter *x = *pp;
		if (all || x->deadline <= now) {
			*pp = x->next;
			x->next = due;
			due = x;
			continue;
		}
		if (next < 0 || x->deadline - now < next)
			next = x->deadline - now;
		pp = &x->next;
	}
	pthread_mutex_unlock(&in->waiters->lock);
	while (due) {
		struct waiter *x = due;
		due = x->next;
		qf_metric_inc(in->m.action_timeouts);
		if (x->page_case[0]) {
			s_page_reply(x);
			free(x);
			continue;
		}
		char poll[80];
		snprintf(poll, sizeof poll, "/v1/commands/%s", x->cmd);
		qf_http_add_header(x->r, "Location", poll);
		qf_http_reply_json(
		    x->r, 202,
		    json_pack("{s:s, s:s, s:s, s:s}", "command_id", x->cmd, "status",
			      "pending", "message",
			      "请求已记录，正在等待处理结果，请稍后凭命令编号查询",
			      "poll", poll));
		free(x);
	}
	return next > 0x7fffffff ? 0x7fffffff : (int)next;
}

void intake_command_reply(struct qf_http_req *r, const json_t *record, int waited)
{
	const char *cmd = json_string_value(json_object_get(record, "command_id"));
	const char *st = json_string_value(json_object_get(record, "status"));
	json_t *res = json_object_get(record, "result");
	if (!waited) {
		/* a poll: always 200 with the record's view */
		json_t *j = json_pack(
		    "{s:s, s:s, s:s, s:s}", "command_id", cmd ? cmd : "", "case_id",
		    json_string_value(json_object_get(record, "case_id")) ?: "", "action",
		    json_string_value(json_object_get(record, "action")) ?: "", "status",
		    st ? st : "pending");
		if (res)
			json_object_set(j, "result", res);
		qf_http_reply_json(r, 200, j);
		return;
	}
	if (!res || !st || strcmp(st, "done")) {
		char poll[80];
		snprintf(poll, sizeof poll, "/v1/commands/%s", cmd ? cmd : "");
		qf_http_add_header(r, "Location", poll);
		qf_http_reply_json(r, 202,
				   json_pack("{s:s, s:s, s:s}", "command_id",
					     cmd ? cmd : "", "status", "pending", "poll",
					     poll));
		return;
	}
	unsigned status = (unsigned)json_integer_value(json_object_get(res, "status"));
	if (status != 200 && status != 403 && status != 404 && status != 409)
		status = status >= 400 && status < 600 ? status : 502;
	json_t *j = json_deep_copy(res);
	json_object_set_new(j, "command_id", json_string(cmd ? cmd : ""));
	if (status == 200) {
		qf_http_reply_json(r, status, j);
		return;
	}
	/* a refusal is a problem like any other error, with the verdict's
	   state and command id as extension members */
	const char *code = json_string_value(json_object_get(j, "code"));
	json_t *pj = qf_http_problem_json(status, code && *code ? code : "refused",
					  json_string_value(json_object_get(j, "message")), NULL);
	json_object_del(j, "message");
	json_object_del(j, "code");
	json_object_update_missing(pj, j);
	json_decref(j);
	qf_http_reply_problem(r, pj);
}

/* ------------------------------------------------------------ decoding */

struct action_kind {
	const char *name;
	Qingfeng__V1__ActionKind kind;
};

static const struct action_kind s_kinds[] = {
    {"accept", QINGFENG__V1__ACTION_KIND__ACTION_ACCEPT},
    {"assign", QINGFENG__V1__ACTION_KIND__ACTION_ASSIGN},
    {"transfer", QINGFENG__V1__ACTION_KIND__ACTION_TRANSFER},
    {"progress", QINGFENG__V1__ACTION_KIND__ACTION_PROGRESS},
    {"resolve", QINGFENG__V1__ACTION_KIND__ACTION_RESOLVE},
    {"reject", QINGFENG__V1__ACTION_KIND__ACTION_REJECT},
    {"reopen", QINGFENG__V1__ACTION_KIND__ACTION_REOPEN},
    {"extend_request", QINGFENG__V1__ACTION_KIND__ACTION_EXTEND_REQUEST},
    {"extend_approve", QINGFENG__V1__ACTION_KIND__ACTION_EXTEND_APPROVE},
    {"extend_deny", QINGFENG__V1__ACTION_KIND__ACTION_EXTEND_DENY},
    {"merge", QINGFENG__V1__ACTION_KIND__ACTION_MERGE},
    {"close", QINGFENG__V1__ACTION_KIND__ACTION_CLOSE},
};

static const struct {
	const char *name;
	Qingfeng__V1__RejectReason r;
} s_reject[] = {
    {"duplicate", QINGFENG__V1__REJECT_REASON__REJECT_DUPLICATE},
    {"not_our_responsibility",
     QINGFENG__V1__REJECT_REASON__REJECT_NOT_OUR_RESPONSIBILITY},
    {"spam", QINGFENG__V1__REJECT_REASON__REJECT_SPAM},
};

void intake_action_free(struct intake_action *a)
{
	free(a->target_staff);
	free(a->reason);
	free(a->cause);
	free(a->progress);
	free(a->result);
	free(a->related_case);
	for (unsigned i = 0; i < a->nmedia; i++)
		intake_media_free(&a->media[i]);
	memset(a, 0, sizeof *a);
}

static int s_case_id_ok(const char *s)
{
	if (strlen(s) != QF_ID_LEN + 1 || s[0] != 'C')
		return 0;
	for (const char *p = s + 1; *p; p++)
		if (!strchr(intake_crockford, *p))
			return 0;
	return 1;
}

int intake_action_decode(const json_t *obj, const struct qf_community *c,
			 const char *case_id, unsigned max_media,
			 uint64_t max_media_bytes, struct intake_action *a,
			 struct intake_err *e)
{
	memset(a, 0, sizeof *a);
	char *name = NULL;
	if (!json_is_object(obj))
		return intake_err_set(e, 400, "not_an_object", NULL,
				      "请求体必须是 JSON 对象");
	if (intake_json_str(obj, "action", 1, 32, 0, &name, e))
		return -1;
	for (size_t i = 0; i < sizeof s_kinds / sizeof s_kinds[0]; i++)
		if (!strcmp(name, s_kinds[i].name))
			a->kind = &s_kinds[i];
	free(name);
	if (!a->kind)
		return intake_err_set(
		    e, 400, "unknown_action", "action",
		    "action 必须是 accept、assign、transfer、progress、resolve、"
		    "reject、reopen、extend_request、extend_approve、"
		    "extend_deny、merge 或 close");
	if (intake_json_str(obj, "target_staff", 0, 32, 0, &a->target_staff, e) ||
	    intake_json_str(obj, "reason", 0, 1000, 1, &a->reason, e) ||
	    intake_json_str(obj, "cause", 0, 2000, 1, &a->cause, e) ||
	    intake_json_str(obj, "progress", 0, 2000, 1, &a->progress, e) ||
	    intake_json_str(obj, "result", 0, 2000, 1, &a->result, e) ||
	    intake_json_str(obj, "related_case", 0, 40, 0, &a->related_case, e))
		goto fail;
	Qingfeng__V1__ActionKind k = a->kind->kind;
	if ((k == QINGFENG__V1__ACTION_KIND__ACTION_ASSIGN ||
	     k == QINGFENG__V1__ACTION_KIND__ACTION_TRANSFER) &&
	    !a->target_staff) {
		intake_err_set(e, 400, "missing_field", "target_staff",
			       "需要指定接手人 target_staff");
		goto fail;
	}
	if (a->target_staff && !qf_community_staff(c, a->target_staff)) {
		intake_err_set(e, 422, "unknown_staff", "target_staff",
			       "没有编号为 %s 的工作人员", a->target_staff);
		goto fail;
	}
	if ((k == QINGFENG__V1__ACTION_KIND__ACTION_TRANSFER ||
	     k == QINGFENG__V1__ACTION_KIND__ACTION_REJECT ||
	     k == QINGFENG__V1__ACTION_KIND__ACTION_REOPEN ||
	     k == QINGFENG__V1__ACTION_KIND__ACTION_EXTEND_REQUEST) &&
	    !a->reason) {
		intake_err_set(e, 400, "missing_field", "reason",
			       "此操作需要填写理由 reason");
		goto fail;
	}
	if (k == QINGFENG__V1__ACTION_KIND__ACTION_PROGRESS && !a->cause &&
	    !a->progress && !a->result) {
		intake_err_set(e, 400, "missing_field", "progress",
			       "进度说明至少需要 cause、progress 或 result 之一");
		goto fail;
	}
	if (k == QINGFENG__V1__ACTION_KIND__ACTION_RESOLVE && !a->result) {
		intake_err_set(e, 400, "missing_field", "result",
			       "办结需要填写处理结果 result");
		goto fail;
	}
	json_t *rr = json_object_get(obj, "reject_reason");
	if (k == QINGFENG__V1__ACTION_KIND__ACTION_REJECT) {
		if (!json_is_string(rr)) {
			intake_err_set(
			    e, 400, "missing_field", "reject_reason",
			    "需要 reject_reason：duplicate、not_our_responsibility 或 "
			    "spam");
			goto fail;
		}
		for (size_t i = 0; i < sizeof s_reject / sizeof s_reject[0]; i++)
			if (!strcmp(json_string_value(rr), s_reject[i].name)) {
				a->reject = s_reject[i].r;
				a->reject_name = s_reject[i].name;
			}
		if (!a->reject_name) {
			intake_err_set(e, 400, "invalid_reject_reason", "reject_reason",
				       "reject_reason 必须是 "
				       "duplicate、not_our_responsibility 或 spam");
			goto fail;
		}
	}
	int needs_related = k == QINGFENG__V1__ACTION_KIND__ACTION_MERGE ||
			    (k == QINGFENG__V1__ACTION_KIND__ACTION_REJECT &&
			     a->reject == QINGFENG__V1__REJECT_REASON__REJECT_DUPLICATE);
	if (needs_related && !a->related_case) {
		intake_err_set(e, 400, "missing_field", "related_case",
			       "需要 related_case（重复或合并到的案件编号）");
		goto fail;
	}
	if (a->related_case && (!s_case_id_ok(a->related_case) ||
				(case_id && !strcmp(a->related_case, case_id)))) {
		intake_err_set(e, 422, "invalid_related_case", "related_case",
			       "related_case 必须是另一个案件的编号");
		goto fail;
	}
	long long hours = 0;
	if (intake_json_int(obj, "extension_hours",
			    k == QINGFENG__V1__ACTION_KIND__ACTION_EXTEND_REQUEST, 1, 720,
			    0, &hours, e))
		goto fail;
	a->extension_hours = (unsigned)hours;
	json_t *media = json_object_get(obj, "media");
	if (media && !json_is_null(media)) {
		if (!json_is_array(media) || json_array_size(media) > max_media) {
			intake_err_set(e, 422, "too_many_media", "media",
				       "media 最多 %u 项", max_media);
			goto fail;
		}
		for (size_t i = 0; i < json_array_size(media); i++) {
			char f[32];
			snprintf(f, sizeof f, "media[%zu]", i);
			if (intake_media_item_decode(json_array_get(media, i), f,
						     max_media_bytes,
						     &a->media[a->nmedia], e))
				goto fail;
			a->nmedia++;
		}
	}
	return 0;
fail:
	intake_action_free(a);
	return -1;
}

/* ------------------------------------------------------------ job */

struct action_job {
	struct qf_gc_job job;
	struct intake *in;
	struct qf_http_req *r;
	struct intake_action a;
	const struct qf_staff *actor;
	struct intake_idem idem;
	char case_id[40];
	char building[64];
	char cmd[QF_ID_LEN + 2];
	int64_t now;
	int page; /* from the staff pages: answered by a redirect */
	/* verdict */
	int replay;	/* idempotent replay: answer from the record */
	json_t *record; /* command record for replays */
	struct intake_err err;
};

static void s_job_free(struct action_job *j)
{
	intake_action_free(&j->a);
	json_decref(j->record);
	free(j);
}

static int s_action_write(struct action_job *j, struct qf_txn *t, json_t *crec);

static int s_action_apply(struct qf_txn *t, void *arg)
{
	struct action_job *j = arg;
	struct intake *in = j->in;
	j->replay = 0;
	j->err.code = NULL;
	json_decref(j->record);
	j->record = NULL;
	if (j->idem.present) {
		unsigned st;
		char *body = NULL, cmd[64];
		int f = intake_idem_find(in, t, &j->idem, &st, &body, cmd, sizeof cmd);
		free(body);
		if (f == INTAKE_IDEM_OTHER) {
			intake_err_set(&j->err, 422, "idempotency_key_reused",
				       "Idempotency-Key",
				       "这个 Idempotency-Key 已用于另一个不同的请求");
			return QF_OK;
		}
		if (f == INTAKE_IDEM_SAME) {
			j->replay = 1;
			j->record = intake_rec_get(in, t, in->db.cmds, cmd, strlen(cmd),
						   &intake_rec_cmd);
			return QF_OK;
		}
	}
	json_t *crec = intake_case_get(in, t, j->case_id);
	if (!crec) {
		intake_err_set(&j->err, 404, "case_not_found", NULL, "没有这个案件");
		return QF_OK;
	}
	int rc = s_action_write(j, t, crec);
	json_decref(crec);
	return rc;
}

/* Decided: photos, the command record, the event. */
static int s_action_write(struct action_job *j, struct qf_txn *t, json_t *crec)
{
	struct intake *in = j->in;
	int rc, changed = 0;
	/* photos: uploaded with this request, or by hash when already on this
	   case or uploaded with a token the staff member holds (never another
	   case's photo, which may be withheld there) */
	for (unsigned i = 0; i < j->a.nmedia; i++) {
		struct intake_media *m = &j->a.media[i];
		if (m->kind == INTAKE_MEDIA_URL)
			continue;
		rc = m->kind == INTAKE_MEDIA_REF ? intake_media_attach(in, t, m, j->case_id, NULL)
						 : intake_media_put(in, t, m, j->case_id);
		if (rc == QF_ERR_NOTFOUND) {
			char f[32];
			snprintf(f, sizeof f, "media[%u]", i);
			intake_err_set(&j->err, 422, "unknown_media", f,
				       "没有这张图片（请随本次操作上传，或附上 POST /v1/media "
				       "给出的上传凭证 upload_token）");
			return QF_OK;
		}
		if (rc || (rc = intake_case_media_own(crec, m->sha256)))
			return rc;
		changed = 1;
	}
	qf_id_sortable(j->now, j->cmd + 1);
	j->cmd[0] = 'K';
	/* staff notes go into events masked with the case's names (they quote
	   the petitioner); the notes as written stay here, sealed with the
	   case, for staff (GET /v1/cases/:id) */
	struct intake_mask mask;
	struct qf_privacy pc;
	char key[64];
	intake_case_privacy(in, crec, &pc, key, sizeof key);
	intake_mask_case(in, t, crec, &mask);
	pc.mask = &mask.mo;
	char *reason = intake_mask_text(&mask, j->a.reason);
	char *cause = intake_mask_text(&mask, j->a.cause);
	char *progress = intake_mask_text(&mask, j->a.progress);
	char *result = intake_mask_text(&mask, j->a.result);
	json_t *notes = json_object();
	if (notes) {
		if (j->a.reason)
			json_object_set_new(notes, "reason", json_string(j->a.reason));
		if (j->a.cause)
			json_object_set_new(notes, "cause", json_string(j->a.cause));
		if (j->a.progress)
			json_object_set_new(notes, "progress", json_string(j->a.progress));
		if (j->a.result)
			json_object_set_new(notes, "result", json_string(j->a.result));
	}
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:o}", "command_id",
				j->cmd, "kind", "staff", "case_id", j->case_id, "action",
				j->a.kind->name, "actor", intake_actor_json(j->actor),
				"status", "pending", "requested_ms", (json_int_t)j->now,
				"notes", notes);
	rc = rec && reason && cause && progress && result
		 ? intake_rec_put(in, t, in->db.cmds, j->cmd, strlen(j->cmd), &intake_rec_cmd,
				  j->case_id, 1, rec)
		 : QF_ERR_NOMEM;
	json_decref(rec);
	Qingfeng__V1__StaffActionRequested m = QINGFENG__V1__STAFF_ACTION_REQUESTED__INIT;
	Qingfeng__V1__Actor actor = QINGFENG__V1__ACTOR__INIT;
	Qingfeng__V1__Attachment att[INTAKE_MAX_MEDIA], *attp[INTAKE_MAX_MEDIA];
	actor.staff_id = j->actor->id;
	actor.role = j->actor->role;
	actor.name = j->actor->name;
	m.command_id = j->cmd;
	m.case_id = j->case_id;
	m.actor = &actor;
	m.action = j->a.kind->kind;
	m.target_staff = j->a.target_staff ? j->a.target_staff : (char *)"";
	m.reason = reason;
	m.cause = cause;
	m.progress = progress;
	m.result = result;
	m.reject_reason = j->a.reject;
	m.related_case = j->a.related_case ? j->a.related_case : (char *)"";
	m.extension_hours = j->a.extension_hours;
	m.n_media = intake_media_attachments(j->a.media, j->a.nmedia, att, attp);
	m.media = attp;
	m.requested_ms = j->now;
	if (!rc)
		rc = intake_emit(in, t, QINGFENG__V1__EVENT_TYPE__STAFF_ACTION_REQUESTED, key,
				 j->case_id, j->cmd, &m.base, &pc);
	free(reason);
	free(cause);
	free(progress);
	free(result);
	if (!rc && (intake_mask_save(&mask, crec) || changed))
		rc = intake_case_put(in, t, j->case_id, crec);
	if (rc)
		return rc;
	return intake_idem_put(in, t, &j->idem, 0, NULL, j->cmd);
}

static void s_action_done(void *arg, int rc)
{
	struct action_job *j = arg;
	struct intake *in = j->in;
	if (rc) {
		qf_error("action_commit_failed", "error=\"%s\"", qf_strerror(rc));
		qf_http_reply_error(j->r, 503, "unavailable", "暂时无法保存，请稍后重试",
				    NULL);
	} else if (j->err.code && j->page) {
		intake_staff_act_refused(in, j->r, j->case_id, &j->err);
	} else if (j->err.code) {
		intake_reply_err(j->r, &j->err);
	} else if (j->replay) {
		qf_metric_inc(in->m.idem_replay);
		qf_http_add_header(j->r, "Idempotent-Replayed", "true");
		if (j->record) {
			const char *st =
			    json_string_value(json_object_get(j->record, "status"));
			if (st && !strcmp(st, "done")) {
				intake_command_reply(j->r, j->record, 1);
			} else {
				/* still pending: wait again for the same command */
				intake_waiters_add(in, j->r,
						   json_string_value(json_object_get(
						       j->record, "command_id")),
						   0);
			}
		} else {
			qf_http_reply_error(j->r, 500, "internal", "找不到原命令记录",
					    NULL);
		}
	} else {
		qf_metric_inc(in->m.actions);
		qf_info("action_requested", "command=%s case=%s action=%s staff=%s",
			j->cmd, j->case_id, j->a.kind->name, j->actor->id);
		intake_waiters_add(in, j->r, j->cmd, 0);
		if (j->page)
			intake_waiters_page(in, j->cmd, j->case_id);
	}
	s_job_free(j);
}

struct case_probe {
	struct intake *in;
	const char *case_id;
	json_t *rec;
};

static int s_case_probe(struct qf_txn *t, void *arg)
{
	struct case_probe *p = arg;
	p->rec = intake_case_get(p->in, t, p->case_id);
	return QF_OK;
}

json_t *intake_case_load(struct intake *in, const char *case_id)
{
	struct case_probe p = {in, case_id, NULL};
	intake_read(in, s_case_probe, &p);
	return p.rec;
}

/* Photos sent as files with a page's form join the action's media. */
static int s_add_uploads(struct intake *in, struct intake_action *a,
			 struct intake_upload *ups, unsigned nups, struct intake_err *e)
{
	for (unsigned i = 0; i < nups; i++) {
		if (a->nmedia >= (unsigned)in->conf->max_media)
			return intake_err_set(e, 422, "too_many_media", "photo",
					      "照片最多 %d 张", in->conf->max_media);
		if (intake_media_from_upload(&ups[i], "photo",
					     (uint64_t)in->conf->max_media_bytes,
					     &a->media[a->nmedia], e))
			return -1;
		a->nmedia++;
	}
	return 0;
}

int intake_action_start(struct intake *in, struct qf_http_req *r, const char *case_id,
			const json_t *obj, struct intake_upload *ups, unsigned nups,
			int page, struct intake_err *e)
{
	json_t *rec = intake_case_load(in, case_id);
	if (!rec)
		return intake_err_set(e, 404, "case_not_found", NULL, "没有这个案件");
	struct action_job *j = calloc(1, sizeof *j);
	if (!j) {
		json_decref(rec);
		return intake_err_set(e, 500, "internal", NULL, "内存不足");
	}
	snprintf(j->case_id, sizeof j->case_id, "%s", case_id);
	snprintf(j->building, sizeof j->building, "%s",
		 json_string_value(json_object_get(rec, "building")) ?: "");
	json_decref(rec);
	if (!page && intake_idem_from_request(r, "action", &j->idem)) {
		s_job_free(j);
		return 1; /* answered */
	}
	if (intake_action_decode(obj, intake_world_get(in)->community, case_id,
				 (unsigned)in->conf->max_media,
				 (uint64_t)in->conf->max_media_bytes, &j->a, e) ||
	    s_add_uploads(in, &j->a, ups, nups, e)) {
		s_job_free(j);
		return -1;
	}
	j->in = in;
	j->r = r;
	j->page = page;
	j->actor = qf_access_staff(r);
	j->now = qf_now_ms(in->clock);
	j->job.apply = s_action_apply;
	j->job.done = s_action_done;
	j->job.arg = j;
	if (intake_queue(in, r, &j->job))
		s_job_free(j);
	return 1;
}

void intake_h_action(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	json_t *obj = intake_body_json(r);
	if (!obj)
		return;
	struct intake_err e = {0};
	int rc = intake_action_start(in, r, qf_http_param(r, "id"), obj, NULL, 0, 0, &e);
	json_decref(obj);
	if (rc < 0)
		intake_reply_err(r, &e);
}

/* ------------------------------------------------------------ polling */

struct cmd_probe {
	struct intake *in;
	const char *cmd;
	json_t *rec;
};

static int s_cmd_probe(struct qf_txn *t, void *arg)
{
	struct cmd_probe *p = arg;
	p->rec = intake_rec_get(p->in, t, p->in->db.cmds, p->cmd, strlen(p->cmd),
				&intake_rec_cmd);
	return QF_OK;
}

void intake_h_command(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	struct cmd_probe p = {in, qf_http_param(r, "id"), NULL};
	if (strlen(p.cmd) > 40) {
		qf_http_reply_error(r, 404, "command_not_found", "没有这个命令", NULL);
		return;
	}
	intake_read(in, s_cmd_probe, &p);
	/* a command is its requester's to poll (feedback commands: anyone's
	   with the queue), or an overseer's */
	const struct qf_staff *me = qf_access_staff(r);
	const char *by = json_string_value(
	    json_object_get(json_object_get(p.rec, "actor"), "staff_id"));
	if (p.rec && by && me && strcmp(by, me->id) &&
	    qf_policy_role_allows(intake_world_get(in)->community, me,
				  QF_ACT_OVERSIGHT_READ) != QF_ALLOW) {
		json_decref(p.rec);
		p.rec = NULL;
	}
	if (!p.rec) {
		qf_http_reply_error(r, 404, "command_not_found", "没有这个命令", NULL);
		return;
	}
	intake_command_reply(r, p.rec, 0);
	json_decref(p.rec);
}
