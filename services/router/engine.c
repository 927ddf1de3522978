/* engine.c: consumed events and due timers -> case changes and router events
 * (engine.h).
 *
 * Each entry point reads the case, asks the state machine (fsm.c) for a
 * verdict, applies the row's effect to a copy of the record, emits the row's
 * outputs, then writes the record once (rdb.c updates the indexes from the
 * old and new record). Event times: transitions caused by intake's events
 * carry that event's time (the same on every replay); timer-driven ones carry
 * the router's clock.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "duty.h"
#include "early.h"
#include "fsm.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"
#include "retention.h"
#include "routing.h"

#define ET(x)  QINGFENG__V1__EVENT_TYPE__##x
#define DAY_MS 86400000LL

/* ------------------------------------------------------------ messages */

static void s_actor(Qingfeng__V1__Actor *a, const struct qf_staff *s, const char *role)
{
	qingfeng__v1__actor__init(a);
	if (s) {
		a->staff_id = s->id;
		a->role = s->role;
		a->name = s->name;
	} else if (strcmp(role, "petitioner") == 0) {
		a->role = "petitioner";
		a->name = "诉求人";
	} else {
		a->role = "system";
		a->name = "系统";
	}
}

static char *s_str(const char *s) { return (char *)(s ? s : ""); }

static void s_transition(const struct rt_engine *e, Qingfeng__V1__CaseTransition *ct,
			 const struct rt_case *k, int from, int to,
			 Qingfeng__V1__Actor *actor, const char *reason,
			 const char *cmd_id, int64_t at)
{
	qingfeng__v1__case_transition__init(ct);
	const struct qf_staff *as = qf_community_staff(e->community, k->assignee);
	ct->case_id = s_str(k->id);
	ct->tracking_code = s_str(k->tracking);
	ct->from_state = (Qingfeng__V1__CaseState)from;
	ct->to_state = (Qingfeng__V1__CaseState)to;
	ct->actor = actor;
	ct->reason = s_str(reason);
	ct->command_id = s_str(cmd_id);
	ct->assignee = s_str(k->assignee);
	ct->assignee_name = s_str(as ? as->name : "");
	ct->assignee_post = s_str(as ? as->post : "");
	ct->category = s_str(k->category);
	ct->building = s_str(k->building);
	ct->priority = s_str(k->priority);
	ct->respond_due_ms = k->dl[RT_RESPOND].due_ms;
	ct->resolve_due_ms = k->dl[RT_RESOLVE].due_ms;
	ct->at_ms = at;
	ct->transfer_count = k->transfer_count;
	ct->submitted_ms = k->submitted_ms;
	ct->owner = s_str(k->owner);
	ct->escalated_to = s_str(k->escalated_to);
	ct->consent_public = (k->flags & RT_F_CONSENT) != 0;
}

static int s_emit_case(struct rt_engine *e, struct qf_txn *t, int type, struct rt_case *k,
		       const char *corr, const ProtobufCMessage *m)
{
	e->pending.transitions++;
	return rt_engine_emit(e, t, type, k->building, k->id, corr, m, k, 1);
}

static int s_result(struct rt_engine *e, struct qf_txn *t,
		    const Qingfeng__V1__Envelope *env, const char *cmd_id,
		    const char *case_id, const struct rt_verdict *v,
		    const struct rt_case *k)
{
	Qingfeng__V1__ActionResult r = QINGFENG__V1__ACTION_RESULT__INIT;
	r.command_id = s_str(cmd_id);
	r.case_id = s_str(case_id);
	r.ok = v->status == 200;
	r.status = v->status;
	r.code = s_str(v->code);
	r.message = s_str(v->message);
	r.state = k ? (Qingfeng__V1__CaseState)k->state : 0;
	r.assignee = s_str(k ? k->assignee : "");
	if (r.ok)
		e->pending.actions_ok++;
	else
		e->pending.actions_refused++;
	return rt_engine_emit(e, t, ET(ACTION_RESULT), env->partition_key, case_id,
			      cmd_id, &r.base, (struct rt_case *)k, 0);
}

/* ------------------------------------------------------------ transitions */

/* What a command brings beyond the verdict's inputs (notes, media...). */
struct rt_extra {
	const char *cmd_id;
	Qingfeng__V1__Actor *actor;
	const char *reason;
	const char *cause, *progress, *result;
	size_t nmedia;
	Qingfeng__V1__Attachment **media;
	int reject_reason;
	const char *related_id;
	uint32_t ext_hours;
	uint32_t rating;
	const char *comment;
};

/* ------------------------------------------------------------ effects */

