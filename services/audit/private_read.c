/* private_read.c: reading a logged event's private part, and finding an
 * event's leaf.
 *
 * Reading one is an event of its own: GET /v1/leaves/<i>/private with a
 * staff token and a reason is decided, unsealed and answered inside one
 * group-commit transaction that also emits PRIVATE_READ and appends it to
 * the log, so no read is ever unrecorded. Who may read is the shared
 * access policy's (qf_policy.h, action private.read): the gate checks the
 * token and the role before the handler runs, and the transaction asks the
 * policy again with the case's facts as audit knows them (who a report
 * concerns, the parties, the handler), so a conflict is decided on the
 * same snapshot the part is read from.
 *
 * It stands apart from private.c (the sealed store, which ingest.c calls
 * while appending a leaf) because a read appends a leaf of its own
 * (audit_leaf_add): the store stays below ingest, the reading above it.
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

#define REASON_MAX 1000

/* ------------------------------------------------------------ policy */

static void s_world(void *svc, const struct qf_community **c, const struct qf_tokens **t)
{
	const struct audit *a = svc;
	*c = a->community;
	*t = a->tokens;
}

void audit_access(struct audit *a, struct qf_access *out)
{
	*out = (struct qf_access){s_world, NULL, a};
}

/* ------------------------------------------------------------ reading */

struct read_job {
	struct qf_gc_job job;
	struct audit *a;
	struct qf_http_req *r;
	uint64_t index;
	const struct qf_staff *who;
	const struct qf_community *community;
	char *reason;
	/* the verdict, decided in the transaction */
	unsigned status;
	enum qf_verdict verdict; /* the policy's, on the case's facts */
	const char *code, *msg;
	uint8_t *part; /* the PrivatePart encoding (secret) */
	size_t part_len;
	char case_id[210], type[64], producer[64];
	uint64_t read_leaf;
};

static void s_job_reset(struct read_job *j)
{
	if (j->part) {
		sodium_memzero(j->part, j->part_len);
		free(j->part);
	}
	j->part = NULL;
	j->part_len = 0;
	j->status = 0;
	j->code = j->msg = NULL;
}

static void s_deny(struct read_job *j, unsigned status, const char *code, const char *msg)
{
	j->status = status;
	j->code = code;
	j->msg = msg;
}

/* Emit PRIVATE_READ inside t and append it to the log as a leaf. */
static int s_read_event(struct audit *a, struct qf_txn *t, struct read_job *j,
			int sensitive)
{
	Qingfeng__V1__Actor actor = QINGFENG__V1__ACTOR__INIT;
	actor.staff_id = j->who->id ? j->who->id : (char *)"";
	actor.role = j->who->role ? j->who->role : (char *)"";
	actor.name = j->who->name ? j->who->name : (char *)"";
	Qingfeng__V1__PrivateRead pr = QINGFENG__V1__PRIVATE_READ__INIT;
	pr.leaf_index = j->index;
	pr.case_id = j->case_id;
	pr.actor = &actor;
	pr.reason = j->reason;
	pr.at_ms = qf_now_ms(a->clock);
	size_t len = qingfeng__v1__private_read__get_packed_size(&pr);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return QF_ERR_NOMEM;
	qingfeng__v1__private_read__pack(&pr, buf);
	struct qf_bus_event ev = {.type = QINGFENG__V1__EVENT_TYPE__PRIVATE_READ,
				  .partition_key = a->reads_key,
				  .case_id = j->case_id,
				  .payload = buf,
				  .payload_len = len};
	struct qf_privacy pc = {0, sensitive, NULL};
	uint32_t part;
	uint64_t seq;
	int rc = qf_privacy_emit_event(a->prod, t, &ev, &pc, &part, &seq, NULL);
	sodium_memzero(buf, len);
	free(buf);
	if (rc)
		return rc;
	/* the envelope exactly as published, and its private part */
	MDB_val rec;
	const uint8_t *envp, *box;
	size_t env_len, box_len;
	if ((rc = qf_bus_outbox_get(a->prod, t, part, seq, &rec)))
		return rc;
	if (qf_bus_record_parse(rec.mv_data, rec.mv_size, &envp, &env_len, &box,
				&box_len))
		return QF_ERR_PROTO;
	uint8_t *raw = malloc(env_len ? env_len : 1);
	if (!raw)
		return QF_ERR_NOMEM;
	memcpy(raw, envp, env_len); /* the map may move under the next write */
	uint8_t *pp = NULL;
	size_t pp_len = 0;
	rc = qf_bus_outbox_private(a->prod, t, part, seq, &pp, &pp_len);
	if (rc == QF_ERR_NOTFOUND || rc == QF_ERR_GONE)
		rc = QF_OK; /* (retention raced the read: public part only) */
	Qingfeng__V1__Envelope *env = rc ? NULL : qf_bus_decode(raw, env_len);
	if (!rc && !env)
		rc = QF_ERR_PROTO;
	if (!rc) {
		struct qf_bus_msg m = {.env = env, .raw = raw, .len = env_len};
		const uint8_t *nonce, *payload;
		size_t plen;
		if (pp &&
		    qf_bus_private_parse(pp, pp_len, &nonce, &payload, &plen) == 0) {
			m.priv = payload;
			m.priv_len = plen;
			m.nonce = nonce;
			m.private_part = pp;
			m.private_part_len = pp_len;
		}
		rc = audit_leaf_add(a, t, &m, &j->read_leaf);
	}
	if (env)
		qingfeng__v1__envelope__free_unpacked(env, NULL);
	if (pp) {
		sodium_memzero(pp, pp_len);
		free(pp);
	}
	free(raw);
	return rc;
}

