/* ntf_consume.c: the consumer side: every event from intake, router and
 * audit, applied exactly once inside the bus consumer's transaction.
 *
 * For case events the notifier first updates its case record (what later
 * events will lack: the tracking code, the assignee, the sealed contact,
 * consent and sensitivity), then builds the facts, from the whole event and
 * from its public part, and lets the planner write the deliveries, all in
 * the transaction that also advances the consumer's checkpoint: an event
 * and the deliveries it causes are committed together or not at all.
 * PRIVATE_EXPIRED forgets what is kept about its subject (ntf_db_forget).
 * Malformed or unknown events are skipped with a warning, never retried. */
#include "ntf.h"
#include "ntf_facts.h"
#include "ntf_plan.h"
#include "ntf_util.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_privacy.h"
#include "qf_vault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ET(x) QINGFENG__V1__EVENT_TYPE__##x

static int s_set(char **dst, const char *v)
{
	if (!v || !v[0] || (*dst && strcmp(*dst, v) == 0))
		return 0;
	char *c = strdup(v);
	if (!c)
		return QF_ERR_NOMEM;
	ntf_utf8_clean(c);
	free(*dst);
	*dst = c;
	return 0;
}

static int s_petition(struct ntf *n, struct ntf_case *c,
		      const Qingfeng__V1__PetitionSubmitted *p)
{
	int rc = 0;
	const struct qf_category *cat = qf_community_category(n->com, p->category);
	rc |= s_set(&c->tracking_code, p->tracking_code);
	rc |= s_set(&c->category, p->category);
	rc |= s_set(&c->building, p->building);
	if (cat)
		rc |= s_set(&c->priority, cat->priority);
	rc |= s_set(&c->concerns_staff, p->concerns_staff);
	rc |= s_set(&c->phone_masked, p->phone_masked);
	if (p->petitioner_pseudonym.len && p->petitioner_pseudonym.len <= 64) {
		char hex[129];
		rc |= s_set(&c->pseudonym, qf_hex(p->petitioner_pseudonym.data,
						  p->petitioner_pseudonym.len, hex));
	}
	c->petition_seen = 1;
	for (size_t i = 0; i < p->n_contact; i++) {
		const Qingfeng__V1__SealedContact *sc = p->contact[i];
		if (!sc || !sc->recipient ||
		    strcmp(sc->recipient, n->conf->seal_recipient) || !sc->sealed.len ||
		    sc->sealed.len > 65536)
			continue;
		uint8_t *b = malloc(sc->sealed.len);
		if (!b)
			return QF_ERR_NOMEM;
		memcpy(b, sc->sealed.data, sc->sealed.len);
		free(c->sealed);
		c->sealed = b;
		c->sealed_len = sc->sealed.len;
		break;
	}
	if (!c->state)
		c->state = QINGFENG__V1__CASE_STATE__STATE_SUBMITTED;
	return rc ? QF_ERR_NOMEM : 0;
}

static int s_closed_state(int st)
{
	return st == QINGFENG__V1__CASE_STATE__STATE_CLOSED ||
	       st == QINGFENG__V1__CASE_STATE__STATE_MERGED ||
	       st == QINGFENG__V1__CASE_STATE__STATE_REJECTED;
}

static int s_transition(struct ntf *n, struct qf_txn *t, struct ntf_case *c,
			const Qingfeng__V1__CaseTransition *tr, int64_t now)
{
	int rc = 0;
	rc |= s_set(&c->tracking_code, tr->tracking_code);
	rc |= s_set(&c->category, tr->category);
	rc |= s_set(&c->building, tr->building);
	rc |= s_set(&c->priority, tr->priority);
	rc |= s_set(&c->assignee, tr->assignee);
	rc |= s_set(&c->assignee_name, tr->assignee_name);
	rc |= s_set(&c->concerns_staff, tr->concerns_staff);
	if (rc)
		return QF_ERR_NOMEM;
	if (tr->to_state)
		c->state = tr->to_state;
	if (tr->respond_due_ms)
		c->respond_due = tr->respond_due_ms;
	if (tr->resolve_due_ms)
		c->resolve_due = tr->resolve_due_ms;
	if (s_closed_state(c->state)) {
		if (!c->closed_ms) {
			c->closed_ms = now;
			/* the record (and the sealed contact in it) goes after the
			   retention period, unless the case is reopened */
			return ntf_expire_put(
			    t, &n->db,
			    now + (int64_t)n->conf->case_retention_days * 86400000, 'c',
			    c->case_id);
		}
	} else {
		c->closed_ms = 0;
	}
	return 0;
}

