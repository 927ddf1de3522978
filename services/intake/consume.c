/* consume.c: what intake learns from the router's stream: each case's
 * state, handler and deadlines with its whole handling timeline (for the
 * petitioner's follow view and Open311's status_notes, agency_responsible,
 * expected_datetime), cases submitted through other intake replicas (so
 * staff actions on them find their building), the verdicts (ACTION_RESULT)
 * that answer staff commands waiting here, and retention (PRIVATE_EXPIRED):
 * the case's personal data is forgotten, its public facts stay.
 *
 * The follow view is the petitioner's own and reads the whole event; what
 * intake shows the public (Open311's status_notes) is made from the event's
 * public part, the envelope's payload, as qf_privacy decided it.
 *
 * Design: apply runs inside the consumer's transaction with its checkpoint,
 * so every event changes the view exactly once. Verdicts are collected
 * during the transaction and handed to the waiting requests only by a
 * commit hook: a request is never answered with something that could still
 * be rolled back. Unknown event types are skipped. */
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_event.h"
#include "qf_log.h"
#include "qf_vault.h"

struct intake_done {
	char cmd[48];
	json_t *record;
	struct intake_done *next;
};

static void s_pending_free(struct intake *in)
{
	while (in->pending) {
		struct intake_done *d = in->pending;
		in->pending = d->next;
		json_decref(d->record);
		free(d);
	}
}

static void s_on_commit(void *arg, uint64_t data)
{
	(void)data;
	struct intake *in = arg;
	/* oldest first */
	struct intake_done *rev = NULL;
	while (in->pending) {
		struct intake_done *d = in->pending;
		in->pending = d->next;
		d->next = rev;
		rev = d;
	}
	while (rev) {
		struct intake_done *d = rev;
		rev = d->next;
		intake_waiters_complete(in, d->cmd, d->record);
		json_decref(d->record);
		free(d);
	}
}

static void s_on_abort(void *arg, uint64_t data)
{
	(void)data;
	s_pending_free(arg);
}

static int s_queue_done(struct intake *in, struct qf_txn *t, const char *cmd,
			json_t *record)
{
	struct intake_done *d = calloc(1, sizeof *d);
	if (!d)
		return QF_ERR_NOMEM;
	snprintf(d->cmd, sizeof d->cmd, "%s", cmd);
	d->record = json_incref(record);
	d->next = in->pending;
	in->pending = d;
	int rc = qf_txn_on_commit(t, s_on_commit, in, 0);
	if (!rc)
		rc = qf_txn_on_abort(t, s_on_abort, in, 0);
	return rc;
}

/* Complete a pending command record with a result object (stolen). */
static int s_complete(struct intake *in, struct qf_txn *t, const char *cmd,
		      json_t *result, int feedback_only)
{
	json_t *rec = intake_rec_get(in, t, in->db.cmds, cmd, strlen(cmd), &intake_rec_cmd);
	if (!rec) {
		json_decref(result);
		return QF_OK; /* another replica's command */
	}
	const char *st = json_string_value(json_object_get(rec, "status"));
	const char *kind = json_string_value(json_object_get(rec, "kind"));
	if ((st && !strcmp(st, "done")) ||
	    (feedback_only &&
	     (!kind || (strcmp(kind, "feedback") && strcmp(kind, "supplement"))))) {
		json_decref(rec);
		json_decref(result);
		return QF_OK;
	}
	json_object_set_new(rec, "status", json_string("done"));
	json_object_set_new(rec, "result", result);
	const char *case_id = json_string_value(json_object_get(rec, "case_id"));
	int rc = intake_rec_put(in, t, in->db.cmds, cmd, strlen(cmd), &intake_rec_cmd,
				case_id && *case_id ? case_id : "-", 1, rec);
	if (!rc)
		rc = s_queue_done(in, t, cmd, rec);
	json_decref(rec);
	if (!rc)
		qf_metric_inc(in->m.results);
	return rc;
}