static int s_read_apply(struct qf_txn *t, void *arg)
{
	struct read_job *j = arg;
	struct audit *a = j->a;
	s_job_reset(j); /* a write function may run twice */
	j->verdict = QF_ALLOW;
	/* decide first */
	uint64_t size;
	int rc = qf_merkle_log_size(a->log, t, &size);
	if (rc)
		return rc;
	if (j->index >= size) {
		s_deny(j, 404, "leaf_not_found", "日志中没有这个序号的叶子");
		return QF_OK;
	}
	const uint8_t *data;
	size_t len;
	if ((rc = qf_merkle_log_leaf(a->log, t, j->index, &data, &len)))
		return rc;
	Qingfeng__V1__Envelope *env = qf_bus_decode(data, len);
	if (!env) {
		s_deny(j, 404, "no_private_part", "这个叶子没有非公开部分");
		return QF_OK;
	}
	char sb[QF_VAULT_SUBJECT_MAX + 1];
	const char *subject = audit_subject(env, sb, sizeof sb);
	snprintf(j->case_id, sizeof j->case_id, "%s", env->case_id ? env->case_id : "");
	snprintf(j->producer, sizeof j->producer, "%s", env->producer);
	const char *tn = qf_event_type_name(env->type);
	snprintf(j->type, sizeof j->type, "%s", tn ? tn : "");
	int sensitive = env->partition_key && !strcmp(env->partition_key, "sensitive");
	qingfeng__v1__envelope__free_unpacked(env, NULL);
	uint8_t key[8];
	qf_be64_put(key, j->index);
	MDB_val box;
	rc = qf_txn_get(t, a->privates, key, 8, &box);
	if (rc == QF_ERR_NOTFOUND) {
		if (qf_vault_forgotten(a->vault, t, subject))
			s_deny(j, 404, "private_gone", "该内容的保存期限已满，已被删除");
		else
			s_deny(j, 404, "no_private_part", "这个叶子没有非公开部分");
		return QF_OK;
	}
	if (rc)
		return rc;
	rc = qf_vault_unseal(a->vault, t, box.mv_data, box.mv_size, key, 8, &j->part,
			     &j->part_len);
	if (rc == QF_ERR_GONE) {
		s_deny(j, 404, "private_gone", "该内容的保存期限已满，已被删除");
		return QF_OK;
	}
	if (rc)
		return rc;
	struct qf_case_facts facts;
	memset(&facts, 0, sizeof facts);
	if (j->case_id[0] && (rc = audit_case_facts(a, t, j->case_id, &facts)))
		return rc;
	facts.sensitive = sensitive || facts.concerns[0];
	j->verdict = qf_policy_case(j->community, j->who, QF_ACT_PRIVATE_READ, &facts);
	if (j->verdict != QF_ALLOW) {
		qf_warn("private_read_refused", "leaf=%llu staff=%s verdict=%d",
			(unsigned long long)j->index, j->who->id, (int)j->verdict);
		s_job_reset(j);
		return QF_OK;
	}
	/* then write: the read is on record before anyone sees the text */
	if ((rc = s_read_event(a, t, j, facts.sensitive)))
		return rc;
	j->status = 200;
	return QF_OK;
}

