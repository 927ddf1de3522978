/* rules.c: irregularity alerts. Follows each case just enough to judge its
 * handling (who it concerns, who handled it when, how often it moved) and
 * raises AUDIT_ALERT events in the same transaction as the leaf that shows
 * the irregularity, so an alert is raised exactly once.
 *
 * Design decision: a contact view is judged against the case's handlers at
 * the time of the view, not at the time audit hears of it. Streams of
 * different producers arrive in any order (a rebuilt audit replays intake
 * before router), so a view that is not yet explained waits in
 * audit.pending until the consumer has caught up and a grace period has
 * passed; only then is it an alert.
 */
#include "audit.h"
#include "qf_privacy.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_MAX	  64
#define CASE_HIST 32

static const char *const s_kind_names[] = {
    "unspecified",	  "closed_without_feedback",
    "too_many_transfers", "self_judging",
    "contact_view",	  "stream_gap",
    "new_incarnation",
};

const char *audit_alert_kind_name(int kind)
{
	if (kind < 0 || kind >= (int)(sizeof s_kind_names / sizeof s_kind_names[0]))
		return "unknown";
	return s_kind_names[kind];
}

int audit_alert_kind_parse(const char *name)
{
	for (int i = 1; i < (int)(sizeof s_kind_names / sizeof s_kind_names[0]); i++)
		if (!strcmp(name, s_kind_names[i]))
			return i;
	return -1;
}

/* ------------------------------------------------------------ case state */

struct case_rec {
	int64_t at_ms;
	char assignee[ID_MAX], owner[ID_MAX];
};

struct case_state {
	char concerns[ID_MAX];	 /* integrity report: the staff reported */
	char entered_by[ID_MAX]; /* staff who entered an offline petition */
	char parties[AUDIT_MAX_PARTIES][ID_MAX]; /* staff named as parties */
	unsigned nparties;
	uint32_t transfers;
	unsigned nhist;
	struct case_rec hist[CASE_HIST]; /* handlers over time, oldest first */
};

/* Copy an id; ids that do not fit are treated as absent. */
static void s_id(char dst[ID_MAX], const char *src)
{
	if (!src || strlen(src) >= ID_MAX)
		dst[0] = '\0';
	else
		strcpy(dst, src);
}

static uint8_t *s_put_str(uint8_t *p, const char *s)
{
	size_t n = strlen(s);
	*p++ = (uint8_t)n;
	memcpy(p, s, n);
	return p + n;
}

static int s_get_str(const uint8_t **p, const uint8_t *end, char dst[ID_MAX])
{
	if (*p >= end)
		return -1;
	size_t n = **p;
	if (n >= ID_MAX || (size_t)(end - *p) < n + 1)
		return -1;
	memcpy(dst, *p + 1, n);
	dst[n] = '\0';
	*p += n + 1;
	return 0;
}

/* Version 2 adds the parties after entered_by; version 1 records (logs of
 * the previous format) still read. */
static size_t s_encode(const struct case_state *s, uint8_t *buf)
{
	uint8_t *p = buf;
	*p++ = 2; /* version */
	p = s_put_str(p, s->concerns);
	p = s_put_str(p, s->entered_by);
	*p++ = (uint8_t)s->nparties;
	for (unsigned i = 0; i < s->nparties; i++)
		p = s_put_str(p, s->parties[i]);
	qf_be32_put(p, s->transfers);
	p += 4;
	*p++ = (uint8_t)s->nhist;
	for (unsigned i = 0; i < s->nhist; i++) {
		qf_be64_put(p, (uint64_t)s->hist[i].at_ms);
		p += 8;
		p = s_put_str(p, s->hist[i].assignee);
		p = s_put_str(p, s->hist[i].owner);
	}
	return (size_t)(p - buf);
}

static int s_decode(struct case_state *s, const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;
	memset(s, 0, sizeof *s);
	if (n < 1 || (*p != 1 && *p != 2))
		return -1;
	int version = *p++;
	if (s_get_str(&p, end, s->concerns) || s_get_str(&p, end, s->entered_by))
		return -1;
	if (version >= 2) {
		if (p >= end || *p > AUDIT_MAX_PARTIES)
			return -1;
		s->nparties = *p++;
		for (unsigned i = 0; i < s->nparties; i++)
			if (s_get_str(&p, end, s->parties[i]))
				return -1;
	}
	if (end - p < 5)
		return -1;
	s->transfers = qf_be32_get(p);
	p += 4;
	s->nhist = *p++;
	if (s->nhist > CASE_HIST)
		return -1;
	for (unsigned i = 0; i < s->nhist; i++) {
		if (end - p < 8)
			return -1;
		s->hist[i].at_ms = (int64_t)qf_be64_get(p);
		p += 8;
		if (s_get_str(&p, end, s->hist[i].assignee) ||
		    s_get_str(&p, end, s->hist[i].owner))
			return -1;
	}
	return 0;
}