static int s_action_result(struct intake *in, struct qf_txn *t,
			   const Qingfeng__V1__Envelope *env,
			   const Qingfeng__V1__ActionResult *a)
{
	const char *cmd =
	    a->command_id && *a->command_id ? a->command_id : env->correlation_id;
	if (!cmd || !*cmd || strlen(cmd) > 40)
		return QF_OK;
	json_t *res = json_pack(
	    "{s:i, s:b, s:s, s:s, s:s, s:s, s:s}", "status", (int)a->status, "ok", a->ok,
	    "code", a->code ? a->code : "", "message", a->message ? a->message : "",
	    "state", intake_state_name(a->state), "assignee",
	    a->assignee ? a->assignee : "", "case_id", a->case_id ? a->case_id : "");
	if (!res)
		return QF_ERR_NOMEM;
	return s_complete(in, t, cmd, res, 0);
}

/* ------------------------------------------------------------ transitions */

static const struct {
	int type;
	const char *name; /* timeline event */
} s_kinds[] = {
    {QINGFENG__V1__EVENT_TYPE__CASE_ASSIGNED, "assigned"},
    {QINGFENG__V1__EVENT_TYPE__CASE_ACCEPTED, "accepted"},
    {QINGFENG__V1__EVENT_TYPE__CASE_TRANSFERRED, "transferred"},
    {QINGFENG__V1__EVENT_TYPE__CASE_PROGRESS, "progress"},
    {QINGFENG__V1__EVENT_TYPE__CASE_RESOLVED, "resolved"},
    {QINGFENG__V1__EVENT_TYPE__CASE_REJECTED, "rejected"},
    {QINGFENG__V1__EVENT_TYPE__CASE_REOPENED, "reopened"},
    {QINGFENG__V1__EVENT_TYPE__CASE_MERGED, "merged"},
    {QINGFENG__V1__EVENT_TYPE__CASE_CLOSED, "closed"},
    {QINGFENG__V1__EVENT_TYPE__CASE_ESCALATED, "escalated"},
    {QINGFENG__V1__EVENT_TYPE__EXTENSION_REQUESTED, "extension_requested"},
    {QINGFENG__V1__EVENT_TYPE__EXTENSION_DECIDED, "extension_decided"},
    {QINGFENG__V1__EVENT_TYPE__CASE_RATED, "rated"},
};

static const char *s_kind_name(int type)
{
	for (size_t i = 0; i < sizeof s_kinds / sizeof s_kinds[0]; i++)
		if (s_kinds[i].type == type)
			return s_kinds[i].name;
	return NULL;
}

static const char *const s_reject_names[] = {"", "duplicate", "not_our_responsibility",
					     "spam"};

static void s_set_str(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, json_string(v));
}