static void s_read_done(void *arg, int rc)
{
	struct read_job *j = arg;
	struct qf_http_req *r = j->r;
	if (rc) {
		qf_error("private_read_failed", "leaf=%llu error=\"%s\"",
			 (unsigned long long)j->index, qf_strerror(rc));
		qf_http_reply_error(r, rc == QF_ERR_STOPPED ? 503 : 500,
				    rc == QF_ERR_STOPPED ? "unavailable" : "internal",
				    "读取失败，请稍后再试", NULL);
	} else if (j->verdict != QF_ALLOW) {
		qf_access_deny(r, j->verdict); /* as the gate answers */
	} else if (j->status != 200) {
		qf_http_reply_error(r, j->status, j->code, j->msg, NULL);
	} else {
		const uint8_t *nonce, *payload;
		size_t plen;
		json_t *out = NULL;
		if (qf_bus_private_parse(j->part, j->part_len, &nonce, &payload, &plen) ==
		    0) {
			char nh[65];
			char *b64 = qf_b64_encode(payload, plen);
			uint8_t c[32];
			qf_bus_commitment(nonce, payload, plen, c);
			char ch[65];
			out = json_object();
			json_object_set_new(out, "leaf_index",
					    json_integer((json_int_t)j->index));
			json_object_set_new(out, "case_id", json_string(j->case_id));
			json_object_set_new(out, "producer", json_string(j->producer));
			json_object_set_new(out, "type", json_string(j->type));
			json_object_set_new(out, "nonce",
					    json_string(qf_hex(nonce, 32, nh)));
			json_object_set_new(out, "private_commitment",
					    json_string(qf_hex(c, 32, ch)));
			json_object_set_new(out, "payload",
					    b64 ? json_string(b64) : json_null());
			free(b64);
			int type = qf_event_type_parse(j->type);
			const ProtobufCMessageDescriptor *d =
			    type >= 0 ? qf_event_payload_descriptor(type) : NULL;
			ProtobufCMessage *m =
			    d ? protobuf_c_message_unpack(d, NULL, plen, payload) : NULL;
			json_object_set_new(out, "private",
					    m ? qf_message_json(m) : json_null());
			if (m)
				protobuf_c_message_free_unpacked(m, NULL);
			json_object_set_new(out, "read_leaf",
					    json_integer((json_int_t)j->read_leaf));
		}
		if (out) {
			qf_metric_inc(j->a->m_reads);
			qf_info("private_read", "leaf=%llu staff=%s read_leaf=%llu",
				(unsigned long long)j->index, j->who->id,
				(unsigned long long)j->read_leaf);
			qf_http_add_header(r, "Cache-Control", "no-store");
			qf_http_reply_json(r, 200, out);
		} else {
			qf_http_reply_error(r, 500, "internal", "非公开部分已损坏", NULL);
		}
	}
	s_job_reset(j);
	free(j->reason);
	free(j);
}

