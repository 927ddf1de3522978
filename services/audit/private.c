/* private.c: the private parts of logged events, kept apart from the log.
 *
 * A leaf is an event's public part; the private part (PrivatePart: the
 * whole payload and the nonce of the leaf's commitment) is kept in
 * audit.private, keyed by leaf index, sealed with the store's vault under
 * the event's subject (its case, or "visit:<id>"), in the transaction that
 * appends the leaf. Nothing public reads it. Retention (PRIVATE_EXPIRED)
 * forgets the subject's key: every copy becomes ciphertext nobody can open,
 * and the tree, the checkpoints and every proof stay exactly as they were,
 * because they never contained it.
 *
 * Reading one is an event of its own, which appends a leaf: that is
 * private_read.c, above ingest.c, so that keeping a part (called by
 * ingest) never depends on the log it is kept beside.
 *
 * PRIVATE_READ goes out on a partition key of its own (reads_key, chosen so
 * that it never shares a partition with "audit"): every event of that
 * partition is logged, so the log's completeness check holds for it, while
 * alerts and checkpoints (partition "audit") stay out of the log.
 */
#include "audit.h"
#include "qf_access.h"
#include "qf_community.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_privacy.h"
#include "qf_tokens.h"
#include "qf_vault.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ open */

/* A partition key for PRIVATE_READ whose partition differs from "audit"'s;
 * "" when the stream has a single partition. Fixed for a given partition
 * count, which never changes on a live system. */
static void s_reads_key(char out[32], uint32_t parts)
{
	out[0] = '\0';
	if (parts < 2)
		return;
	uint32_t audit_part = qf_partition_of("audit", parts);
	for (unsigned i = 0; i < 1000; i++) {
		char k[32];
		if (i == 0)
			snprintf(k, sizeof k, "audit-reads");
		else
			snprintf(k, sizeof k, "audit-reads-%u", i);
		if (qf_partition_of(k, parts) != audit_part) {
			memcpy(out, k, sizeof k);
			return;
		}
	}
}

/* Load the community and tokens files; 0 or QF_ERR_CONFIG with errs. */
static int s_access_load(const struct audit_conf *c, struct qf_community **com,
			 struct qf_tokens **tok, struct qf_cfg_errors *errs)
{
	char *cpath = qf_cfg_resolve(c->svc.config_file, c->svc.community);
	char *tpath = qf_cfg_resolve(c->svc.config_file, c->tokens_file);
	struct qf_cfg_errors sub;
	memset(&sub, 0, sizeof sub);
	int rc = QF_OK;
	if (!cpath || !tpath || qf_community_load(cpath, com, &sub)) {
		rc = QF_ERR_CONFIG;
		if (!sub.n)
			qf_cfg_error(errs, NULL, "service.community", "cannot load '%s'",
				     cpath ? cpath : "?");
	} else if (qf_tokens_load(tpath, *com, tok, &sub)) {
		rc = QF_ERR_CONFIG;
	}
	for (unsigned i = 0; i < sub.n && errs->n < QF_CFG_MAX_ERRORS; i++)
		snprintf(errs->msg[errs->n++], sizeof errs->msg[0], "%s", sub.msg[i]);
	if (rc) {
		qf_tokens_free(tok);
		qf_community_free(com);
	}
	free(cpath);
	free(tpath);
	return rc;
}

int audit_private_check(struct audit_conf *c, struct qf_cfg_errors *errs)
{
	if (!c->tokens_file || !c->tokens_file[0])
		return QF_OK;
	int rc = QF_OK;
	if (c->svc.partitions < 2) {
		qf_cfg_error(errs, NULL, "bus.partitions",
			     "private reads (access.tokens_file) need at least 2 "
			     "partitions: PRIVATE_READ is logged on a partition of its "
			     "own");
		rc = QF_ERR_CONFIG;
	}
	struct qf_community *com = NULL;
	struct qf_tokens *tok = NULL;
	if (s_access_load(c, &com, &tok, errs))
		rc = QF_ERR_CONFIG;
	qf_tokens_free(&tok);
	qf_community_free(&com);
	return rc;
}

int audit_private_open(struct audit *a)
{
	int rc;
	if ((rc = qf_store_dbi(a->store, "audit.private", 0, &a->privates)))
		return rc;
	if (!a->vault) {
		if ((rc = qf_vault_open(&a->vault, a->store)))
			return rc;
		a->own_vault = 1;
	}
	s_reads_key(a->reads_key, a->prod ? qf_bus_producer_partitions(a->prod) : 1);
	const struct audit_conf *c = a->conf;
	if (!c->tokens_file || !c->tokens_file[0])
		return QF_OK;
	struct qf_cfg_errors errs = {.file = c->svc.config_file};
	if (s_access_load(c, &a->community, &a->tokens, &errs)) {
		for (unsigned i = 0; i < errs.n; i++)
			qf_error("access_failed", "error=\"%s\"", errs.msg[i]);
		return QF_ERR_CONFIG;
	}
	if (!a->reads_key[0]) {
		qf_error("access_failed",
			 "error=\"private reads need bus.partitions >= 2\"");
		return QF_ERR_CONFIG;
	}
	return QF_OK;
}