/* The status note Open311 and the follow view show for a transition. */
static void s_note(const char *kind, const Qingfeng__V1__CaseTransition *c, char *out,
		   size_t n)
{
	const char *who = c->assignee_name && *c->assignee_name ? c->assignee_name : "";
	if (!strcmp(kind, "assigned"))
		snprintf(out, n, "已派单给%s%s%s%s", who, *c->assignee_post ? "（" : "",
			 c->assignee_post, *c->assignee_post ? "）" : "");
	else if (!strcmp(kind, "accepted"))
		snprintf(out, n, "%s已受理", who);
	else if (!strcmp(kind, "transferred"))
		snprintf(out, n, "已转交%s%s%s", who, *c->reason ? "：" : "", c->reason);
	else if (!strcmp(kind, "progress") && c->actor && c->actor->role &&
		 !strcmp(c->actor->role, "petitioner"))
		snprintf(out, n, "%s%s", *c->comment ? "居民补充：" : "居民补充了材料",
			 c->comment);
	else if (!strcmp(kind, "progress"))
		snprintf(out, n, "%s%s%s%s%s%s%s%s%s", *c->cause ? "原因：" : "",
			 c->cause, *c->cause ? "；" : "", *c->progress ? "进展：" : "",
			 c->progress, *c->progress ? "；" : "",
			 *c->result ? "结果：" : "", c->result, "");
	else if (!strcmp(kind, "resolved"))
		snprintf(out, n, "已办结%s%s", *c->result ? "：" : "", c->result);
	else if (!strcmp(kind, "rejected"))
		snprintf(out, n, "不予受理%s%s", *c->reason ? "：" : "", c->reason);
	else if (!strcmp(kind, "reopened"))
		snprintf(out, n, "已重新办理%s%s", *c->reason ? "：" : "", c->reason);
	else if (!strcmp(kind, "merged"))
		snprintf(out, n, "已并入案件 %s 一并办理", c->related_case);
	else if (!strcmp(kind, "closed"))
		snprintf(out, n, "%s",
			 c->closed_without_feedback ? "已结案（未评价，超时自动结案）"
						    : "已结案");
	else if (!strcmp(kind, "escalated"))
		snprintf(out, n, "已升级督办%s%s", *c->reason ? "：" : "", c->reason);
	else if (!strcmp(kind, "extension_requested"))
		snprintf(out, n, "申请延期 %u 小时%s%s", c->extension_hours,
			 *c->reason ? "：" : "", c->reason);
	else if (!strcmp(kind, "extension_decided"))
		snprintf(out, n, "%s",
			 c->extension_approved ? "延期申请已批准" : "延期申请未批准");
	else if (!strcmp(kind, "rated"))
		snprintf(out, n, "居民评价：%u 星", c->rating);
	else
		out[0] = '\0';
	/* a trailing "；" from the progress template */
	size_t l = strlen(out);
	if (l >= 3 && !strcmp(out + l - 3, "；"))
		out[l - 3] = '\0';
}

static json_t *s_entry(const char *kind, const Qingfeng__V1__Envelope *env,
		       const Qingfeng__V1__CaseTransition *c, const char *note)
{
	int64_t at = c->at_ms ? c->at_ms : env->time_ms;
	json_t *e = json_pack("{s:s, s:I, s:s, s:s}", "event", kind, "at_ms",
			      (json_int_t)at, "from", intake_state_name(c->from_state),
			      "to", intake_state_name(c->to_state));
	if (!e)
		return NULL;
	if (c->actor) {
		json_t *a = json_object();
		s_set_str(a, "staff_id", c->actor->staff_id);
		s_set_str(a, "role", c->actor->role);
		s_set_str(a, "name", c->actor->name);
		json_object_set_new(e, "actor", a);
	}
	s_set_str(e, "note", note);
	s_set_str(e, "command_id", c->command_id);
	s_set_str(e, "reason", c->reason);
	s_set_str(e, "assignee", c->assignee);
	s_set_str(e, "assignee_name", c->assignee_name);
	s_set_str(e, "assignee_post", c->assignee_post);
	s_set_str(e, "previous_assignee", c->previous_assignee);
	s_set_str(e, "cause", c->cause);
	s_set_str(e, "progress", c->progress);
	s_set_str(e, "result", c->result);
	s_set_str(e, "related_case", c->related_case);
	s_set_str(e, "escalation_role", c->escalation_role);
	if (c->reject_reason > 0 && c->reject_reason < 4)
		json_object_set_new(e, "reject_reason",
				    json_string(s_reject_names[c->reject_reason]));
	if (c->n_media) {
		json_t *m = json_array();
		for (size_t i = 0; i < c->n_media; i++) {
			const Qingfeng__V1__Attachment *a = c->media[i];
			json_t *x = json_object();
			s_set_str(x, "sha256", a->sha256);
			s_set_str(x, "content_type", a->content_type);
			s_set_str(x, "url", a->url);
			json_array_append_new(m, x);
		}
		json_object_set_new(e, "media", m);
	}
	if (c->rating)
		json_object_set_new(e, "rating", json_integer(c->rating));
	s_set_str(e, "comment", c->comment);
	if (c->extension_hours)
		json_object_set_new(e, "extension_hours",
				    json_integer(c->extension_hours));
	if (!strcmp(kind, "extension_decided"))
		json_object_set_new(e, "extension_approved",
				    json_boolean(c->extension_approved));
	if (c->closed_without_feedback)
		json_object_set_new(e, "closed_without_feedback", json_true());
	if (c->resolve_due_ms)
		json_object_set_new(e, "resolve_due_ms", json_integer(c->resolve_due_ms));
	return e;
}