/* Load a case's state; returns 1 found, 0 new (zeroed), negative error. */
static int s_load(struct audit *a, struct qf_txn *t, const char *case_id,
		  struct case_state *s)
{
	MDB_val v;
	memset(s, 0, sizeof *s);
	int rc = qf_txn_get(t, a->casestate, case_id, strlen(case_id), &v);
	if (rc == QF_ERR_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (s_decode(s, v.mv_data, v.mv_size)) {
		qf_warn("case_state_corrupt", "case=%s", case_id);
		memset(s, 0, sizeof *s);
		return 0;
	}
	return 1;
}

static int s_save(struct audit *a, struct qf_txn *t, const char *case_id,
		  const struct case_state *s)
{
	uint8_t buf[16 + (2 + AUDIT_MAX_PARTIES) * ID_MAX + CASE_HIST * (8 + 2 * ID_MAX)];
	size_t n = s_encode(s, buf);
	return qf_txn_put(t, a->casestate, case_id, strlen(case_id), buf, n, 0);
}

/* Was `who` handling the case at time `at` (or within the clock skew)? */
static int s_handling(const struct audit *a, const struct case_state *s, const char *who,
		      int64_t at)
{
	if (!who[0])
		return 0;
	if (!strcmp(s->entered_by, who))
		return 1;
	const struct case_rec *cur = NULL;
	int64_t skew = a->conf->skew_ms;
	for (unsigned i = 0; i < s->nhist; i++) {
		const struct case_rec *r = &s->hist[i];
		if (r->at_ms <= at)
			cur = r;
		int64_t d = r->at_ms - at;
		if (d < 0)
			d = -d;
		if (d <= skew && (!strcmp(r->assignee, who) || !strcmp(r->owner, who)))
			return 1;
	}
	return cur && (!strcmp(cur->assignee, who) || !strcmp(cur->owner, who));
}

static int s_role_allowed(const struct audit *a, const char *role)
{
	for (unsigned i = 0; role && i < a->nroles; i++)
		if (!strcmp(a->roles[i], role))
			return 1;
	return 0;
}

int audit_case_facts(struct audit *a, struct qf_txn *t, const char *case_id,
		     struct qf_case_facts *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->id, sizeof out->id, "%s", case_id);
	struct case_state s;
	int rc = s_load(a, t, case_id, &s);
	if (rc <= 0)
		return rc;
	_Static_assert(sizeof out->concerns >= ID_MAX, "fact ids");
	_Static_assert(QF_FACT_PARTIES >= AUDIT_MAX_PARTIES, "fact parties");
	strcpy(out->concerns, s.concerns);
	for (unsigned i = 0; i < s.nparties; i++)
		strcpy(out->parties[i], s.parties[i]);
	out->nparties = s.nparties;
	if (s.nhist) {
		strcpy(out->assignee, s.hist[s.nhist - 1].assignee);
		strcpy(out->owner, s.hist[s.nhist - 1].owner);
	}
	return QF_OK;
}

int audit_case_forget(struct audit *a, struct qf_txn *t, const char *case_id)
{
	int rc = qf_txn_del(t, a->casestate, case_id, strlen(case_id));
	return rc == QF_ERR_NOTFOUND ? QF_OK : rc;
}

/* ------------------------------------------------------------ alerts */

static void s_log_commit(void *arg, uint64_t data)
{
	(void)data;
	struct audit *a = arg;
	for (unsigned i = 0; i < a->nlogq; i++) {
		struct audit_alert_log *l = &a->logq[i];
		qf_warn("audit_alert", "kind=%s case=%s staff=%s producer=%s leaf=%llu",
			audit_alert_kind_name(l->kind), l->case_id[0] ? l->case_id : "-",
			l->staff[0] ? l->staff : "-", l->producer[0] ? l->producer : "-",
			(unsigned long long)l->leaf);
		if (l->kind > 0 && l->kind < 8)
			qf_metric_inc(a->m_alerts[l->kind]);
	}
	a->nlogq = 0;
}

static void s_log_abort(void *arg, uint64_t data)
{
	(void)data;
	((struct audit *)arg)->nlogq = 0;
}

