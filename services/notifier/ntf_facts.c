/* ntf_facts.c: events -> placeholder values and rule attributes
 * (ntf_facts.h).
 *
 * One function per event family fills the same flat struct; gaps in an
 * event (a DeadlineWarning has no assignee name, an AuditAlert no category)
 * are filled from the case record and the community file, so templates can
 * use the same placeholders whatever event triggered them. */
#include "ntf_facts.h"
#include "ntf_util.h"
#include "qf_case.h"
#include "qf_err.h"
#include "qf_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ET(x) QINGFENG__V1__EVENT_TYPE__##x

const char *ntf_facts_keep(struct ntf_facts *f, const char *s)
{
	if (!s)
		return NULL;
	if (f->nown == f->capown) {
		unsigned nc = f->capown ? f->capown * 2 : 32;
		char **n = realloc(f->own, nc * sizeof *n);
		if (!n)
			return NULL;
		f->own = n;
		f->capown = nc;
	}
	char *c = strdup(s);
	if (c) {
		ntf_utf8_clean(c);
		f->own[f->nown++] = c;
	}
	return c;
}

void ntf_facts_free(struct ntf_facts *f)
{
	for (unsigned i = 0; i < f->nown; i++)
		free(f->own[i]);
	free(f->own);
	memset(f, 0, sizeof *f);
}

static void s_set(struct ntf_facts *f, enum ntf_ph ph, const char *v)
{
	if (v && v[0])
		f->vals[ph] = ntf_facts_keep(f, v);
}

static void s_setf(struct ntf_facts *f, enum ntf_ph ph, const char *fmt, long long v)
{
	char buf[32];
	snprintf(buf, sizeof buf, fmt, v);
	s_set(f, ph, buf);
}

static const char *s_nz(const char *a, const char *b) { return a && a[0] ? a : b; }

const char *ntf_state_cn(int st)
{
	static const char *const names[] = {"",		  "已提交", "已派单", "已受理",
					    "处理中",	  "已办结", "已关闭", "不予受理",
					    "已重新办理", "已合并"};
	return st >= 0 && st < (int)(sizeof names / sizeof *names) ? names[st] : "";
}

const char *ntf_priority_cn(const char *p)
{
	if (!p)
		return "";
	if (!strcmp(p, "urgent"))
		return "紧急";
	if (!strcmp(p, "normal"))
		return "一般";
	if (!strcmp(p, "low"))
		return "较低";
	if (!strcmp(p, "sensitive"))
		return "敏感";
	return p;
}

const char *ntf_event_cn(int type)
{
	switch (type) {
	case ET(PETITION_SUBMITTED):
		return "诉求已提交";
	case ET(CASE_ASSIGNED):
		return "案件派单";
	case ET(CASE_ACCEPTED):
		return "案件受理";
	case ET(CASE_TRANSFERRED):
		return "案件转办";
	case ET(CASE_PROGRESS):
		return "处理进展";
	case ET(CASE_RESOLVED):
		return "案件办结";
	case ET(CASE_REJECTED):
		return "不予受理";
	case ET(CASE_REOPENED):
		return "重新办理";
	case ET(CASE_MERGED):
		return "案件合并";
	case ET(CASE_CLOSED):
		return "案件关闭";
	case ET(DEADLINE_WARNING):
		return "时限预警";
	case ET(CASE_ESCALATED):
		return "案件上报";
	case ET(HOTSPOT_WARNING):
		return "集中诉求预警";
	case ET(REPEAT_LINKED):
		return "重复诉求";
	case ET(EXTENSION_REQUESTED):
		return "延期申请";
	case ET(EXTENSION_DECIDED):
		return "延期审批";
	case ET(DUTY_QUOTA):
		return "履职提醒";
	case ET(CASE_RATED):
		return "居民评价";
	case ET(FEEDBACK_GIVEN):
		return "居民评价";
	case ET(AUDIT_ALERT):
		return "审计提示";
	default:
		return "通知";
	}
}