/* What an effect reads and writes: the case, the command, and what the
 * outputs report back (an extension decision). */
struct rt_fx {
	struct rt_engine *e;
	struct qf_txn *t;
	struct rt_case *k;
	const struct rt_cmd *cmd;
	const struct rt_extra *x;
	const char *aid; /* the actor's id, "" for the system or petitioner */
	int64_t at;
	uint32_t decided_h;
	int approved;
};

static int s_fx_take(struct rt_fx *f)
{
	if (!f->k->owner[0])
		rt_copy(f->k->owner, sizeof f->k->owner, f->aid);
	rt_copy(f->k->assignee, sizeof f->k->assignee, f->aid);
	return QF_OK;
}

static int s_fx_hand_over(struct rt_fx *f)
{
	rt_copy(f->k->assignee, sizeof f->k->assignee, f->cmd->target);
	return QF_OK;
}

static int s_fx_transfer(struct rt_fx *f)
{
	if (f->k->owner[0])
		rt_copy(f->k->owner, sizeof f->k->owner, f->cmd->target);
	f->k->transfer_count++;
	return QF_OK;
}

static int s_fx_respond_stop(struct rt_fx *f)
{
	if (!f->k->dl[RT_RESPOND].met_ms)
		f->k->dl[RT_RESPOND].met_ms = f->at;
	return QF_OK;
}

static int s_fx_resolve_stop(struct rt_fx *f)
{
	f->k->resolved_ms = f->at;
	f->k->dl[RT_RESOLVE].met_ms = f->at;
	f->k->flags &= ~(unsigned)RT_F_FEEDBACK;
	f->k->rating = 0;
	return QF_OK;
}

static int s_fx_link(struct rt_fx *f)
{
	if (f->cmd->related_id && f->cmd->related)
		rt_copy(f->k->related, sizeof f->k->related, f->cmd->related_id);
	return QF_OK;
}

static int s_fx_end(struct rt_fx *f)
{
	f->k->closed_ms = f->at;
	return QF_OK;
}

static int s_fx_ext_pend(struct rt_fx *f)
{
	f->k->ext_pending_h = f->cmd->ext_hours;
	rt_copy(f->k->ext_requester, sizeof f->k->ext_requester, f->aid);
	return QF_OK;
}

static int s_fx_ext_grant(struct rt_fx *f)
{
	f->approved = 1;
	f->k->ext_hours += f->k->ext_pending_h;
	rt_dl_extend(f->e->community, f->e->conf, f->k, f->at);
	return QF_OK;
}

static int s_fx_ext_clear(struct rt_fx *f)
{
	f->decided_h = f->k->ext_pending_h;
	f->k->ext_pending_h = 0;
	f->k->ext_requester[0] = '\0';
	return QF_OK;
}

static int s_fx_rate(struct rt_fx *f)
{
	f->k->rating = f->x->rating;
	f->k->flags |= RT_F_FEEDBACK;
	return QF_OK;
}

static int s_fx_restart(struct rt_fx *f)
{
	f->k->reopen_count++;
	f->k->resolved_ms = 0;
	f->k->closed_ms = 0;
	f->k->dl[RT_RESOLVE].met_ms = 0;
	return QF_OK;
}

static int s_fx_unrate(struct rt_fx *f)
{
	f->k->flags &= ~(unsigned)RT_F_FEEDBACK;
	return QF_OK;
}

static int s_fx_merge_into(struct rt_fx *f)
{
	if (!f->cmd->related)
		return QF_OK;
	struct rt_case target = *f->cmd->related, old = *f->cmd->related;
	target.merged_in++;
	return rt_db_case_put(f->e->db, f->t, &old, &target, -1);
}

/* One function per RT_E_* bit, in bit order. */
static int (*const s_effects[RT_E_NBITS])(struct rt_fx *) = {
    s_fx_take, s_fx_hand_over, s_fx_transfer, s_fx_respond_stop, s_fx_resolve_stop,
    s_fx_link, s_fx_end,       s_fx_ext_pend, s_fx_ext_grant,	 s_fx_ext_clear,
    s_fx_rate, s_fx_restart,   s_fx_unrate,   s_fx_merge_into,
};

/* ------------------------------------------------------------ rows */