static int s_next_alert_no(struct audit *a, struct qf_txn *t, uint64_t *no)
{
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), a->alerts, &c))
		return QF_ERR_STORE;
	MDB_val k, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	*no = rc == 0 && k.mv_size == 8 ? qf_be64_get(k.mv_data) + 1 : 1;
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? QF_OK : qf_store_err(rc);
}

int audit_alert(struct audit *a, struct qf_txn *t, int kind, const char *case_id,
		const char *staff, const char *producer, uint64_t leaf, const char *once,
		const char *detail)
{
	int rc;
	case_id = case_id ? case_id : "";
	staff = staff ? staff : "";
	producer = producer ? producer : "";
	if (once) {
		uint8_t k[512];
		int kl =
		    snprintf((char *)k + 1, sizeof k - 1, "%s%c%s", case_id, 0, once);
		if (kl < 0 || (size_t)kl >= sizeof k - 1)
			return QF_ERR_INVAL;
		k[0] = (uint8_t)kind;
		MDB_val v;
		rc = qf_txn_get(t, a->alerted, k, (size_t)kl + 1, &v);
		if (rc == QF_OK)
			return QF_OK;
		if (rc != QF_ERR_NOTFOUND)
			return rc;
		if ((rc = qf_txn_put(t, a->alerted, k, (size_t)kl + 1, "", 0, 0)))
			return rc;
	}
	Qingfeng__V1__AuditAlert al = QINGFENG__V1__AUDIT_ALERT__INIT;
	al.kind = (Qingfeng__V1__AlertKind)kind;
	al.case_id = (char *)case_id;
	al.staff_id = (char *)staff;
	al.producer = (char *)producer;
	al.detail = (char *)(detail ? detail : "");
	al.leaf_index = leaf;
	al.at_ms = qf_now_ms(a->clock);
	/* an alert about an integrity report names nobody in public */
	struct case_state cs;
	int found = case_id[0] ? s_load(a, t, case_id, &cs) : 0;
	if (found < 0)
		return found;
	struct qf_privacy pc = {0, found && cs.concerns[0], NULL};
	if ((rc = qf_privacy_emit(a->prod, t, QINGFENG__V1__EVENT_TYPE__AUDIT_ALERT,
				  "audit", case_id[0] ? case_id : NULL, NULL, &al.base,
				  &pc)))
		return rc;
	uint64_t no;
	if ((rc = s_next_alert_no(a, t, &no)))
		return rc;
	/* /v1/alerts is public: keep the alert's public part only (the whole
	   one went out on the internal bus, sealed in the outbox) */
	uint8_t key[8], buf[2048], *pub;
	size_t len = qingfeng__v1__audit_alert__get_packed_size(&al), plen;
	int differs;
	if (len > sizeof buf)
		return QF_ERR_TOOBIG;
	qingfeng__v1__audit_alert__pack(&al, buf);
	if ((rc = qf_privacy_public(&qingfeng__v1__audit_alert__descriptor, buf, len, &pc,
				    &pub, &plen, &differs)))
		return rc;
	qf_be64_put(key, no);
	rc = qf_txn_put(t, a->alerts, key, 8, pub, plen, 0);
	free(pub);
	if (rc)
		return rc;
	if (a->nlogq == a->caplogq) {
		unsigned nc = a->caplogq ? a->caplogq * 2 : 16;
		struct audit_alert_log *nq = realloc(a->logq, nc * sizeof *nq);
		if (!nq)
			return QF_ERR_NOMEM;
		a->logq = nq;
		a->caplogq = nc;
	}
	struct audit_alert_log *l = &a->logq[a->nlogq++];
	l->kind = kind;
	snprintf(l->case_id, sizeof l->case_id, "%s", case_id);
	snprintf(l->staff, sizeof l->staff, "%s", staff);
	snprintf(l->producer, sizeof l->producer, "%s", producer);
	l->leaf = leaf;
	if ((rc = qf_txn_on_commit(t, s_log_commit, a, 0)) ||
	    (rc = qf_txn_on_abort(t, s_log_abort, a, 0)))
		return rc;
	return QF_OK;
}

/* ------------------------------------------------------------ rules */

static const char *s_actor_id(const Qingfeng__V1__Actor *ac)
{
	return ac && ac->staff_id ? ac->staff_id : "";
}