static const char *s_staff_name(const struct qf_community *com, const char *id)
{
	const struct qf_staff *s = id && id[0] ? qf_community_staff(com, id) : NULL;
	return s ? s->name : id;
}

/* Category, building and priority as names, from codes. */
static void s_where(struct ntf_facts *f, const struct qf_community *com, const char *cat,
		    const char *bld, const char *pri)
{
	const struct qf_category *c =
	    cat && cat[0] ? qf_community_category(com, cat) : NULL;
	const struct qf_building *b =
	    bld && bld[0] ? qf_community_building(com, bld) : NULL;
	if (!pri || !pri[0])
		pri = c ? c->priority : NULL;
	f->category = ntf_facts_keep(f, cat ? cat : "");
	f->building = ntf_facts_keep(f, bld ? bld : "");
	f->priority = ntf_facts_keep(f, pri ? pri : "");
	f->urgent = c ? c->urgent : (pri && !strcmp(pri, "urgent"));
	s_set(f, NTF_PH_CATEGORY, c ? c->name : cat);
	s_set(f, NTF_PH_CATEGORY_CODE, cat);
	s_set(f, NTF_PH_BUILDING, b ? b->name : bld);
	s_set(f, NTF_PH_BUILDING_ID, bld);
	s_set(f, NTF_PH_PRIORITY, ntf_priority_cn(pri));
}

static void s_time(struct ntf_facts *f, const struct qf_community *com, enum ntf_ph ph,
		   int64_t ms)
{
	char buf[32];
	if (ms > 0)
		s_set(f, ph, ntf_local_time(ms, com->utc_offset_min, buf, sizeof buf));
}

static void s_case_ids(struct ntf_facts *f, const struct ntf_conf *conf,
		       const char *case_id, const char *tracking)
{
	f->case_id = ntf_facts_keep(f, case_id ? case_id : "");
	s_set(f, NTF_PH_CASE_ID, case_id);
	s_set(f, NTF_PH_TRACKING_CODE, tracking);
	if (tracking && tracking[0] && conf->case_link_t) {
		const char *vals[NTF_PH_COUNT] = {0};
		vals[NTF_PH_TRACKING_CODE] = tracking;
		vals[NTF_PH_CASE_ID] = case_id;
		char *link = ntf_tmpl_render(conf->case_link_t, vals);
		s_set(f, NTF_PH_LINK, link);
		free(link);
	}
}

/* Case facts from the record only (events that carry little). */
static void s_from_case(struct ntf_facts *f, const struct ntf_conf *conf,
			const struct qf_community *com, const char *case_id,
			const struct ntf_case *cr)
{
	s_case_ids(f, conf, case_id, cr ? cr->tracking_code : NULL);
	s_where(f, com, cr ? cr->category : NULL, cr ? cr->building : NULL,
		cr ? cr->priority : NULL);
	if (cr) {
		f->assignee = ntf_facts_keep(f, s_nz(cr->assignee, ""));
		s_set(f, NTF_PH_HANDLER,
		      s_nz(cr->assignee_name, s_staff_name(com, cr->assignee)));
		f->concerns_staff = ntf_facts_keep(f, s_nz(cr->concerns_staff, ""));
	}
}

static int64_t s_due(const struct qf_community *com, const struct qf_category *c,
		     int64_t from, int hours)
{
	if (!c || hours <= 0 || from <= 0)
		return 0;
	int64_t add = (int64_t)hours * 3600000;
	return c->working_hours ? qf_calendar_add_working(com, from, add) : from + add;
}