/* Apply row (already allowed) to k: its effects, then its outputs. */
static int s_apply_row(struct rt_engine *e, struct qf_txn *t, struct rt_case *k,
		       const struct rt_row *row, const struct rt_cmd *cmd,
		       const struct rt_extra *x, int64_t at)
{
	int from = k->state, to = row->to == RT_SAME ? from : row->to;
	char previous[RT_STAFF_MAX];
	int rc;
	memcpy(previous, k->assignee, sizeof previous);
	struct rt_fx fx = {.e = e,
			   .t = t,
			   .k = k,
			   .cmd = cmd,
			   .x = x,
			   .aid = cmd->actor ? cmd->actor->id : "",
			   .at = at};
	for (unsigned i = 0; i < RT_E_NBITS; i++)
		if ((row->effects & (1u << i)) && (rc = s_effects[i](&fx)))
			return rc;
	int closed_without_feedback = !(k->flags & RT_F_FEEDBACK);
	k->state = to;
	for (int i = 0; i < 2 && row->out[i]; i++) {
		int type = row->out[i];
		int two = row->out[1] != 0;
		int f = from, tt = (two && i == 0) ? from : to;
		const char *reason = i == 1 && row->why2 ? row->why2 : x->reason;
		Qingfeng__V1__CaseTransition ct;
		s_transition(e, &ct, k, f, tt, x->actor, reason, x->cmd_id, at);
		switch (type) {
		case ET(CASE_ASSIGNED):
		case ET(CASE_TRANSFERRED):
			ct.previous_assignee = previous;
			break;
		case ET(CASE_PROGRESS):
			ct.cause = s_str(x->cause);
			ct.progress = s_str(x->progress);
			ct.result = s_str(x->result);
			ct.comment = s_str(x->comment);
			ct.n_media = x->nmedia;
			ct.media = x->media;
			break;
		case ET(CASE_RESOLVED):
			ct.result = s_str(x->result);
			ct.cause = s_str(x->cause);
			ct.n_media = x->nmedia;
			ct.media = x->media;
			break;
		case ET(CASE_REJECTED):
			ct.reject_reason = (Qingfeng__V1__RejectReason)x->reject_reason;
			ct.related_case = k->related;
			break;
		case ET(CASE_MERGED):
			ct.related_case = k->related;
			break;
		case ET(CASE_CLOSED):
			ct.closed_without_feedback = closed_without_feedback;
			ct.rating = k->rating;
			break;
		case ET(CASE_RATED):
			ct.rating = x->rating;
			ct.comment = s_str(x->comment);
			break;
		case ET(EXTENSION_REQUESTED):
			ct.extension_hours = cmd->ext_hours;
			break;
		case ET(EXTENSION_DECIDED):
			ct.extension_hours = fx.decided_h;
			ct.extension_approved = fx.approved;
			break;
		default:
			break;
		}
		if ((rc = s_emit_case(e, t, type, k, x->cmd_id, &ct.base)))
			return rc;
	}
	return QF_OK;
}

/* Write k after a change: recompute its next timer first. */
static int s_put(struct rt_engine *e, struct qf_txn *t, const struct rt_case *old,
		 struct rt_case *k, int64_t now)
{
	k->updated_ms = now;
	return rt_db_case_put(e->db, t, old, k, rt_dl_next(e->community, e->conf, k));
}

/* ------------------------------------------------------------ petition */

static int s_bad(struct rt_engine *e, const char *event, const char *case_id,
		 const char *why)
{
	char b1[128], b2[128];
	qf_warn("event_ignored", "event=%s case=%s reason=%s", event,
		qf_log_q(case_id ? case_id : "", b1, sizeof b1),
		qf_log_q(why, b2, sizeof b2));
	e->pending.ignored++;
	return QF_OK;
}