static int s_petition(struct audit *a, struct qf_txn *t, const char *case_id,
		      const Qingfeng__V1__PetitionSubmitted *p)
{
	const char *entered = s_actor_id(p->entered_by);
	if (!(p->concerns_staff && p->concerns_staff[0]) && !entered[0] && !p->n_parties)
		return QF_OK;
	struct case_state s;
	int rc = s_load(a, t, case_id, &s);
	if (rc < 0)
		return rc;
	if (p->concerns_staff && p->concerns_staff[0] && !s.concerns[0])
		s_id(s.concerns, p->concerns_staff);
	if (entered[0] && !s.entered_by[0])
		s_id(s.entered_by, entered);
	for (size_t i = 0; i < p->n_parties && s.nparties < AUDIT_MAX_PARTIES; i++) {
		char id[ID_MAX];
		s_id(id, p->parties[i]);
		int known = !id[0];
		for (unsigned k = 0; k < s.nparties && !known; k++)
			known = !strcmp(s.parties[k], id);
		if (!known)
			strcpy(s.parties[s.nparties++], id);
	}
	return s_save(a, t, case_id, &s);
}

static int s_action(struct audit *a, struct qf_txn *t, const char *case_id, uint64_t leaf,
		    const Qingfeng__V1__StaffActionRequested *r)
{
	struct case_state s;
	int rc = s_load(a, t, case_id, &s);
	if (rc <= 0)
		return rc;
	const char *who = s_actor_id(r->actor);
	if (!s.concerns[0] || strcmp(who, s.concerns))
		return QF_OK;
	char once[128], detail[512];
	snprintf(once, sizeof once, "cmd:%s", r->command_id ? r->command_id : "");
	snprintf(detail, sizeof detail,
		 "被举报人 %s 对举报其本人的案件提交了处理操作（%s）", who,
		 protobuf_c_enum_descriptor_get_value(
		     &qingfeng__v1__action_kind__descriptor, r->action)
		     ? protobuf_c_enum_descriptor_get_value(
			   &qingfeng__v1__action_kind__descriptor, r->action)
			   ->name
		     : "?");
	return audit_alert(a, t, QINGFENG__V1__ALERT_KIND__ALERT_SELF_JUDGING, case_id,
			   who, NULL, leaf,
			   r->command_id && r->command_id[0] ? once : NULL, detail);
}

/* A pending view: view_ms(8) recv_ms(8) case NUL viewer NUL role NUL */
static int s_pend(struct audit *a, struct qf_txn *t, uint64_t leaf, const char *case_id,
		  const char *viewer, const char *role, int64_t view_ms)
{
	uint8_t k[8], v[16 + 3 * 210];
	size_t cl = strlen(case_id), vl = strlen(viewer), rl = strlen(role);
	if (cl > 200 || vl > 200 || rl > 200)
		return QF_OK;
	qf_be64_put(k, leaf);
	qf_be64_put(v, (uint64_t)view_ms);
	qf_be64_put(v + 8, (uint64_t)qf_now_ms(a->clock));
	uint8_t *p = v + 16;
	memcpy(p, case_id, cl + 1);
	p += cl + 1;
	memcpy(p, viewer, vl + 1);
	p += vl + 1;
	memcpy(p, role, rl + 1);
	p += rl + 1;
	return qf_txn_put(t, a->pending, k, 8, v, (size_t)(p - v), 0);
}

static int s_view_alert(struct audit *a, struct qf_txn *t, const char *case_id,
			const char *viewer, uint64_t leaf)
{
	char once[32], detail[512];
	snprintf(once, sizeof once, "view:%llu", (unsigned long long)leaf);
	if (viewer[0])
		snprintf(detail, sizeof detail,
			 "%s 在不经办案件 %s 的情况下查看了诉求人联系方式", viewer,
			 case_id);
	else
		snprintf(detail, sizeof detail,
			 "身份不明者查看了案件 %s 的诉求人联系方式", case_id);
	return audit_alert(a, t, QINGFENG__V1__ALERT_KIND__ALERT_CONTACT_VIEW, case_id,
			   viewer, NULL, leaf, once, detail);
}