/* The status note the public may read: made from the event's public part
 * as qf_privacy decides it with the case's context (again: a producer's
 * envelope is already public, and filtering a public part changes nothing). */
static void s_public_note(struct intake *in, struct qf_txn *t, const json_t *rec,
			  const Qingfeng__V1__Envelope *env, const char *kind, char *out,
			  size_t n)
{
	struct qf_privacy pc;
	struct intake_mask mask;
	char key[64];
	uint8_t *pub = NULL;
	size_t pl = 0;
	int differs;
	out[0] = '\0';
	intake_case_privacy(in, rec, &pc, key, sizeof key);
	intake_mask_case(in, t, rec, &mask);
	pc.mask = &mask.mo;
	if (qf_privacy_public(&qingfeng__v1__case_transition__descriptor, env->payload.data,
			      env->payload.len, &pc, &pub, &pl, &differs))
		return;
	Qingfeng__V1__CaseTransition *c =
		qingfeng__v1__case_transition__unpack(NULL, pl, pub);
	if (c) {
		s_note(kind, c, out, n);
		qingfeng__v1__case_transition__free_unpacked(c, NULL);
	}
	free(pub);
}

static int s_transition(struct intake *in, struct qf_txn *t,
			const Qingfeng__V1__Envelope *env, const char *kind,
			const Qingfeng__V1__CaseTransition *c)
{
	const char *case_id = c->case_id && *c->case_id ? c->case_id : env->case_id;
	if (!case_id || !*case_id || strlen(case_id) > 40)
		return QF_OK;
	int rc;
	json_t *rec = intake_case_get(in, t, case_id);
	if (!rec) {
		/* submitted through another replica: learn what the router tells */
		rec = json_pack(
		    "{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:i, s:b, s:b}", "id", case_id,
		    "code", c->tracking_code ? c->tracking_code : "", "category",
		    c->category ? c->category : "", "building",
		    c->building && *c->building ? c->building : env->partition_key,
		    "submitted_ms", (json_int_t)c->submitted_ms, "origin", "remote",
		    "state", "submitted", "timeline_n", 0, "consent_public", 0,
		    "anonymous", 1);
		if (!rec)
			return QF_ERR_NOMEM;
		const struct qf_category *cat = qf_community_category(
		    intake_world_get(in)->community, c->category ? c->category : "");
		json_object_set_new(rec, "sensitive",
				    json_boolean(!cat || cat->sensitive ||
						 (c->concerns_staff && *c->concerns_staff) ||
						 !strcmp(env->partition_key, "sensitive")));
		if (c->tracking_code && *c->tracking_code &&
		    strlen(c->tracking_code) < 32) {
			MDB_val v;
			if (qf_txn_get(t, in->db.codes, c->tracking_code,
				       strlen(c->tracking_code), &v) == QF_ERR_NOTFOUND &&
			    (rc = qf_txn_put(t, in->db.codes, c->tracking_code,
					     strlen(c->tracking_code), case_id,
					     strlen(case_id), 0))) {
				json_decref(rec);
				return rc;
			}
		}
	}
	if (c->to_state)
		json_object_set_new(rec, "state",
				    json_string(intake_state_name(c->to_state)));
	s_set_str(rec, "assignee", c->assignee);
	s_set_str(rec, "assignee_name", c->assignee_name);
	s_set_str(rec, "assignee_post", c->assignee_post);
	s_set_str(rec, "owner", c->owner);
	s_set_str(rec, "escalated_to", c->escalated_to);
	s_set_str(rec, "priority", c->priority);
	if (c->respond_due_ms)
		json_object_set_new(rec, "respond_due_ms",
				    json_integer(c->respond_due_ms));
	if (c->resolve_due_ms)
		json_object_set_new(rec, "resolve_due_ms",
				    json_integer(c->resolve_due_ms));
	if (c->transfer_count)
		json_object_set_new(rec, "transfer_count",
				    json_integer(c->transfer_count));
	if (c->related_case && *c->related_case && !strcmp(kind, "merged"))
		json_object_set_new(rec, "merged_into", json_string(c->related_case));
	int64_t at = c->at_ms ? c->at_ms : env->time_ms;
	json_object_set_new(rec, "updated_ms", json_integer(at));
	if (!strcmp(kind, "resolved")) {
		json_int_t n = json_integer_value(json_object_get(rec, "resolved_n"));
		json_object_set_new(rec, "resolved_n", json_integer(n + 1));
	}
	char note[1200];
	s_note(kind, c, note, sizeof note);
	if (note[0])
		json_object_set_new(rec, "status_notes", json_string(note));
	/* what the public may read of it: the same note from the public part */
	char pnote[1200];
	s_public_note(in, t, rec, env, kind, pnote, sizeof pnote);
	json_object_set_new(rec, "status_notes_public", json_string(pnote));
	json_t *entry = s_entry(kind, env, c, note);
	if (!entry) {
		json_decref(rec);
		return QF_ERR_NOMEM;
	}
	rc = intake_timeline_add(in, t, case_id, rec, entry);
	json_decref(entry);
	if (!rc)
		rc = intake_case_put(in, t, case_id, rec);
	json_decref(rec);
	if (rc)
		return rc;
	/* a transition that carries a petitioner's command (feedback,
	   supplement) answers it */
	const char *cmd =
	    c->command_id && *c->command_id ? c->command_id : env->correlation_id;
	if (cmd && *cmd && strlen(cmd) <= 40) {
		json_t *res =
		    json_pack("{s:i, s:b, s:s, s:s, s:s, s:s}", "status", 200, "ok", 1,
			      "code", kind, "message", note, "state",
			      intake_state_name(c->to_state), "case_id", case_id);
		if (!res)
			return QF_ERR_NOMEM;
		rc = s_complete(in, t, cmd, res, 1);
	}
	qf_metric_inc(in->m.events_applied);
	return rc;
}

