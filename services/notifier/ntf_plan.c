/* ntf_plan.c: rules -> recipients -> addressed, rendered deliveries
 * (ntf_plan.h).
 *
 * The planner only decides and writes; nothing is sent here. Staff
 * addresses come from the configuration (and the community file's phones),
 * so a staff member without an address on a channel is known now and is
 * simply not written (counted in a metric); a petitioner's address is only
 * known when the sealed contact is opened at send time, so petitioner
 * deliveries are written for each channel of the rule and end "skipped"
 * when the contact lacks that kind of address.
 *
 * Who may be told what is decided in one place, s_told(), which every
 * delivery passes: public surfaces (followers, robot groups, a channel's
 * own URL) get messages rendered from the event's public part only and
 * nothing at all about a sensitive case, whatever the rules say; the
 * petitioner and individual staff get the whole event. Nothing is planned
 * for a case whose private data retention has forgotten. */
#include "ntf_plan.h"
#include "qf_policy.h"
#include "ntf_queue.h"
#include "ntf_format.h"
#include "ntf_util.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_log.h"
#include "qf_vault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STAFF 64

static int s_in(const struct qf_strlist *l, const char *v)
{
	return !l->n || ntf_strlist_has(l, v);
}

static const char *const s_state_names[] = {
    "",		"submitted", "assigned", "accepted", "in_progress",
    "resolved", "closed",    "rejected", "reopened", "merged"};

int ntf_rule_matches(const struct ntf_rule *r, const struct ntf_facts *f)
{
	if (r->event != f->type)
		return 0;
	if (!s_in(&r->categories, f->category) || !s_in(&r->priorities, f->priority) ||
	    !s_in(&r->buildings, f->building))
		return 0;
	if (r->states.n) {
		const char *st =
		    f->to_state > 0 && f->to_state < 10 ? s_state_names[f->to_state] : "";
		if (!ntf_strlist_has(&r->states, st))
			return 0;
	}
	if (r->breached >= 0 && r->breached != f->breached)
		return 0;
	if (r->deadline_kind && r->deadline_kind != f->deadline_kind)
		return 0;
	if (r->max_rating && (f->rating <= 0 || f->rating > r->max_rating))
		return 0;
	if (r->behind >= 0 && r->behind != f->behind)
		return 0;
	if (r->by && r->by != (f->by_petitioner ? 1 : 2))
		return 0;
	return 1;
}

struct staff_pick {
	const char *id;
	const char *rk; /* why: "assignee", "supervisor", ... */
};

struct ctx {
	struct ntf *n;
	struct qf_txn *t;
	const Qingfeng__V1__Envelope *env;
	struct ntf_facts *f;
	const struct ntf_rule *r;
	const struct ntf_template_conf *tm;
	int64_t now;
	int urgent;
	int written;
	const char *vals[NTF_PH_COUNT]; /* the whole event's values */
	const char *pub[NTF_PH_COUNT];	/* the public part's */
};

static void s_add_staff(const struct qf_community *com, struct staff_pick *p,
			unsigned *np, const char *id, const char *rk,
			const char *concerns)
{
	if (!id || !id[0])
		return;
	/* never tell the subject of a report about it, nor anyone above them:
	   the access policy's conflict rule, the same as every view's */
	const struct qf_staff *st = qf_community_staff(com, id);
	if (concerns && concerns[0] && st) {
		struct qf_case_facts f;
		memset(&f, 0, sizeof f);
		snprintf(f.concerns, sizeof f.concerns, "%s", concerns);
		if (qf_policy_conflict(com, st, &f))
			return;
	} else if (concerns && concerns[0] && !strcmp(id, concerns)) {
		return;
	}
	for (unsigned i = 0; i < *np; i++)
		if (strcmp(p[i].id, id) == 0)
			return;
	if (*np < MAX_STAFF)
		p[(*np)++] = (struct staff_pick){id, rk};
}

static void s_add_role(const struct qf_community *com, struct staff_pick *p, unsigned *np,
		       const char *role, const char *concerns)
{
	for (unsigned i = 0; i < com->nstaff; i++)
		if (strcmp(com->staff[i].role, role) == 0)
			s_add_staff(com, p, np, com->staff[i].id, role, concerns);
}