static int s_contact(struct audit *a, struct qf_txn *t, const char *case_id,
		     uint64_t leaf, int64_t env_ms, const Qingfeng__V1__ContactViewed *cv)
{
	const char *who = s_actor_id(cv->actor);
	const char *role = cv->actor && cv->actor->role ? cv->actor->role : "";
	int64_t at = cv->viewed_ms ? cv->viewed_ms : env_ms;
	struct case_state s;
	int rc = s_load(a, t, case_id, &s);
	if (rc < 0)
		return rc;
	if (s.concerns[0] && who[0] && !strcmp(who, s.concerns)) {
		char once[32], detail[512];
		snprintf(once, sizeof once, "view:%llu", (unsigned long long)leaf);
		snprintf(detail, sizeof detail,
			 "被举报人 %s 查看了举报其本人的案件中举报人的联系方式", who);
		return audit_alert(a, t, QINGFENG__V1__ALERT_KIND__ALERT_SELF_JUDGING,
				   case_id, who, NULL, leaf, once, detail);
	}
	if (who[0] &&
	    (s_role_allowed(a, role) || (rc == 1 && s_handling(a, &s, who, at))))
		return QF_OK;
	return s_pend(a, t, leaf, case_id, who, role, at);
}

static int s_transition(struct audit *a, struct qf_txn *t, const char *case_id,
			uint64_t leaf, int type, int64_t env_ms,
			const Qingfeng__V1__CaseTransition *tr)
{
	struct case_state s;
	int rc = s_load(a, t, case_id, &s);
	if (rc < 0)
		return rc;
	if (tr->concerns_staff && tr->concerns_staff[0] && !s.concerns[0])
		s_id(s.concerns, tr->concerns_staff);
	char assignee[ID_MAX], owner[ID_MAX];
	s_id(assignee, tr->assignee);
	s_id(owner, tr->owner);
	struct case_rec *last = s.nhist ? &s.hist[s.nhist - 1] : NULL;
	if ((assignee[0] || owner[0]) &&
	    (!last || strcmp(last->assignee, assignee) || strcmp(last->owner, owner))) {
		if (s.nhist == CASE_HIST) {
			memmove(s.hist, s.hist + 1, (CASE_HIST - 1) * sizeof s.hist[0]);
			s.nhist--;
		}
		struct case_rec *r = &s.hist[s.nhist++];
		r->at_ms = tr->at_ms ? tr->at_ms : env_ms;
		strcpy(r->assignee, assignee);
		strcpy(r->owner, owner);
	}
	const char *who = s_actor_id(tr->actor);
	const char *responsible = assignee[0] ? assignee : owner;
	char detail[512], once[128];
	if (type == QINGFENG__V1__EVENT_TYPE__CASE_TRANSFERRED) {
		s.transfers++;
		uint32_t n =
		    tr->transfer_count > s.transfers ? tr->transfer_count : s.transfers;
		if (n > (uint32_t)a->conf->max_transfers) {
			snprintf(detail, sizeof detail,
				 "案件已被转办 %u 次，超过上限 %d 次", n,
				 a->conf->max_transfers);
			if ((rc = audit_alert(
				 a, t, QINGFENG__V1__ALERT_KIND__ALERT_TOO_MANY_TRANSFERS,
				 case_id, responsible, NULL, leaf, "transfers", detail)))
				return rc;
		}
	}
	if (type == QINGFENG__V1__EVENT_TYPE__CASE_CLOSED &&
	    tr->closed_without_feedback) {
		snprintf(detail, sizeof detail,
			 "案件未经诉求人回访评价即被关闭（经办人 %s）",
			 responsible[0] ? responsible : "未知");
		if ((rc = audit_alert(
			 a, t, QINGFENG__V1__ALERT_KIND__ALERT_CLOSED_WITHOUT_FEEDBACK,
			 case_id, responsible, NULL, leaf, NULL, detail)))
			return rc;
	}
	if (s.concerns[0]) {
		if (who[0] && !strcmp(who, s.concerns)) {
			if (tr->command_id && tr->command_id[0])
				snprintf(once, sizeof once, "cmd:%s", tr->command_id);
			else
				snprintf(once, sizeof once, "leaf:%llu",
					 (unsigned long long)leaf);
			snprintf(detail, sizeof detail,
				 "被举报人 %s 处理了举报其本人的案件（%s）", who,
				 qf_event_type_name(type) ? qf_event_type_name(type)
							  : "?");
			if ((rc = audit_alert(
				 a, t, QINGFENG__V1__ALERT_KIND__ALERT_SELF_JUDGING,
				 case_id, who, NULL, leaf, once, detail)))
				return rc;
		}
		if (assignee[0] && !strcmp(assignee, s.concerns)) {
			snprintf(detail, sizeof detail, "举报 %s 的案件被指派给了其本人",
				 assignee);
			if ((rc = audit_alert(
				 a, t, QINGFENG__V1__ALERT_KIND__ALERT_SELF_JUDGING,
				 case_id, assignee, NULL, leaf, "assigned", detail)))
				return rc;
		}
	}
	return s_save(a, t, case_id, &s);
}