/* Counted once the forgetting is committed (a write may run twice). */
static void s_expired_commit(void *arg, uint64_t data)
{
	(void)data;
	struct ntf *n = arg;
	qf_metric_add(n->m_expired, n->pend_expired);
	n->pend_expired = 0;
}

static void s_expired_abort(void *arg, uint64_t data)
{
	(void)data;
	((struct ntf *)arg)->pend_expired = 0;
}

/* PRIVATE_EXPIRED: the subject's retention has passed (the router decides
 * it): forget its key, and with it every delivery text, contact and case
 * follow kept for it, in this transaction. */
static int s_private_expired(struct ntf *n, struct qf_txn *t,
			     const Qingfeng__V1__Envelope *env,
			     const Qingfeng__V1__PrivateExpired *x)
{
	const char *subject = x->subject && x->subject[0] ? x->subject : env->case_id;
	size_t sl = subject ? strlen(subject) : 0;
	char b[300];
	if (!sl || sl > QF_VAULT_SUBJECT_MAX) {
		qf_warn("event_malformed", "type=PRIVATE_EXPIRED reason=bad_subject");
		qf_metric_inc(n->m_ignored);
		return 0;
	}
	int rc = ntf_db_forget(t, &n->db, subject);
	if (!rc && !(rc = qf_txn_on_commit(t, s_expired_commit, n, 0)))
		rc = qf_txn_on_abort(t, s_expired_abort, n, 0);
	if (rc)
		return rc;
	n->pend_expired++;
	qf_info("private_expired", "subject=%s", qf_log_q(subject, b, sizeof b));
	return 0;
}

/* The public part of the event, decoded, made with the case's context from
 * the envelope's payload (which is the producer's public part already, so
 * this only ever takes away), or NULL. */
static ProtobufCMessage *s_public(const Qingfeng__V1__Envelope *env,
				  const struct qf_privacy *pc)
{
	const ProtobufCMessageDescriptor *d = qf_event_payload_descriptor(env->type);
	uint8_t *pub = NULL;
	size_t pl = 0;
	int differs = 0;
	if (!d || qf_privacy_public(d, env->payload.data, env->payload.len, pc, &pub, &pl,
				    &differs))
		return NULL;
	ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, pl, pub);
	free(pub);
	return m;
}