static void s_petition(struct ntf_facts *f, const Qingfeng__V1__Envelope *env,
		       const Qingfeng__V1__PetitionSubmitted *p,
		       const struct ntf_conf *conf, const struct qf_community *com)
{
	s_case_ids(f, conf, s_nz(p->case_id, env->case_id), p->tracking_code);
	s_where(f, com, p->category, p->building, NULL);
	const struct qf_category *c = qf_community_category(com, p->category);
	/* the address where this set has it (the public part: with consent on
	   a case that is not sensitive), else the building */
	s_set(f, NTF_PH_ADDRESS, s_nz(p->address, f->vals[NTF_PH_BUILDING]));
	/* the petition's own words only when the petitioner agreed to publish */
	s_set(f, NTF_PH_SUMMARY, p->consent_public ? p->description : (c ? c->name : ""));
	s_set(f, NTF_PH_NAME, s_nz(p->name_masked, "匿名"));
	int64_t at = p->submitted_ms ? p->submitted_ms : env->time_ms;
	s_time(f, com, NTF_PH_TIME, at);
	s_time(f, com, NTF_PH_DEADLINE, s_due(com, c, at, c ? c->resolve_h : 0));
	s_time(f, com, NTF_PH_RESPOND_DEADLINE, s_due(com, c, at, c ? c->respond_h : 0));
	f->concerns_staff = ntf_facts_keep(f, p->concerns_staff ? p->concerns_staff : "");
}

static void s_transition(struct ntf_facts *f, const Qingfeng__V1__Envelope *env,
			 const Qingfeng__V1__CaseTransition *t, const struct ntf_case *cr,
			 const struct ntf_conf *conf, const struct qf_community *com)
{
	s_case_ids(f, conf, s_nz(t->case_id, env->case_id),
		   s_nz(t->tracking_code, cr ? cr->tracking_code : NULL));
	s_where(f, com, s_nz(t->category, cr ? cr->category : NULL),
		s_nz(t->building, cr ? cr->building : NULL),
		s_nz(t->priority, cr ? cr->priority : NULL));
	f->to_state = t->to_state;
	s_set(f, NTF_PH_STATUS, ntf_state_cn(t->to_state));
	s_set(f, NTF_PH_FROM_STATUS, ntf_state_cn(t->from_state));
	const char *asg = s_nz(t->assignee, cr ? cr->assignee : NULL);
	f->assignee = ntf_facts_keep(f, asg ? asg : "");
	f->previous_assignee =
	    ntf_facts_keep(f, t->previous_assignee ? t->previous_assignee : "");
	const struct qf_staff *st = asg ? qf_community_staff(com, asg) : NULL;
	s_set(f, NTF_PH_HANDLER, s_nz(t->assignee_name, st ? st->name : asg));
	s_set(f, NTF_PH_HANDLER_POST, s_nz(t->assignee_post, st ? st->post : NULL));
	s_set(f, NTF_PH_PREVIOUS_HANDLER, s_staff_name(com, t->previous_assignee));
	s_time(f, com, NTF_PH_DEADLINE,
	       t->resolve_due_ms ? t->resolve_due_ms : (cr ? cr->resolve_due : 0));
	s_time(f, com, NTF_PH_RESPOND_DEADLINE,
	       t->respond_due_ms ? t->respond_due_ms : (cr ? cr->respond_due : 0));
	s_set(f, NTF_PH_CAUSE, t->cause);
	s_set(f, NTF_PH_PROGRESS, t->progress);
	s_set(f, NTF_PH_RESULT, t->result);
	s_set(f, NTF_PH_REASON, t->reason);
	f->by_petitioner = t->actor && t->actor->role && !strcmp(t->actor->role, "petitioner");
	if (t->actor)
		s_set(f, NTF_PH_ACTOR,
		      s_nz(t->actor->name, s_staff_name(com, t->actor->staff_id)));
	if (t->rating) {
		f->rating = (int)t->rating;
		s_setf(f, NTF_PH_RATING, "%lld", t->rating);
	}
	s_set(f, NTF_PH_COMMENT, t->comment);
	s_set(f, NTF_PH_RELATED_CASE, t->related_case);
	if (t->extension_hours)
		s_setf(f, NTF_PH_EXTENSION_HOURS, "%lld", t->extension_hours);
	s_time(f, com, NTF_PH_TIME, t->at_ms ? t->at_ms : env->time_ms);
	f->concerns_staff = ntf_facts_keep(
	    f, s_nz(t->concerns_staff, cr ? s_nz(cr->concerns_staff, "") : ""));
}