int rt_engine_petition(struct rt_engine *e, struct qf_txn *t,
		       const Qingfeng__V1__Envelope *env,
		       const Qingfeng__V1__PetitionSubmitted *p)
{
	int rc = rt_engine_touch(e, t);
	if (rc)
		return rc;
	const char *id = p->case_id[0] ? p->case_id : env->case_id;
	struct rt_case k, old;
	rt_case_init(&k);
	if (!id[0] || rt_copy(k.id, sizeof k.id, id))
		return s_bad(e, "PETITION_SUBMITTED", id, "case id missing or too long");
	if (rt_copy(k.tracking, sizeof k.tracking, p->tracking_code) ||
	    rt_copy(k.category, sizeof k.category, p->category) ||
	    rt_copy(k.building, sizeof k.building, p->building) ||
	    rt_copy(k.concerns, sizeof k.concerns, p->concerns_staff))
		return s_bad(e, "PETITION_SUBMITTED", id, "a field is too long");
	if (!k.category[0] || !k.building[0])
		return s_bad(e, "PETITION_SUBMITTED", id, "category or building missing");
	if (p->n_parties > RT_MAX_PARTIES)
		return s_bad(e, "PETITION_SUBMITTED", id, "too many parties");
	for (size_t i = 0; i < p->n_parties; i++)
		if (rt_copy(k.parties[k.nparties++], RT_STAFF_MAX, p->parties[i]))
			return s_bad(e, "PETITION_SUBMITTED", id, "party id too long");
	rc = rt_db_case_get(e->db, t, k.id, &old);
	if (rc != QF_ERR_NOTFOUND) {
		if (rc && rc != QF_ERR_PROTO)
			return rc;
		e->pending.duplicates++;
		return s_bad(e, "PETITION_SUBMITTED", id, "case already known");
	}
	k.submitted_ms = p->submitted_ms > 0 ? p->submitted_ms : env->time_ms;
	const struct qf_category *cat = qf_community_category(e->community, k.category);
	if (cat) {
		k.respond_h = (uint32_t)cat->respond_h;
		k.resolve_h = (uint32_t)cat->resolve_h;
		rt_copy(k.priority, sizeof k.priority, cat->priority);
		if (cat->working_hours)
			k.flags |= RT_F_WORKING;
	} else {
		char b[64];
		qf_warn("unknown_category", "case=%s category=%s", k.id,
			qf_log_q(k.category, b, sizeof b));
		k.respond_h = (uint32_t)e->conf->fallback_respond_h;
		k.resolve_h = (uint32_t)e->conf->fallback_resolve_h;
		rt_copy(k.priority, sizeof k.priority, "normal");
		k.flags |= RT_F_UNKNOWN_CAT;
	}
	if (k.concerns[0] || (e->conf->integrity_category[0] &&
			      strcmp(k.category, e->conf->integrity_category) == 0))
		k.flags |= RT_F_INTEGRITY;
	if (p->consent_public)
		k.flags |= RT_F_CONSENT;
	rt_dl_set_dues(e->community, &k);
	/* an anonymous petition is never linked to its author's others */
	if ((rc = rt_early_repeat_link(e, t, &k, p->petitioner_pseudonym.data,
				       p->anonymous ? 0 : p->petitioner_pseudonym.len)))
		return rc;
	char why[256];
	const struct qf_staff *to =
	    rt_route_assign(e->community, e->conf, &k, why, sizeof why);
	if (to)
		rt_copy(k.assignee, sizeof k.assignee, to->id);
	else
		qf_error("unroutable", "case=%s reason=all_staff_excluded", k.id);

	/* the petition as received, minus what the router must not keep */
	Qingfeng__V1__PetitionSubmitted copy = *p;
	copy.n_contact = 0;
	copy.contact = NULL;
	copy.petitioner_pseudonym.len = 0;
	copy.petitioner_pseudonym.data = NULL;
	size_t plen = protobuf_c_message_get_packed_size(&copy.base);
	uint8_t *pbuf = malloc(plen ? plen : 1);
	if (!pbuf)
		return QF_ERR_NOMEM;
	protobuf_c_message_pack(&copy.base, pbuf);
	rc = rt_db_petition_put(e->db, t, k.id, pbuf, plen);
	free(pbuf);
	if (rc)
		return rc;
	const struct rt_row *row = rt_fsm_row(RT_SUBMITTED, RT_IN_ROUTE);
	Qingfeng__V1__Actor sys;
	s_actor(&sys, NULL, "system");
	int64_t at = env->time_ms > 0 ? env->time_ms : k.submitted_ms;
	/* CASE_ASSIGNED carries the integrity fields the router was given; not
	   the earlier case of a repeat: related_case is public on other cases,
	   and the link is the petitioner's (REPEAT_LINKED, private) */
	k.state = row->to;
	Qingfeng__V1__CaseTransition ct;
	s_transition(e, &ct, &k, RT_SUBMITTED, RT_ASSIGNED, &sys, why, "", at);
	ct.concerns_staff = k.concerns;
	if ((rc = s_emit_case(e, t, row->out[0], &k, "", &ct.base)))
		return rc;
	if (k.repeat_of[0] && (rc = rt_early_repeat_emit(e, t, &k, at)))
		return rc;
	if ((rc = rt_early_cluster(e, t, &k, at)))
		return rc;
	e->pending.cases++;
	return s_put(e, t, NULL, &k, at);
}

/* ------------------------------------------------------------ actions */