int ntf_consume_apply(void *app, struct qf_txn *t, const struct qf_bus_msg *m)
{
	struct ntf *n = app;
	const Qingfeng__V1__Envelope *env = m->env;
	if (env->type == ET(PRIVATE_EXPIRED)) {
		ProtobufCMessage *x = qf_event_payload_full(env, m->priv, m->priv_len);
		if (!x) {
			qf_warn("event_malformed", "type=PRIVATE_EXPIRED");
			qf_metric_inc(n->m_ignored);
			return 0;
		}
		int rc = s_private_expired(n, t, env, (const void *)x);
		protobuf_c_message_free_unpacked(x, NULL);
		return rc;
	}
	if (!ntf_event_family(env->type))
		return 0; /* not something anybody is told about */
	ProtobufCMessage *payload = qf_event_payload_full(env, m->priv, m->priv_len);
	if (!payload) {
		char pb[80];
		qf_warn("event_malformed", "producer=%s partition=%u seq=%llu type=%s",
			qf_log_q(env->producer, pb, sizeof pb), env->partition,
			(unsigned long long)env->seq, qf_event_type_name(env->type));
		qf_metric_inc(n->m_ignored);
		return 0;
	}
	int64_t now = qf_now_ms(n->clock);
	struct ntf_case cr;
	memset(&cr, 0, sizeof cr);
	ProtobufCMessage *pub = NULL;
	struct qf_privacy pc;
	int have_case = 0, rc = 0;
	const char *case_id = env->case_id && env->case_id[0] ? env->case_id : NULL;
	if (env->type == ET(PETITION_SUBMITTED)) {
		const Qingfeng__V1__PetitionSubmitted *p = (const void *)payload;
		if (p->case_id && p->case_id[0])
			case_id = p->case_id;
	} else if (ntf_event_family(env->type) == NTF_FAM_CASE) {
		const Qingfeng__V1__CaseTransition *tr = (const void *)payload;
		if (tr->case_id && tr->case_id[0])
			case_id = tr->case_id;
	}
	char cid[128];
	if (case_id && strlen(case_id) > 100) {
		qf_warn("event_malformed", "reason=case_id_too_long type=%s",
			qf_event_type_name(env->type));
		qf_metric_inc(n->m_ignored);
		goto out;
	}
	if (case_id) {
		snprintf(cid, sizeof cid, "%s", case_id);
		ntf_utf8_clean(cid);
		case_id = cid;
	}
	if (case_id) {
		rc = ntf_case_get(t, &n->db, case_id, &cr);
		if (rc == QF_ERR_NOTFOUND || rc == QF_ERR_PROTO) {
			ntf_case_clear(&cr);
			cr.case_id = strdup(case_id);
			if (!cr.case_id) {
				rc = QF_ERR_NOMEM;
				goto out;
			}
			rc = 0;
		} else if (rc) {
			goto out;
		}
		have_case = 1;
		int changed = 1;
		if (env->type == ET(PETITION_SUBMITTED))
			rc = s_petition(n, &cr, (const void *)payload);
		else if (ntf_event_family(env->type) == NTF_FAM_CASE)
			rc = s_transition(n, t, &cr, (const void *)payload, now);
		else
			changed = 0;
		if (rc)
			goto out;
		/* what the case's events may show publicly, remembered for the
		   events that do not say (sensitivity never goes away) */
		ntf_facts_context(env, payload, &cr, n->com, &pc);
		if (pc.sensitive != cr.sensitive || pc.consent != cr.consent)
			changed = 1;
		cr.sensitive = pc.sensitive;
		cr.consent = pc.consent;
		if (changed) {
			cr.updated_ms = now;
			if ((rc = ntf_case_put(t, &n->db, &cr)))
				goto out;
		}
	}
	if (!have_case)
		ntf_facts_context(env, payload, NULL, n->com, &pc);
	pub = s_public(env, &pc);
	struct ntf_facts f;
	memset(&f, 0, sizeof f);
	rc = ntf_facts_build(&f, env, payload, pub, have_case ? &cr : NULL, &pc, n->conf,
			     n->com);
	if (rc == QF_ERR_NOMEM) {
		ntf_facts_free(&f);
		goto out;
	}
	if (rc) {
		ntf_facts_free(&f);
		rc = 0;
		goto out;
	}
	int w = ntf_plan_apply(n, t, env, &f, have_case ? &cr : NULL, now);
	ntf_facts_free(&f);
	if (w < 0) {
		rc = w;
		goto out;
	}
	if (w > 0) {
		char cb[160];
		qf_debug("deliveries_planned", "type=%s case=%s count=%d",
			 qf_event_type_name(env->type),
			 qf_log_q(case_id ? case_id : "", cb, sizeof cb), w);
	}
out:
	ntf_case_clear(&cr);
	if (pub)
		protobuf_c_message_free_unpacked(pub, NULL);
	protobuf_c_message_free_unpacked(payload, NULL);
	return rc;
}