/* Staff recipients of rule r for these facts. */
static unsigned s_staff(const struct ntf *n, const struct ntf_rule *r,
			const struct ntf_facts *f, struct staff_pick *p)
{
	unsigned np = 0;
	const char *cs = f->concerns_staff;
	for (unsigned i = 0; i < r->nrecipients; i++) {
		const struct ntf_recipient *rp = &r->recipients[i];
		switch (rp->kind) {
		case NTF_RK_ASSIGNEE:
			s_add_staff(n->com, p, &np, f->assignee, "assignee", cs);
			break;
		case NTF_RK_PREVIOUS_ASSIGNEE:
			s_add_staff(n->com, p, &np, f->previous_assignee,
				    "previous_assignee", cs);
			break;
		case NTF_RK_BUILDING_HEAD: {
			const struct qf_building *b =
			    f->building[0] ? qf_community_building(n->com, f->building)
					   : NULL;
			if (b)
				s_add_staff(n->com, p, &np, b->head, "building_head", cs);
			break;
		}
		case NTF_RK_SUPERVISOR:
			s_add_role(n->com, p, &np, "supervisor", cs);
			break;
		case NTF_RK_SECRETARY:
			s_add_role(n->com, p, &np, "secretary", cs);
			break;
		case NTF_RK_ESCALATED_TO:
			s_add_staff(n->com, p, &np, f->escalated_to, "escalated_to", cs);
			break;
		case NTF_RK_DUTY_STAFF:
			s_add_staff(n->com, p, &np, f->duty_staff, "duty_staff", cs);
			break;
		case NTF_RK_STAFF:
			s_add_staff(n->com, p, &np, rp->arg, "staff", cs);
			break;
		case NTF_RK_GROUP: {
			const struct ntf_group *g = ntf_conf_group(n->conf, rp->arg);
			for (unsigned k = 0; g && k < g->staff.n; k++)
				s_add_staff(n->com, p, &np, g->staff.v[k], "group", cs);
			break;
		}
		default:
			break;
		}
	}
	return np;
}

static int s_has(const struct ntf_rule *r, enum ntf_rk k)
{
	for (unsigned i = 0; i < r->nrecipients; i++)
		if (r->recipients[i].kind == k)
			return 1;
	return 0;
}

static const char *s_staff_phone(const struct ntf *n, const char *id)
{
	const struct ntf_staff_contact *c = ntf_conf_contact(n->conf, id);
	if (c && c->phone[0])
		return c->phone;
	const struct qf_staff *s = qf_community_staff(n->com, id);
	return s && s->phone && s->phone[0] ? s->phone : NULL;
}

static int s_addressable(const struct ntf *n, const char *staff, int fmt)
{
	if (ntf_fmt_addr(fmt) == NTF_ADDR_EMAIL) {
		const struct ntf_staff_contact *c = ntf_conf_contact(n->conf, staff);
		return c && c->email[0];
	}
	if (ntf_fmt_addr(fmt) == NTF_ADDR_PHONE)
		return s_staff_phone(n, staff) != NULL;
	return 1;
}

/* The one check of who may be told what: the values a message to a
 * recipient of kind `to` is rendered from, or NULL when it may not be told
 * at all. Public surfaces never hear of a sensitive case (its public part
 * says nothing that identifies reporter or reported, and a robot group is
 * read by everyone in it), and read the public part only. */
static const char **s_told(struct ctx *c, int to)
{
	if (!ntf_to_public(to))
		return c->vals;
	if (c->f->sensitive || !ntf_facts_values(c->f, to))
		return NULL;
	return c->pub;
}