int rt_engine_action(struct rt_engine *e, struct qf_txn *t,
		     const Qingfeng__V1__Envelope *env,
		     const Qingfeng__V1__StaffActionRequested *a)
{
	int rc = rt_engine_touch(e, t);
	if (rc)
		return rc;
	const char *cmd_id = a->command_id[0] ? a->command_id : env->correlation_id;
	const char *case_id = a->case_id[0] ? a->case_id : env->case_id;
	struct rt_verdict v;
	memset(&v, 0, sizeof v);
	struct rt_case k, old, related;
	rc = rt_db_case_get(e->db, t, case_id, &k);
	if (rc == QF_ERR_NOTFOUND) {
		v.status = 404;
		v.code = "case_unknown";
		snprintf(v.message, sizeof v.message, "找不到案件「%.64s」", case_id);
		return s_result(e, t, env, cmd_id, case_id, &v, NULL);
	}
	if (rc == QF_ERR_PROTO) {
		qf_error("case_unreadable", "case=%s", case_id);
		v.status = 409;
		v.code = "case_unreadable";
		snprintf(v.message, sizeof v.message, "案件记录无法读取，请联系管理员");
		return s_result(e, t, env, cmd_id, case_id, &v, NULL);
	}
	if (rc)
		return rc;
	old = k;
	int input = rt_input_of_action(a->action);
	if (!input) {
		v.status = 409;
		v.code = "unknown_action";
		snprintf(v.message, sizeof v.message, "不支持的操作（%d）",
			 (int)a->action);
		return s_result(e, t, env, cmd_id, case_id, &v, &k);
	}
	const struct qf_staff *actor =
	    a->actor ? qf_community_staff(e->community, a->actor->staff_id) : NULL;
	struct rt_cmd cmd = {
	    .input = input,
	    .actor = actor,
	    .target = a->target_staff,
	    .reason = a->reason,
	    .cause = a->cause,
	    .progress = a->progress,
	    .result = a->result,
	    .nmedia = a->n_media,
	    .reject_reason = (int)a->reject_reason,
	    .related_id = a->related_case,
	    .ext_hours = a->extension_hours,
	};
	if (a->related_case[0] && (input == RT_IN_MERGE || input == RT_IN_REJECT)) {
		rc = rt_db_case_get(e->db, t, a->related_case, &related);
		if (rc == QF_OK)
			cmd.related = &related;
		else if (rc != QF_ERR_NOTFOUND && rc != QF_ERR_PROTO)
			return rc;
	}
	rt_fsm_decide(e->community, e->conf, &k, &cmd, &v);
	if (v.status == 200) {
		int64_t at = env->time_ms > 0 ? env->time_ms : qf_now_ms(e->clock);
		Qingfeng__V1__Actor act;
		s_actor(&act, actor, "staff");
		struct rt_extra x = {
		    .cmd_id = cmd_id,
		    .actor = &act,
		    .reason = a->reason,
		    .cause = a->cause,
		    .progress = a->progress,
		    .result = a->result,
		    .nmedia = a->n_media,
		    .media = a->media,
		    .reject_reason = (int)a->reject_reason,
		    .related_id = a->related_case,
		};
		if ((rc = s_apply_row(e, t, &k, v.row, &cmd, &x, at)) ||
		    (rc = s_put(e, t, &old, &k, at)))
			return rc;
	}
	return s_result(e, t, env, cmd_id, case_id, &v, &k);
}

/* ------------------------------------------------------------ petitioner */

/* A petitioner's command (feedback, supplement) on case_id: input decided
 * against the case and applied with x; `bad` (or NULL) is a refusal found
 * before, answered once the case is known. Answered under cmd_id when the
 * event carries one; counted otherwise. */
static int s_petitioner(struct rt_engine *e, struct qf_txn *t,
			const Qingfeng__V1__Envelope *env, const char *event,
			const char *cmd_id, const char *case_id, int input,
			struct rt_extra *x, int64_t at, const struct rt_verdict *bad)
{
	int rc = rt_engine_touch(e, t);
	if (rc)
		return rc;
	struct rt_verdict v;
	memset(&v, 0, sizeof v);
	struct rt_case k, old;
	rc = rt_db_case_get(e->db, t, case_id, &k);
	if (rc == QF_ERR_NOTFOUND || rc == QF_ERR_PROTO) {
		if (!cmd_id[0])
			return s_bad(e, event, case_id, "unknown case");
		v.status = 404;
		v.code = "case_unknown";
		snprintf(v.message, sizeof v.message, "找不到案件「%.64s」", case_id);
		return s_result(e, t, env, cmd_id, case_id, &v, NULL);
	}
	if (rc)
		return rc;
	old = k;
	if (bad) {
		if (!cmd_id[0])
			return s_bad(e, event, case_id, bad->message);
		v = *bad;
		return s_result(e, t, env, cmd_id, case_id, &v, &k);
	}
	struct rt_cmd cmd = {.input = input};
	rt_fsm_decide(e->community, e->conf, &k, &cmd, &v);
	if (v.status == 200) {
		if (at <= 0)
			at = env->time_ms > 0 ? env->time_ms : qf_now_ms(e->clock);
		Qingfeng__V1__Actor act;
		s_actor(&act, NULL, "petitioner");
		x->cmd_id = cmd_id;
		x->actor = &act;
		x->reason = "";
		if ((rc = s_apply_row(e, t, &k, v.row, &cmd, x, at)) ||
		    (rc = s_put(e, t, &old, &k, at)))
			return rc;
	} else if (!cmd_id[0]) {
		char b[128];
		qf_info("petitioner_refused", "event=%s case=%s code=%s", event, case_id,
			qf_log_q(v.code, b, sizeof b));
		e->pending.actions_refused++;
		return QF_OK;
	}
	if (!cmd_id[0]) {
		e->pending.actions_ok++;
		return QF_OK;
	}
	return s_result(e, t, env, cmd_id, case_id, &v, &k);
}