/* A decimal index without leading zeros; 0 or -1. */
static int s_index(const char *v, uint64_t *out)
{
	uint64_t x = 0;
	int ok = v && v[0] && strlen(v) <= 20 && !(v[0] == '0' && v[1]);
	for (const char *p = v; ok && *p; p++) {
		if (*p < '0' || *p > '9' || x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			ok = 0;
		else
			x = x * 10 + (uint64_t)(*p - '0');
	}
	*out = x;
	return ok ? 0 : -1;
}

void audit_h_private(struct qf_http_req *r, void *ctx)
{
	struct audit *a = ctx;
	qf_http_add_header(r, "Cache-Control", "no-store");
	uint64_t index;
	if (s_index(qf_http_param(r, "index"), &index)) {
		qf_http_reply_error(r, 400, "bad_parameter", "叶子序号必须是非负整数",
				    "index");
		return;
	}
	/* the gate authenticated the caller and checked the role */
	const struct qf_staff *who = qf_access_staff(r);
	if (!who) {
		qf_access_deny(r, QF_DENY_AUTH);
		return;
	}
	const char *reason = qf_http_query(r, "reason");
	size_t rl = reason ? strlen(reason) : 0;
	const char *p = reason;
	while (p && (*p == ' ' || *p == '\t'))
		p++;
	if (!p || !*p) {
		qf_http_reply_error(r, 400, "missing_reason",
				    "查阅非公开内容必须说明理由（reason）", "reason");
		return;
	}
	if (rl > REASON_MAX) {
		qf_http_reply_error(r, 400, "bad_parameter", "理由不能超过 1000 字节",
				    "reason");
		return;
	}
	struct read_job *j = calloc(1, sizeof *j);
	if (!j || !(j->reason = strdup(reason))) {
		free(j);
		qf_http_reply_error(r, 503, "unavailable", "服务繁忙，请稍后再试", NULL);
		return;
	}
	j->a = a;
	j->r = r;
	j->index = index;
	j->who = who;
	j->community = qf_access_community(r);
	j->job.apply = s_read_apply;
	j->job.done = s_read_done;
	j->job.arg = j;
	qf_http_suspend(r);
	if (qf_gc_submit(qf_svc_gc(a->svc), &j->job)) {
		free(j->reason);
		free(j);
		qf_http_reply_error(r, 503, "unavailable", "服务正在停止", NULL);
	}
}

/* ------------------------------------------------------------ events */

struct event_q {
	struct audit *a;
	uint8_t id[64];
	size_t len;
	int found;
	uint64_t leaf;
};

static int s_event_read(struct qf_txn *t, void *arg)
{
	struct event_q *q = arg;
	MDB_val v;
	int rc = qf_txn_get(t, q->a->events, q->id, q->len, &v);
	if (rc == QF_ERR_NOTFOUND)
		return QF_OK;
	if (rc)
		return rc;
	if (v.mv_size == 8) {
		q->found = 1;
		q->leaf = qf_be64_get(v.mv_data);
	}
	return QF_OK;
}

void audit_h_event(struct qf_http_req *r, void *ctx)
{
	struct audit *a = ctx;
	const char *hex = qf_http_param(r, "id");
	struct event_q q = {.a = a};
	size_t hl = hex ? strlen(hex) : 0;
	if (hl < 2 || hl > 128 || hl % 2 || qf_unhex(hex, q.id, hl / 2)) {
		qf_http_reply_error(r, 400, "bad_parameter", "事件编号必须是十六进制",
				    "id");
		return;
	}
	q.len = hl / 2;
	int rc = qf_store_read(a->store, s_event_read, &q);
	if (rc) {
		qf_error("read_failed", "path=%s error=\"%s\"", qf_http_path(r),
			 qf_strerror(rc));
		qf_http_reply_error(r, 500, "internal", "读取审计日志失败", NULL);
		return;
	}
	if (!q.found) {
		qf_http_reply_error(r, 404, "event_not_found", "审计日志中没有这个事件",
				    "id");
		return;
	}
	char h[129];
	qf_http_reply_json(r, 200,
			   json_pack("{s:s, s:I}", "event_id", qf_hex(q.id, q.len, h),
				     "leaf_index", (json_int_t)q.leaf));
}