static void s_deadline(struct ntf_facts *f, const Qingfeng__V1__Envelope *env,
		       const Qingfeng__V1__DeadlineWarning *w, const struct ntf_case *cr,
		       const struct ntf_conf *conf, const struct qf_community *com)
{
	s_case_ids(f, conf, s_nz(w->case_id, env->case_id),
		   s_nz(w->tracking_code, cr ? cr->tracking_code : NULL));
	s_where(f, com, s_nz(w->category, cr ? cr->category : NULL),
		s_nz(w->building, cr ? cr->building : NULL), cr ? cr->priority : NULL);
	const char *asg = s_nz(w->assignee, cr ? cr->assignee : NULL);
	f->assignee = ntf_facts_keep(f, asg ? asg : "");
	s_set(f, NTF_PH_HANDLER, s_staff_name(com, asg));
	f->deadline_kind = w->kind == QINGFENG__V1__DEADLINE_KIND__DEADLINE_RESPOND   ? 1
			   : w->kind == QINGFENG__V1__DEADLINE_KIND__DEADLINE_RESOLVE ? 2
										      : 0;
	s_set(f, NTF_PH_KIND, f->deadline_kind == 1 ? "响应" : "办结");
	s_setf(f, NTF_PH_PERCENT, "%lld%%", w->permille / 10);
	f->breached = w->breached;
	s_set(f, NTF_PH_BREACHED, w->breached ? "已超时" : "即将到期");
	s_setf(f, NTF_PH_REMINDER, "%lld", w->reminder);
	s_time(f, com, NTF_PH_DEADLINE, w->due_ms);
	f->escalated_to = ntf_facts_keep(f, w->escalated_to ? w->escalated_to : "");
	s_set(f, NTF_PH_ESCALATED_TO, s_staff_name(com, w->escalated_to));
	s_time(f, com, NTF_PH_TIME, w->at_ms ? w->at_ms : env->time_ms);
	f->concerns_staff = ntf_facts_keep(f, cr ? s_nz(cr->concerns_staff, "") : "");
}