int rt_engine_feedback(struct rt_engine *e, struct qf_txn *t,
		       const Qingfeng__V1__Envelope *env,
		       const Qingfeng__V1__FeedbackGiven *f)
{
	const char *cmd_id = f->command_id[0] ? f->command_id : env->correlation_id;
	const char *case_id = f->case_id[0] ? f->case_id : env->case_id;
	struct rt_verdict bad = {.status = 409, .code = "bad_rating"};
	snprintf(bad.message, sizeof bad.message, "评价须为1至5星");
	int ok = f->rating >= 1 && f->rating <= 5;
	int input = (int)f->rating >= e->conf->good_rating   ? RT_IN_RATE_GOOD
		    : (int)f->rating <= e->conf->poor_rating ? RT_IN_RATE_POOR
							     : RT_IN_RATE_MID;
	struct rt_extra x = {.rating = f->rating, .comment = f->comment};
	return s_petitioner(e, t, env, "FEEDBACK_GIVEN", cmd_id, case_id, input, &x,
			    f->given_ms, ok ? NULL : &bad);
}

int rt_engine_supplement(struct rt_engine *e, struct qf_txn *t,
			 const Qingfeng__V1__Envelope *env,
			 const Qingfeng__V1__PetitionSupplemented *s)
{
	const char *cmd_id = s->command_id[0] ? s->command_id : env->correlation_id;
	const char *case_id = s->case_id[0] ? s->case_id : env->case_id;
	struct rt_extra x = {.comment = s->text, .nmedia = s->n_media, .media = s->media};
	return s_petitioner(e, t, env, "PETITION_SUPPLEMENTED", cmd_id, case_id,
			    RT_IN_SUPPLEMENT, &x, s->supplemented_ms, NULL);
}

/* ------------------------------------------------------------ timers */

static const char *s_clock_label(int clock)
{
	return clock == RT_RESPOND ? "响应" : "办结";
}

static int s_escalate(struct rt_engine *e, struct qf_txn *t, struct rt_case *k, int clock,
		      int64_t now, const char **to_id)
{
	int level = -1;
	const struct qf_staff *s = rt_route_escalate(e->community, k, &level);
	*to_id = k->escalated_to;
	if (!s)
		return QF_OK;
	k->esc_level = level;
	rt_copy(k->escalated_to, sizeof k->escalated_to, s->id);
	*to_id = k->escalated_to;
	char reason[256];
	snprintf(reason, sizeof reason, "%s时限已过，升级至%s%s", s_clock_label(clock),
		 s->post, s->name);
	Qingfeng__V1__Actor sys;
	s_actor(&sys, NULL, "system");
	Qingfeng__V1__CaseTransition ct;
	s_transition(e, &ct, k, k->state, k->state, &sys, reason, "", now);
	ct.escalation_role = (char *)e->community->escalation[level];
	e->pending.escalations++;
	return s_emit_case(e, t, ET(CASE_ESCALATED), k, "", &ct.base);
}