void audit_private_close(struct audit *a)
{
	qf_tokens_free(&a->tokens);
	qf_community_free(&a->community);
	if (a->own_vault)
		qf_vault_destroy(&a->vault);
	a->vault = NULL;
	a->own_vault = 0;
}

/* ------------------------------------------------------------ keeping */

const char *audit_subject(const Qingfeng__V1__Envelope *env, char *buf, size_t n)
{
	snprintf(buf, n, "-");
	if (env->case_id && env->case_id[0]) {
		if (strlen(env->case_id) <= QF_VAULT_SUBJECT_MAX)
			snprintf(buf, n, "%s", env->case_id);
		return buf;
	}
	if (env->type != QINGFENG__V1__EVENT_TYPE__VISIT_RECORDED)
		return buf;
	/* the visit id is public, so the subject is the same with or without
	   the private part */
	ProtobufCMessage *m = qf_event_payload(env);
	if (!m)
		return buf;
	const Qingfeng__V1__VisitRecorded *v = (const void *)m;
	if (v->visit_id && v->visit_id[0] &&
	    strlen(v->visit_id) + 6 <= QF_VAULT_SUBJECT_MAX)
		snprintf(buf, n, "visit:%s", v->visit_id);
	protobuf_c_message_free_unpacked(m, NULL);
	return buf;
}

int audit_private_keep(struct audit *a, struct qf_txn *t,
		       const Qingfeng__V1__Envelope *env, const uint8_t *part,
		       size_t part_len, uint64_t leaf)
{
	char sb[QF_VAULT_SUBJECT_MAX + 1];
	const char *subject = audit_subject(env, sb, sizeof sb);
	uint8_t key[8], *box = NULL;
	size_t box_len = 0;
	qf_be64_put(key, leaf);
	int rc =
	    qf_vault_seal(a->vault, t, subject, key, 8, part, part_len, &box, &box_len);
	if (rc == QF_ERR_GONE)
		return QF_OK; /* retention came first: keep nothing */
	if (rc)
		return rc;
	rc = qf_txn_put(t, a->privates, key, 8, box, box_len, 0);
	free(box);
	return rc;
}

/* A case's sealed copies: delete them too (they are unreadable already; this
 * gives their pages back, so that compaction leaves nothing of them). */
static int s_drop_case(struct audit *a, struct qf_txn *t, const char *case_id,
		       unsigned *dropped)
{
	size_t cl = strlen(case_id);
	if (cl >= 200)
		return QF_OK;
	uint8_t k[210];
	memcpy(k, case_id, cl);
	k[cl] = 0;
	struct qf_iter it;
	int rc;
	for (rc = qf_iter_open(&it, t, a->cases, k, cl + 1);
	     rc == QF_OK && (rc = qf_iter_next(&it)) > 0 && it.k.mv_size == cl + 9;
	     rc = QF_OK) {
		uint8_t lb[8];
		memcpy(lb, (uint8_t *)it.k.mv_data + cl + 1, 8);
		int r2 = qf_txn_del(t, a->privates, lb, 8);
		if (r2 == QF_OK)
			(*dropped)++;
		else if (r2 != QF_ERR_NOTFOUND) {
			rc = r2;
			break;
		}
	}
	qf_iter_close(&it);
	return rc < 0 ? rc : QF_OK;
}

int audit_private_expired(struct audit *a, struct qf_txn *t,
			  const Qingfeng__V1__Envelope *env)
{
	/* only the router decides retention (as intake has it): any other
	   producer's PRIVATE_EXPIRED is logged like any event, and ignored */
	if (strncmp(env->producer, "router", 6)) {
		qf_warn("private_expired_ignored",
			"producer=%s seq=%llu note=\"not the "
			"router\"",
			env->producer, (unsigned long long)env->seq);
		return QF_OK;
	}
	ProtobufCMessage *m = qf_event_payload(env);
	if (!m) {
		qf_warn("private_expired_undecodable", "producer=%s seq=%llu",
			env->producer, (unsigned long long)env->seq);
		return QF_OK;
	}
	const Qingfeng__V1__PrivateExpired *pe = (const void *)m;
	const char *subject = pe->subject && pe->subject[0]   ? pe->subject
			      : pe->case_id && pe->case_id[0] ? pe->case_id
							      : "";
	int rc = QF_OK;
	if (!subject[0] || !strcmp(subject, "-") ||
	    strlen(subject) > QF_VAULT_SUBJECT_MAX) {
		/* "-" holds the private parts of every event without a subject
		   of its own: never forgotten at once by one message */
		qf_warn("private_expired_ignored", "producer=%s subject=\"%s\"",
			env->producer, subject);
		goto out;
	}
	if ((rc = qf_vault_forget(a->vault, t, subject)))
		goto out;
	unsigned dropped = 0;
	const char *case_id = pe->case_id && pe->case_id[0] ? pe->case_id : NULL;
	if (!case_id && strncmp(subject, "visit:", 6))
		case_id = subject; /* a case's subject is its id */
	if (case_id && ((rc = s_drop_case(a, t, case_id, &dropped)) ||
			(rc = audit_case_forget(a, t, case_id))))
		goto out;
	qf_metric_inc(a->m_forgotten);
	qf_info("private_expired", "subject=%s producer=%s dropped=%u", subject,
		env->producer, dropped);
out:
	protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}