static int s_build(struct ntf_facts *f, const Qingfeng__V1__Envelope *env,
		   const ProtobufCMessage *payload, const struct ntf_case *cr,
		   const struct ntf_conf *conf, const struct qf_community *com)
{
	f->type = env->type;
	f->family = ntf_event_family(env->type);
	if (!f->family || !payload ||
	    payload->descriptor != qf_event_payload_descriptor(env->type))
		return QF_ERR_INVAL;
	switch (f->family) {
	case NTF_FAM_PETITION:
		s_petition(f, env, (const void *)payload, conf, com);
		break;
	case NTF_FAM_CASE:
		s_transition(f, env, (const void *)payload, cr, conf, com);
		break;
	case NTF_FAM_DEADLINE:
		s_deadline(f, env, (const void *)payload, cr, conf, com);
		break;
	case NTF_FAM_HOTSPOT: {
		const Qingfeng__V1__HotspotWarning *h = (const void *)payload;
		s_where(f, com, h->category, h->building, NULL);
		s_setf(f, NTF_PH_NUMBER, "%lld", h->count);
		s_setf(f, NTF_PH_WINDOW_HOURS, "%lld", h->window_hours);
		s_time(f, com, NTF_PH_TIME, h->at_ms ? h->at_ms : env->time_ms);
		f->case_id = ntf_facts_keep(f, "");
		break;
	}
	case NTF_FAM_REPEAT: {
		const Qingfeng__V1__RepeatLinked *r = (const void *)payload;
		s_from_case(f, conf, com, s_nz(r->case_id, env->case_id), cr);
		if (!cr)
			s_where(f, com, r->category, r->building, NULL);
		s_set(f, NTF_PH_RELATED_CASE, r->earlier_case_id);
		s_setf(f, NTF_PH_NUMBER, "%lld", r->repeat_count);
		s_time(f, com, NTF_PH_TIME, r->at_ms ? r->at_ms : env->time_ms);
		break;
	}
	case NTF_FAM_ALERT: {
		const Qingfeng__V1__AuditAlert *a = (const void *)payload;
		s_from_case(f, conf, com, s_nz(a->case_id, env->case_id), cr);
		s_set(f, NTF_PH_ALERT, qf_alert_label(a->kind));
		s_set(f, NTF_PH_DETAIL, a->detail);
		s_set(f, NTF_PH_STAFF, s_staff_name(com, a->staff_id));
		s_time(f, com, NTF_PH_TIME, a->at_ms ? a->at_ms : env->time_ms);
		break;
	}
	case NTF_FAM_FEEDBACK: {
		const Qingfeng__V1__FeedbackGiven *g = (const void *)payload;
		s_from_case(f, conf, com, s_nz(g->case_id, env->case_id), cr);
		if (g->rating) {
			f->rating = (int)g->rating;
			s_setf(f, NTF_PH_RATING, "%lld", g->rating);
		}
		s_set(f, NTF_PH_COMMENT, g->comment);
		s_time(f, com, NTF_PH_TIME, g->given_ms ? g->given_ms : env->time_ms);
		break;
	}
	case NTF_FAM_QUOTA: {
		const Qingfeng__V1__DutyQuota *q = (const void *)payload;
		f->duty_staff = ntf_facts_keep(f, q->staff_id ? q->staff_id : "");
		s_set(f, NTF_PH_STAFF, s_staff_name(com, q->staff_id));
		s_set(f, NTF_PH_MONTH, q->month);
		s_setf(f, NTF_PH_DONE, "%lld", q->done);
		s_setf(f, NTF_PH_TARGET, "%lld", q->target);
		s_setf(f, NTF_PH_EXPECTED, "%lld", q->expected_by_now);
		f->behind = q->behind;
		s_time(f, com, NTF_PH_TIME, q->at_ms ? q->at_ms : env->time_ms);
		f->case_id = ntf_facts_keep(f, "");
		break;
	}
	default:
		return QF_ERR_INVAL;
	}
	s_set(f, NTF_PH_EVENT, ntf_event_cn(env->type));
	if (!f->category)
		f->category = ntf_facts_keep(f, "");
	if (!f->priority)
		f->priority = ntf_facts_keep(f, "");
	if (!f->building)
		f->building = ntf_facts_keep(f, "");
	if (!f->case_id)
		f->case_id = ntf_facts_keep(f, "");
	/* outcomes of a case travel with the case; the rest by person */
	const char *pk = f->building && f->building[0]	     ? f->building
			 : f->duty_staff && f->duty_staff[0] ? f->duty_staff
			 : env->partition_key && env->partition_key[0]
			     ? env->partition_key
			     : "notifier";
	f->pkey = ntf_facts_keep(f, pk);
	if (!f->category || !f->priority || !f->building || !f->case_id || !f->pkey)
		return QF_ERR_NOMEM;
	return 0;
}

/* Take over the strings p owns (its values point into them). */
static int s_adopt(struct ntf_facts *f, struct ntf_facts *p)
{
	if (f->nown + p->nown > f->capown) {
		unsigned nc = f->nown + p->nown;
		char **n = realloc(f->own, nc * sizeof *n);
		if (!n)
			return QF_ERR_NOMEM;
		f->own = n;
		f->capown = nc;
	}
	memcpy(f->own + f->nown, p->own, p->nown * sizeof *p->own);
	f->nown += p->nown;
	free(p->own);
	p->own = NULL;
	p->nown = p->capown = 0;
	return 0;
}