/* ------------------------------------------------------------ retention */

/* Delete what is stored for a case under its key before the key goes:
 * nobody could open it afterwards, and a row that cannot be opened is only
 * in the way. Best effort: forgetting the key is what makes them
 * unreadable, wherever old copies of the pages are. */
static int s_drop_case_rows(struct intake *in, struct qf_txn *t, const char *id,
			    const json_t *rec)
{
	size_t i;
	json_t *m;
	int rc;
	json_array_foreach(json_object_get(rec, "media_owned"), i, m)
	{
		if (json_is_string(m) &&
		    (rc = intake_media_del(in, t, json_string_value(m), id)))
			return rc;
	}
	rc = qf_txn_del(t, in->db.contact, id, strlen(id));
	if (rc && rc != QF_ERR_NOTFOUND)
		return rc;
	/* contact views: keyed case id || time || staff id */
	size_t il = strlen(id);
	for (;;) {
		MDB_cursor *c;
		if (mdb_cursor_open(qf_txn_mdb(t), in->db.views, &c))
			return QF_ERR_STORE;
		MDB_val k = {il, (void *)id}, v;
		int mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		int mine = mrc == 0 && k.mv_size > il + 8 && !memcmp(k.mv_data, id, il);
		if (mine)
			mrc = mdb_cursor_del(c, 0);
		mdb_cursor_close(c);
		if (!mine)
			return QF_OK;
		if (mrc)
			return qf_store_err(mrc);
	}
}

/* PRIVATE_EXPIRED (the router, on its retention schedule): forget the
 * subject's key in this transaction. For a case: its sealed record part,
 * contact, photos, notes, contact views, idempotent answer and the private
 * parts of its events in the outbox become unreadable at once; the public
 * facts (state, category, codes, times, the events' public parts) stay and
 * the follow view says what happened. */