static int s_warning(struct rt_engine *e, struct qf_txn *t, struct rt_case *k, int clock,
		     uint32_t permille, int breached, unsigned reminder,
		     const char *escalated_to, int64_t now)
{
	Qingfeng__V1__DeadlineWarning w = QINGFENG__V1__DEADLINE_WARNING__INIT;
	w.case_id = k->id;
	w.tracking_code = k->tracking;
	w.kind = clock == RT_RESPOND ? QINGFENG__V1__DEADLINE_KIND__DEADLINE_RESPOND
				     : QINGFENG__V1__DEADLINE_KIND__DEADLINE_RESOLVE;
	w.permille = permille;
	w.breached = breached;
	w.reminder = reminder;
	w.due_ms = k->dl[clock].due_ms;
	w.assignee = k->assignee;
	w.category = k->category;
	w.building = k->building;
	w.at_ms = now;
	w.escalated_to = s_str(escalated_to);
	return rt_engine_emit(e, t, ET(DEADLINE_WARNING), k->building, k->id, "", &w.base,
			      k, 1);
}

static int s_fire_case(struct rt_engine *e, struct qf_txn *t, const char *id, int64_t now)
{
	struct rt_case k, old;
	int rc = rt_db_case_get(e->db, t, id, &k);
	if (rc == QF_ERR_NOTFOUND || rc == QF_ERR_PROTO) {
		qf_warn("timer_orphan", "case=%s error=%s", id, qf_errname(rc));
		return QF_OK;
	}
	if (rc)
		return rc;
	k.timer_ms = 0; /* its key was just taken from the index */
	old = k;
	for (int clock = 0; clock < 2; clock++) {
		unsigned stage = 0;
		struct rt_deadline *d = &k.dl[clock];
		const char *to = "";
		switch (rt_dl_step(e->community, e->conf, &k, clock, now, &stage)) {
		case RT_DL_WARN:
			d->stage = (uint8_t)(stage + 1);
			e->pending.warnings++;
			rc = s_warning(e, t, &k, clock, e->conf->warn[stage], 0, 0, "",
				       now);
			break;
		case RT_DL_BREACH:
			d->breached = 1;
			d->stage = (uint8_t)e->conf->nwarn;
			d->last_notice_ms = now;
			e->pending.breaches++;
			if (!(rc = s_escalate(e, t, &k, clock, now, &to)))
				rc = s_warning(e, t, &k, clock,
					       rt_dl_used(e->community, &k, clock, now),
					       1, 0, to, now);
			break;
		case RT_DL_REMIND:
			d->reminders++;
			d->last_notice_ms = now;
			e->pending.reminders++;
			if (!(rc = s_escalate(e, t, &k, clock, now, &to)))
				rc = s_warning(e, t, &k, clock,
					       rt_dl_used(e->community, &k, clock, now),
					       1, d->reminders, to, now);
			break;
		case RT_DL_NONE:
			break;
		}
		if (rc)
			return rc;
	}
	if (k.state == RT_RESOLVED && k.resolved_ms &&
	    k.resolved_ms + (int64_t)e->conf->close_after_days * DAY_MS <= now) {
		const struct rt_row *row = rt_fsm_row(k.state, RT_IN_AUTO_CLOSE);
		Qingfeng__V1__Actor sys;
		s_actor(&sys, NULL, "system");
		char reason[128];
		snprintf(reason, sizeof reason, "办结后%d天未收到评价，自动结案",
			 e->conf->close_after_days);
		if (k.flags & RT_F_FEEDBACK)
			snprintf(reason, sizeof reason, "办结后%d天，自动结案",
				 e->conf->close_after_days);
		struct rt_cmd cmd = {.input = RT_IN_AUTO_CLOSE};
		struct rt_extra x = {.cmd_id = "", .actor = &sys, .reason = reason};
		e->pending.auto_closed++;
		if ((rc = s_apply_row(e, t, &k, row, &cmd, &x, now)))
			return rc;
	}
	k.updated_ms = now;
	int64_t next = rt_dl_next(e->community, e->conf, &k);
	if (next && next <= now) {
		/* cannot happen with a consistent deadline module; never spin */
		qf_error("timer_stuck", "case=%s due=%lld now=%lld", k.id,
			 (long long)next, (long long)now);
		next = now + 60000;
	}
	return rt_db_case_put(e->db, t, &old, &k, next);
}

/* The deadline and duty timers of router.due. */
static int s_fire_due(struct rt_engine *e, struct qf_txn *t, int64_t now, unsigned max,
		      unsigned *fired, int *more)
{
	for (;;) {
		int64_t due;
		char tag, id[160];
		int rc = rt_db_due_first(e->db, t, &due, &tag, id, sizeof id);
		if (rc == QF_ERR_NOTFOUND)
			return QF_OK;
		if (rc == QF_ERR_AGAIN)
			continue; /* a malformed key was removed */
		if (rc)
			return rc;
		if (due > now)
			return QF_OK;
		if (*fired >= max) {
			*more = 1;
			return QF_OK;
		}
		if ((rc = rt_db_due_del(e->db, t, due, tag, id)))
			return rc;
		(*fired)++;
		if (tag == RT_DUE_CASE)
			rc = s_fire_case(e, t, id, now);
		else if (tag == RT_DUE_DUTY)
			rc = rt_duty_fire(e, t, id, due, now);
		if (rc)
			return rc;
	}
}