int ntf_facts_build(struct ntf_facts *f, const Qingfeng__V1__Envelope *env,
		    const ProtobufCMessage *payload, const ProtobufCMessage *pub,
		    const struct ntf_case *cr, const struct qf_privacy *pc,
		    const struct ntf_conf *conf, const struct qf_community *com)
{
	int rc = s_build(f, env, payload, cr, conf, com);
	if (rc)
		return rc;
	f->sensitive = pc ? pc->sensitive : 1;
	f->consent = pc ? pc->consent : 0;
	/* a sensitive case's outcomes travel as intake's and the router's do,
	   on the partition key "sensitive": the envelope is public, and its
	   building would tell where an integrity report came from */
	if (pc && pc->sensitive && f->case_id && f->case_id[0]) {
		f->pkey = ntf_facts_keep(f, "sensitive");
		if (!f->pkey)
			return QF_ERR_NOMEM;
	}
	if (!pub)
		return 0;
	struct ntf_facts p;
	memset(&p, 0, sizeof p);
	rc = s_build(&p, env, pub, cr, conf, com);
	if (!rc && !(rc = s_adopt(f, &p))) {
		memcpy(f->pub, p.vals, sizeof f->pub);
		f->has_pub = 1;
	}
	ntf_facts_free(&p);
	return rc == QF_ERR_NOMEM ? rc : 0;
}

int ntf_to_public(int to) { return to == NTF_TO_FOLLOWER || to == NTF_TO_GROUP; }

const char *const *ntf_facts_values(const struct ntf_facts *f, int to)
{
	if (!ntf_to_public(to))
		return f->vals;
	return f->has_pub ? f->pub : NULL;
}

/* ------------------------------------------------------------ context */

static int s_is(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

void ntf_facts_context(const Qingfeng__V1__Envelope *env, const ProtobufCMessage *payload,
		       const struct ntf_case *cr, const struct qf_community *com,
		       struct qf_privacy *pc)
{
	const char *category = NULL, *concerns = NULL, *priority = NULL;
	int consent = cr ? cr->consent : 0, sensitive = cr ? cr->sensitive : 0;
	switch (payload ? ntf_event_family(env->type) : 0) {
	case NTF_FAM_PETITION: {
		const Qingfeng__V1__PetitionSubmitted *p = (const void *)payload;
		category = p->category;
		concerns = p->concerns_staff;
		consent = p->consent_public;
		break;
	}
	case NTF_FAM_CASE: {
		const Qingfeng__V1__CaseTransition *t = (const void *)payload;
		category = t->category;
		concerns = t->concerns_staff;
		priority = t->priority;
		consent = t->consent_public;
		break;
	}
	case NTF_FAM_DEADLINE:
		category = ((const Qingfeng__V1__DeadlineWarning *)(const void *)payload)
			       ->category;
		break;
	case NTF_FAM_HOTSPOT:
		category = ((const Qingfeng__V1__HotspotWarning *)(const void *)payload)
			       ->category;
		break;
	case NTF_FAM_REPEAT:
		category =
		    ((const Qingfeng__V1__RepeatLinked *)(const void *)payload)->category;
		break;
	default:
		break;
	}
	if (!category || !category[0])
		category = cr ? cr->category : NULL;
	const struct qf_category *c =
	    category && category[0] ? qf_community_category(com, category) : NULL;
	sensitive = sensitive || s_is(env->partition_key, "sensitive") ||
		    (c && c->sensitive) || (concerns && concerns[0]) ||
		    (cr && cr->concerns_staff && cr->concerns_staff[0]) ||
		    s_is(priority, "sensitive") ||
		    (cr && s_is(cr->priority, "sensitive"));
	memset(pc, 0, sizeof *pc);
	pc->consent = consent; /* qf_privacy_shows weighs it against sensitive */
	pc->sensitive = sensitive;
}