int audit_rules_apply(struct audit *a, struct qf_txn *t,
		      const Qingfeng__V1__Envelope *env, const uint8_t *priv,
		      size_t priv_len, uint64_t leaf)
{
	int type = env->type;
	const ProtobufCMessageDescriptor *d = qf_event_payload_descriptor(type);
	int is_transition = d == &qingfeng__v1__case_transition__descriptor;
	if (type != QINGFENG__V1__EVENT_TYPE__PETITION_SUBMITTED &&
	    type != QINGFENG__V1__EVENT_TYPE__STAFF_ACTION_REQUESTED &&
	    type != QINGFENG__V1__EVENT_TYPE__CONTACT_VIEWED && !is_transition)
		return QF_OK;
	/* the rules judge the whole event (who a report concerns is private) */
	ProtobufCMessage *m = qf_event_payload_full(env, priv, priv_len);
	if (!m) {
		qf_warn("payload_undecodable", "producer=%s seq=%llu type=%d leaf=%llu",
			env->producer, (unsigned long long)env->seq, type,
			(unsigned long long)leaf);
		return QF_OK;
	}
	/* the payload's case id is the authority; the envelope's is a copy */
	const char *case_id = env->case_id && env->case_id[0] ? env->case_id : "";
	int rc = QF_OK;
	switch (type) {
	case QINGFENG__V1__EVENT_TYPE__PETITION_SUBMITTED: {
		Qingfeng__V1__PetitionSubmitted *p = (void *)m;
		if (p->case_id && p->case_id[0])
			case_id = p->case_id;
		if (case_id[0] && strlen(case_id) < 200)
			rc = s_petition(a, t, case_id, p);
		break;
	}
	case QINGFENG__V1__EVENT_TYPE__STAFF_ACTION_REQUESTED: {
		Qingfeng__V1__StaffActionRequested *r = (void *)m;
		if (r->case_id && r->case_id[0])
			case_id = r->case_id;
		if (case_id[0] && strlen(case_id) < 200)
			rc = s_action(a, t, case_id, leaf, r);
		break;
	}
	case QINGFENG__V1__EVENT_TYPE__CONTACT_VIEWED: {
		Qingfeng__V1__ContactViewed *cv = (void *)m;
		if (cv->case_id && cv->case_id[0])
			case_id = cv->case_id;
		if (case_id[0] && strlen(case_id) < 200)
			rc = s_contact(a, t, case_id, leaf, env->time_ms, cv);
		break;
	}
	default: {
		Qingfeng__V1__CaseTransition *tr = (void *)m;
		if (tr->case_id && tr->case_id[0])
			case_id = tr->case_id;
		if (case_id[0] && strlen(case_id) < 200)
			rc = s_transition(a, t, case_id, leaf, type, env->time_ms, tr);
		break;
	}
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

/* ------------------------------------------------------------ timers */

struct pend_scan {
	struct audit *a;
	int64_t now;
	int caught_up;
	unsigned due;
};

/* Judge a pending view once the grace has passed and every stream has
 * caught up; a producer that is down, or a stream stuck for good, must not
 * hold the judgement back for ever: after contact_view_max_wait_s it is
 * judged with what is known. */
static int s_pend_is_due(const struct pend_scan *ps, int64_t recv)
{
	int64_t age = ps->now - recv, grace = (int64_t)ps->a->conf->view_grace_s * 1000;
	int64_t most = (int64_t)ps->a->conf->view_max_wait_s * 1000;
	return age >= grace && (ps->caught_up || age >= most);
}

/* Read side: is any pending view due? */
static int s_pend_due(struct qf_txn *t, void *arg)
{
	struct pend_scan *ps = arg;
	struct qf_iter it;
	int rc;
	for (rc = qf_iter_open(&it, t, ps->a->pending, NULL, 0);
	     rc == QF_OK && (rc = qf_iter_next(&it)) > 0; rc = QF_OK)
		if (it.v.mv_size < 16 ||
		    s_pend_is_due(ps, (int64_t)qf_be64_get((uint8_t *)it.v.mv_data + 8)))
			ps->due++;
	qf_iter_close(&it);
	return rc < 0 ? rc : QF_OK;
}

/* Parse a pending view value; 0 or -1 when malformed. */
static int s_pend_parse(const MDB_val *v, int64_t *at, int64_t *recv, char case_id[210],
			char viewer[210])
{
	const char *p = v->mv_data, *end = p + v->mv_size;
	if (v->mv_size < 19 || end[-1] != 0)
		return -1;
	*at = (int64_t)qf_be64_get((const uint8_t *)p);
	*recv = (int64_t)qf_be64_get((const uint8_t *)p + 8);
	const char *cs = p + 16;
	size_t cl = strnlen(cs, (size_t)(end - cs));
	const char *vs = cs + cl + 1;
	if (cl >= 210 || vs >= end)
		return -1;
	size_t vl = strnlen(vs, (size_t)(end - vs));
	if (vl >= 210 || vs + vl >= end)
		return -1;
	memcpy(case_id, cs, cl + 1);
	memcpy(viewer, vs, vl + 1);
	return 0;
}

#define PEND_BATCH 1024

/* Write side: judge every due view again, now that the streams caught up
 * (or could not, for contact_view_max_wait_s). */
static int s_pend_judge(struct qf_txn *t, void *arg)
{
	struct pend_scan *ps = arg;
	struct audit *a = ps->a;
	uint64_t due[PEND_BATCH];
	unsigned ndue = 0;
	struct qf_iter it;
	MDB_val v;
	int irc;
	for (irc = qf_iter_open(&it, t, a->pending, NULL, 0);
	     irc == QF_OK && ndue < PEND_BATCH && (irc = qf_iter_next(&it)) > 0;
	     irc = QF_OK) {
		if (it.k.mv_size != 8)
			continue;
		if (it.v.mv_size < 16 ||
		    s_pend_is_due(ps, (int64_t)qf_be64_get((uint8_t *)it.v.mv_data + 8)))
			due[ndue++] = qf_be64_get(it.k.mv_data);
	}
	qf_iter_close(&it);
	if (irc < 0)
		return irc;
	for (unsigned i = 0; i < ndue; i++) {
		uint8_t key[8];
		qf_be64_put(key, due[i]);
		int rc = qf_txn_get(t, a->pending, key, 8, &v);
		if (rc)
			return rc;
		int64_t at, recv;
		char case_id[210], viewer[210];
		int bad = s_pend_parse(&v, &at, &recv, case_id, viewer);
		if ((rc = qf_txn_del(t, a->pending, key, 8)))
			return rc;
		if (bad)
			continue;
		struct case_state s;
		int found = s_load(a, t, case_id, &s);
		if (found < 0)
			return found;
		if (found == 1 && s_handling(a, &s, viewer, at))
			continue;
		if ((rc = s_view_alert(a, t, case_id, viewer, due[i])))
			return rc;
	}
	return QF_OK;
}

struct gap_job {
	struct audit *a;
	struct audit_gap *g;
};

static int s_gap_alert(struct qf_txn *t, void *arg)
{
	struct gap_job *j = arg;
	char detail[512];
	int64_t secs = (qf_mono_ms() - j->g->since_ms) / 1000;
	snprintf(detail, sizeof detail,
		 "%s 第 %u 分区的事件流出现缺口：已记录至序号 %llu，已知有序号 %llu，"
		 "%lld 秒内未能通过重放补齐",
		 j->g->producer, j->g->partition, (unsigned long long)j->g->have,
		 (unsigned long long)j->g->seen, (long long)secs);
	uint64_t size = 0;
	qf_merkle_log_size(j->a->log, t, &size);
	return audit_alert(j->a, t, QINGFENG__V1__ALERT_KIND__ALERT_STREAM_GAP, NULL,
			   NULL, j->g->producer, size, NULL, detail);
}

#define MAX_STREAMS 4096

static struct audit_gap *s_gap_find(struct audit *a, const char *producer,
				    uint32_t partition)
{
	for (unsigned i = 0; i < a->ngaps; i++)
		if (a->gaps[i].partition == partition &&
		    !strcmp(a->gaps[i].producer, producer))
			return &a->gaps[i];
	return NULL;
}

/* A stream that knows of events it has not applied, and has not applied
 * anything for gap_alert_s, has a gap replay is not healing (the producer's
 * history is gone, or its replay is unreachable). Judged from the consumer's
 * positions, so a gap is caught however it was noticed (a later event, a
 * heartbeat, a truncated replay); a stream that is merely behind and
 * catching up moves, and is never reported. */
static int s_gaps_tick(struct audit *a)
{
	struct qf_bus_consumer *cons = qf_svc_consumer(a->svc);
	if (!cons)
		return 1000;
	if (!a->streams_buf) {
		a->streams_buf = calloc(MAX_STREAMS, sizeof *a->streams_buf);
		if (!a->streams_buf)
			return 1000;
	}
	unsigned ns = qf_bus_consumer_streams(cons, a->streams_buf, MAX_STREAMS);
	int64_t now = qf_mono_ms(), limit = (int64_t)a->conf->gap_alert_s * 1000;
	int next = 1000;
	for (unsigned k = 0; k < ns; k++) {
		const struct qf_bus_stream_state *st = &a->streams_buf[k];
		struct audit_gap *g = s_gap_find(a, st->producer, st->partition);
		if (st->seen <= st->applied) {
			if (g) {
				if (g->alerted)
					qf_info("stream_gap_healed",
						"producer=%s partition=%u seq=%llu",
						g->producer, g->partition,
						(unsigned long long)st->applied);
				*g = a->gaps[--a->ngaps];
			}
			continue;
		}
		if (!g) {
			if (a->ngaps == AUDIT_MAX_GAPS)
				continue;
			g = &a->gaps[a->ngaps++];
			memset(g, 0, sizeof *g);
			snprintf(g->producer, sizeof g->producer, "%s", st->producer);
			g->partition = st->partition;
			g->have = st->applied;
			g->since_ms = now;
		} else if (g->have != st->applied) { /* moving: catching up */
			g->have = st->applied;
			g->since_ms = now;
			g->alerted = 0;
		}
		g->seen = st->seen;
		if (g->alerted)
			continue;
		if (now - g->since_ms >= limit) {
			struct gap_job j = {a, g};
			int rc = qf_store_write(a->store, s_gap_alert, &j);
			if (rc == QF_OK)
				g->alerted = 1;
			else
				qf_error("alert_failed", "kind=stream_gap error=\"%s\"",
					 qf_strerror(rc));
		} else if (limit - (now - g->since_ms) < next) {
			next = (int)(limit - (now - g->since_ms));
		}
	}
	/* trackers of streams no longer listed (a new incarnation) */
	for (unsigned i = 0; i < a->ngaps;) {
		int listed = 0;
		for (unsigned k = 0; k < ns && !listed; k++)
			listed = a->streams_buf[k].partition == a->gaps[i].partition &&
				 !strcmp(a->streams_buf[k].producer, a->gaps[i].producer);
		if (!listed)
			a->gaps[i] = a->gaps[--a->ngaps];
		else
			i++;
	}
	return next;
}

int audit_rules_tick(struct audit *a)
{
	int next = s_gaps_tick(a);
	int64_t now = qf_mono_ms();
	if (now < a->next_pending_check)
		return next;
	a->next_pending_check = now + 1000;
	struct qf_bus_consumer *cons = qf_svc_consumer(a->svc);
	struct pend_scan ps = {a, qf_now_ms(a->clock),
			       !cons || qf_bus_consumer_caught_up(cons), 0};
	if (qf_store_read(a->store, s_pend_due, &ps) == QF_OK && ps.due) {
		int rc = qf_store_write(a->store, s_pend_judge, &ps);
		if (rc)
			qf_error("alert_failed", "kind=contact_view error=\"%s\"",
				 qf_strerror(rc));
	}
	return next < 1000 ? next : 1000;
}

int audit_rules_open(struct audit *a)
{
	int rc;
	if ((rc = qf_store_dbi(a->store, "audit.casestate", 0, &a->casestate)) ||
	    (rc = qf_store_dbi(a->store, "audit.alerts", 0, &a->alerts)) ||
	    (rc = qf_store_dbi(a->store, "audit.alerted", 0, &a->alerted)) ||
	    (rc = qf_store_dbi(a->store, "audit.pending", 0, &a->pending)))
		return rc;
	/* roles that may view any contact: "supervisor, secretary" */
	const char *p = a->conf->view_roles ? a->conf->view_roles : "";
	while (*p && a->nroles < AUDIT_MAX_ROLES) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ", ");
		if (n) {
			a->roles[a->nroles] = strndup(p, n);
			if (!a->roles[a->nroles])
				return QF_ERR_NOMEM;
			a->nroles++;
		}
		p += n;
	}
	return QF_OK;
}

void audit_rules_close(struct audit *a)
{
	for (unsigned i = 0; i < a->nroles; i++)
		free(a->roles[i]);
	a->nroles = 0;
	free(a->logq);
	a->logq = NULL;
	a->nlogq = a->caplogq = 0;
	free(a->streams_buf);
	a->streams_buf = NULL;
}