int rt_engine_fire(struct rt_engine *e, struct qf_txn *t, int64_t now, unsigned max,
		   unsigned *fired, int *more)
{
	int rc = rt_engine_touch(e, t);
	if (rc)
		return rc;
	*fired = 0;
	*more = 0;
	if ((rc = s_fire_due(e, t, now, max, fired, more)) || *more)
		return rc;
	unsigned expired = 0;
	rc = rt_retention_fire(e, t, now, max - *fired, &expired, more);
	*fired += expired;
	return rc;
}

/* ------------------------------------------------------------ dispatch */

/* Payloads are decoded into the engine's arena: one bump allocation per
 * field instead of a malloc, all released at once after the event. Larger
 * messages fall back to malloc. */
static void *s_arena_alloc(void *arg, size_t n)
{
	struct rt_engine *e = arg;
	size_t need = (n + 15) & ~(size_t)15;
	if (need <= sizeof e->arena - e->arena_used) {
		void *p = e->arena + e->arena_used;
		e->arena_used += need;
		return p;
	}
	return malloc(n ? n : 1);
}

static void s_arena_free(void *arg, void *p)
{
	struct rt_engine *e = arg;
	if ((uint8_t *)p < e->arena || (uint8_t *)p >= e->arena + sizeof e->arena)
		free(p);
}

int rt_engine_apply(void *app, struct qf_txn *t, const struct qf_bus_msg *m)
{
	struct rt_engine *e = app;
	const Qingfeng__V1__Envelope *env = m->env;
	switch ((int)env->type) {
	case ET(PETITION_SUBMITTED):
	case ET(STAFF_ACTION_REQUESTED):
	case ET(FEEDBACK_GIVEN):
	case ET(PETITION_SUPPLEMENTED):
	case ET(VISIT_RECORDED):
		break;
	default:
		return QF_OK;
	}
	const ProtobufCMessageDescriptor *desc = qf_event_payload_descriptor(env->type);
	ProtobufCAllocator arena = {s_arena_alloc, s_arena_free, e};
	e->arena_used = 0;
	/* the whole event: its private part when one came with it */
	ProtobufCMessage *p =
	    m->priv ? protobuf_c_message_unpack(desc, &arena, m->priv_len, m->priv)
		    : protobuf_c_message_unpack(desc, &arena, env->payload.len,
						env->payload.data);
	if (!p) {
		int rc = rt_engine_touch(e, t);
		if (rc)
			return rc;
		if (env->type != ET(PETITION_SUBMITTED) &&
		    env->type != ET(VISIT_RECORDED) && env->correlation_id[0]) {
			/* a command that cannot be read is still answered, under the
			 * envelope's correlation id (= the command id) */
			struct rt_verdict v = {.status = 409,
					       .code = "malformed_command"};
			snprintf(v.message, sizeof v.message,
				 "操作请求格式错误，无法处理");
			s_bad(e, qf_event_type_name(env->type), env->case_id,
			      "payload does not decode");
			return s_result(e, t, env, env->correlation_id, env->case_id, &v,
					NULL);
		}
		return s_bad(e, qf_event_type_name(env->type), env->case_id,
			     "payload does not decode");
	}
	int rc;
	switch ((int)env->type) {
	case ET(PETITION_SUBMITTED):
		rc = rt_engine_petition(e, t, env, (Qingfeng__V1__PetitionSubmitted *)p);
		break;
	case ET(STAFF_ACTION_REQUESTED):
		rc = rt_engine_action(e, t, env, (Qingfeng__V1__StaffActionRequested *)p);
		break;
	case ET(FEEDBACK_GIVEN):
		rc = rt_engine_feedback(e, t, env, (Qingfeng__V1__FeedbackGiven *)p);
		break;
	case ET(PETITION_SUPPLEMENTED):
		rc = rt_engine_supplement(e, t, env, (Qingfeng__V1__PetitionSupplemented *)p);
		break;
	default:
		rc = rt_duty_visit(e, t, env, (Qingfeng__V1__VisitRecorded *)p);
		if (!rc)
			rc = rt_retention_visit(e, t, env,
						(Qingfeng__V1__VisitRecorded *)p);
		break;
	}
	protobuf_c_message_free_unpacked(p, &arena);
	e->arena_used = 0;
	return rc;
}