/* Render and write one delivery. */
static int s_write(struct ctx *c, int to, const char *rk, const char *rid,
		   const char *rdisp, const char *recipient_name,
		   const struct ntf_channel_conf *ch, int fmt, const char *rkey,
		   const char *chkey, const char *const *mentions, unsigned nmentions,
		   const char *unsubscribe)
{
	struct ntf *n = c->n;
	const char **vals = s_told(c, to);
	if (!vals)
		return 0;
	struct ntf_delivery d;
	memset(&d, 0, sizeof d);
	const uint8_t *eid = c->env->event_id.data;
	size_t eidl = c->env->event_id.len;
	ntf_delivery_id(eid ? eid : (const uint8_t *)"", eid ? eidl : 0, rkey, chkey,
			d.id);
	MDB_val v;
	int rc = qf_txn_get(c->t, n->db.deliveries, d.id, NTF_ID_LEN, &v);
	if (rc == 0)
		return 0; /* another rule (or a replay) made it already */
	if (rc != QF_ERR_NOTFOUND)
		return rc;
	vals[NTF_PH_RECIPIENT] = recipient_name;
	vals[NTF_PH_UNSUBSCRIBE] = unsubscribe;
	d.to = to;
	d.fmt = fmt;
	d.urgent = c->urgent;
	d.quiet = to == NTF_TO_PETITIONER || to == NTF_TO_FOLLOWER;
	d.subject = ntf_tmpl_render(c->tm->subject, vals);
	d.text = ntf_tmpl_render(c->tm->text, vals);
	if (c->tm->markdown)
		d.markdown = ntf_tmpl_render(c->tm->markdown, vals);
	d.channel = strdup(ch->name);
	d.rk = strdup(rk);
	d.rid = ntf_strdup0(rid);
	d.rdisp = rdisp ? strdup(rdisp) : NULL;
	d.case_id = ntf_strdup0(c->f->case_id);
	d.tracking_code = ntf_strdup0(c->f->vals[NTF_PH_TRACKING_CODE]);
	d.pkey = ntf_strdup0(c->f->pkey);
	d.rule = strdup(c->r->name);
	d.event = ntf_strdup0(qf_event_type_name(c->env->type));
	if (eid && eidl == 16) {
		memcpy(d.event_id, eid, 16);
		d.has_event_id = 1;
	}
	int oom = !d.subject || !d.text || (c->tm->markdown && !d.markdown) ||
		  !d.channel || !d.rk || !d.rid || (rdisp && !d.rdisp) || !d.case_id ||
		  !d.tracking_code || !d.pkey || !d.rule || !d.event;
	if (nmentions && !oom) {
		d.mentions = calloc(nmentions, sizeof *d.mentions);
		oom = !d.mentions;
		for (unsigned i = 0; !oom && i < nmentions; i++) {
			d.mentions[i] = strdup(mentions[i]);
			oom = !d.mentions[i];
			d.nmentions += !oom;
		}
	}
	vals[NTF_PH_RECIPIENT] = NULL;
	vals[NTF_PH_UNSUBSCRIBE] = NULL;
	if (oom) {
		ntf_delivery_clear(&d);
		return QF_ERR_NOMEM;
	}
	rc = ntf_queue_add(n, c->t, &d, c->now);
	ntf_delivery_clear(&d);
	if (rc == QF_ERR_EXISTS)
		return 0;
	if (rc == 0)
		c->written++;
	return rc;
}

static const char *s_staff_name(const struct ntf *n, const char *id)
{
	const struct qf_staff *s = qf_community_staff(n->com, id);
	return s ? s->name : id;
}

struct follow_walk {
	struct ctx *c;
	unsigned seen;
	int rc;
};

static int s_follower(void *arg, const char *id)
{
	struct follow_walk *w = arg;
	struct ctx *c = w->c;
	struct ntf *n = c->n;
	if (w->seen++ >= (unsigned)n->conf->follow_max_per_target)
		return 1;
	struct ntf_sub s;
	int rc = ntf_sub_get(c->t, &n->db, id, &s);
	if (rc) {
		if (rc != QF_ERR_NOTFOUND && rc != QF_ERR_PROTO) {
			w->rc = rc;
			return 1;
		}
		return 0;
	}
	if (s.state != NTF_SUB_ACTIVE) {
		ntf_sub_clear(&s);
		return 0;
	}
	int idx = ntf_conf_follow_channel(n->conf, s.fmt);
	if (idx < 0) {
		/* the channel of this follow is no longer offered */
		qf_metric_inc(n->m_unaddressed);
		ntf_sub_clear(&s);
		return 0;
	}
	char rkey[64], chkey[32];
	snprintf(rkey, sizeof rkey, "sub:%s", s.id);
	snprintf(chkey, sizeof chkey, "follow:%s", ntf_fmt_name((enum ntf_fmt)s.fmt));
	char *unsub =
	    ntf_keys_follow_link(&n->keys, n->conf->base_url, s.id, "unsubscribe");
	if (!unsub) {
		ntf_sub_clear(&s);
		w->rc = QF_ERR_NOMEM;
		return 1;
	}
	rc = s_write(c, NTF_TO_FOLLOWER, "follower", s.id, s.masked, "关注者",
		     &n->conf->channels[idx], s.fmt, rkey, chkey, NULL, 0, unsub);
	free(unsub);
	ntf_sub_clear(&s);
	if (rc) {
		w->rc = rc;
		return 1;
	}
	return 0;
}

static int s_followers(struct ctx *c, const char *target)
{
	struct follow_walk w = {c, 0, 0};
	int rc = ntf_sub_target_each(c->t, &c->n->db, target, s_follower, &w);
	if (rc < 0)
		return rc;
	return w.rc;
}