static int s_expired(struct intake *in, struct qf_txn *t, const Qingfeng__V1__Envelope *env)
{
	if (strncmp(env->producer, "router", 6)) /* only the router decides */
		return QF_OK;
	ProtobufCMessage *pm = qf_event_payload(env);
	const Qingfeng__V1__PrivateExpired *x = (const Qingfeng__V1__PrivateExpired *)pm;
	const char *subject = x && x->subject && *x->subject ? x->subject
			      : x && x->case_id ? x->case_id
						: "";
	size_t sl = strlen(subject);
	int ok = sl >= 1 && sl <= QF_VAULT_SUBJECT_MAX;
	for (size_t i = 0; ok && i < sl; i++)
		ok = (unsigned char)subject[i] > 0x20 && (unsigned char)subject[i] < 0x7f;
	if (!ok) {
		qf_warn("expiry_ignored", "seq=%llu detail=\"no usable subject\"",
			(unsigned long long)env->seq);
		if (pm)
			protobuf_c_message_free_unpacked(pm, NULL);
		return QF_OK;
	}
	int rc = QF_OK;
	json_t *rec = subject[0] == 'C' && sl <= 40 ? intake_case_get(in, t, subject) : NULL;
	if (rec)
		rc = s_drop_case_rows(in, t, subject, rec);
	if (!rc)
		rc = qf_vault_forget(in->vault, t, subject);
	if (!rc && rec) {
		int64_t at = x->at_ms ? x->at_ms : env->time_ms;
		json_object_set_new(rec, "expired_ms", json_integer(at));
		if (x->final_ms)
			json_object_set_new(rec, "final_ms", json_integer(x->final_ms));
		json_object_set_new(rec, "retention_days", json_integer(x->retention_days));
		/* written again: only the readable members can be (the key is
		   gone), so even this page holds no personal data */
		rc = intake_case_put(in, t, subject, rec);
	}
	if (!rc)
		qf_info("private_expired", "subject=%s case=%d retention_days=%u", subject,
			rec != NULL, x->retention_days);
	json_decref(rec);
	protobuf_c_message_free_unpacked(pm, NULL);
	return rc;
}

int intake_consume(void *app, struct qf_txn *t, const struct qf_bus_msg *m)
{
	struct intake *in = app;
	const Qingfeng__V1__Envelope *env = m->env;
	const char *kind = s_kind_name(env->type);
	int is_result = env->type == QINGFENG__V1__EVENT_TYPE__ACTION_RESULT;
	if (env->type == QINGFENG__V1__EVENT_TYPE__PRIVATE_EXPIRED)
		return s_expired(in, t, env);
	if (env->type == QINGFENG__V1__EVENT_TYPE__AUDIT_ALERT)
		return intake_alert_apply(in, t, env, m->priv, m->priv_len);
	if (!kind && !is_result)
		return QF_OK; /* not ours to follow (warnings, deliveries, ...) */
	/* the follow view is the petitioner's own: the whole event */
	ProtobufCMessage *pm = qf_event_payload_full(env, m->priv, m->priv_len);
	if (!pm) {
		qf_warn("event_undecodable", "producer=%s partition=%u seq=%llu type=%d",
			env->producer, env->partition, (unsigned long long)env->seq,
			env->type);
		return QF_OK;
	}
	int rc;
	if (is_result) {
		rc = s_action_result(in, t, env, (const Qingfeng__V1__ActionResult *)pm);
	} else {
		rc = s_transition(in, t, env, kind, (const Qingfeng__V1__CaseTransition *)pm);
	}
	protobuf_c_message_free_unpacked(pm, NULL);
	return rc;
}

int intake_on_incarnation(void *app, struct qf_txn *t, const char *producer,
			  uint64_t old_epoch, uint64_t new_epoch)
{
	(void)app;
	(void)t;
	qf_warn(
	    "producer_new_incarnation",
	    "producer=%s old_epoch=%016llx new_epoch=%016llx detail=\"following the new "
	    "stream; the follow view keeps what it learned from the old one\"",
	    producer, (unsigned long long)old_epoch, (unsigned long long)new_epoch);
	return QF_OK;
}