static int s_rule(struct ctx *c, int petitioner_ok)
{
	struct ntf *n = c->n;
	const struct ntf_rule *r = c->r;
	struct ntf_facts *f = c->f;
	struct staff_pick staff[MAX_STAFF];
	unsigned ns = s_staff(n, r, f, staff);
	int rc = 0;
	char rkey[96];
	const char *pet_name =
	    f->vals[NTF_PH_NAME] && strcmp(f->vals[NTF_PH_NAME], "匿名")
		? f->vals[NTF_PH_NAME]
		: "居民";
	for (unsigned ci = 0; ci < r->nchannels && !rc; ci++) {
		const struct ntf_channel_conf *ch = &n->conf->channels[r->channels[ci]];
		if (ntf_fmt_robot(ch->type)) {
			/* one message into the group, mentioning everyone concerned */
			if (!ns && !s_has(r, NTF_RK_CHANNEL))
				continue;
			const char *ids[MAX_STAFF];
			for (unsigned i = 0; i < ns; i++)
				ids[i] = staff[i].id;
			snprintf(rkey, sizeof rkey, "group");
			char disp[96];
			snprintf(disp, sizeof disp, "group:%s", ch->name);
			rc = s_write(c, NTF_TO_GROUP, ns ? "robot" : "channel", ch->name,
				     disp, "各位", ch, ch->type, rkey, ch->name, ids, ns,
				     NULL);
			continue;
		}
		if (s_has(r, NTF_RK_CHANNEL)) {
			char disp[96];
			snprintf(disp, sizeof disp, "group:%s", ch->name);
			rc = s_write(c, NTF_TO_GROUP, "channel", ch->name, disp, "各位",
				     ch, ch->type, "group", ch->name, NULL, 0, NULL);
		}
		for (unsigned i = 0; i < ns && !rc; i++) {
			if (!s_addressable(n, staff[i].id, ch->type)) {
				qf_metric_inc(n->m_unaddressed);
				qf_debug("no_address", "staff=%s channel=%s rule=%s",
					 staff[i].id, ch->name, r->name);
				continue;
			}
			snprintf(rkey, sizeof rkey, "staff:%s", staff[i].id);
			rc = s_write(c, NTF_TO_STAFF, staff[i].rk, staff[i].id,
				     staff[i].id, s_staff_name(n, staff[i].id), ch,
				     ch->type, rkey, ch->name, NULL, 0, NULL);
		}
		if (!rc && petitioner_ok && s_has(r, NTF_RK_PETITIONER))
			rc = s_write(c, NTF_TO_PETITIONER, "petitioner", NULL, NULL,
				     pet_name, ch, ch->type, "petitioner", ch->name, NULL,
				     0, NULL);
	}
	if (!rc && s_has(r, NTF_RK_CASE_FOLLOWERS) && f->case_id[0]) {
		char target[160];
		snprintf(target, sizeof target, "case:%s", f->case_id);
		rc = s_followers(c, target);
	}
	if (!rc && s_has(r, NTF_RK_BUILDING_FOLLOWERS) && f->building[0]) {
		char target[160];
		snprintf(target, sizeof target, "building:%s", f->building);
		rc = s_followers(c, target);
	}
	return rc;
}

int ntf_plan_apply(struct ntf *n, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		   struct ntf_facts *f, const struct ntf_case *cr, int64_t now)
{
	struct ctx c = {.n = n, .t = t, .env = env, .f = f, .now = now};
	memcpy(c.vals, f->vals, sizeof c.vals);
	memcpy(c.pub, f->pub, sizeof c.pub);
	if (f->case_id[0] && qf_vault_forgotten(n->db.vault, t, f->case_id)) {
		/* retention forgot this case: nothing about it is kept, so
		   nothing is written (a message would have to keep its text) */
		char b[128];
		qf_info("not_planned", "case=%s reason=private_expired",
			qf_log_q(f->case_id, b, sizeof b));
		return 0;
	}
	/* the petitioner can be reached when a sealed contact is known, or
	   when the petition itself has not arrived yet (its contact may) */
	int petitioner_ok =
	    f->case_id[0] && cr && ((cr->sealed && cr->sealed_len) || !cr->petition_seen);
	int bypass = f->urgent || ntf_strlist_has(&n->conf->quiet_bypass, f->category);
	for (unsigned i = 0; i < n->conf->nrules; i++) {
		const struct ntf_rule *r = &n->conf->rules[i];
		if (!ntf_rule_matches(r, f))
			continue;
		c.r = r;
		c.tm = &n->conf->templates[r->tmpl];
		c.urgent = bypass || r->urgent;
		int rc = s_rule(&c, petitioner_ok);
		if (rc)
			return rc;
	}
	return c.written;
}
