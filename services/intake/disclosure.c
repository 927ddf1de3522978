/* disclosure.c: three-affairs disclosure records from authorised staff:
 * ledger entries, quarterly balances, notices, lists (e.g. medical-aid
 * applicants) and roster entries, as DISCLOSURE_SUBMITTED events for the
 * disclosure-publisher. A correction is a new version of the same record id
 * with a reason, never an overwrite.
 *
 * Design: the decoder validates and normalises a body into the JSON shape of
 * the DisclosureSubmitted message (proto field names), so what is stored,
 * what is emitted (built with qf_message_from_json) and what is shown are
 * one object and cannot disagree. */
#include "intake.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"

#define MAX_FEN 100000000000000LL /* one trillion yuan: an input error beyond */

static const struct {
	const char *name, *enum_name, *member;
	enum qf_action action; /* who may enter it */
} s_kinds[] = {
    {"ledger", "DISCLOSURE_LEDGER_ENTRY", "ledger", QF_ACT_LEDGER_WRITE},
    {"balance", "DISCLOSURE_BALANCE", "balance", QF_ACT_LEDGER_WRITE},
    {"notice", "DISCLOSURE_NOTICE", "notice", QF_ACT_NOTICE_WRITE},
    {"list", "DISCLOSURE_LIST", "list", QF_ACT_LIST_WRITE},
    {"roster", "DISCLOSURE_ROSTER", "roster", QF_ACT_ROSTER_WRITE},
};

/* Separation of duties: whoever enters a record of a kind must hold that
 * kind's action (the policy table: ledger and balance by the secretary or
 * the finance role, a roster entry by the secretary or its own person, as
 * the community file grants). For a roster entry, owner is its staff id.
 * Returns QF_ALLOW or the verdict to answer. */
static enum qf_verdict s_kind_allowed(struct intake *in, const struct qf_staff *s,
				      const char *enum_name, const json_t *rec)
{
	for (size_t k = 0; k < sizeof s_kinds / sizeof s_kinds[0]; k++) {
		if (!enum_name || strcmp(enum_name, s_kinds[k].enum_name))
			continue;
		const struct qf_community *c = intake_world_get(in)->community;
		if (s_kinds[k].action == QF_ACT_ROSTER_WRITE)
			return qf_policy_own(
			    c, s, QF_ACT_ROSTER_WRITE,
			    json_string_value(json_object_get(
				json_object_get(rec, "roster"), "staff_id")));
		return qf_policy_role_allows(c, s, s_kinds[k].action);
	}
	return QF_DENY_ROLE;
}

/* Helpers adding a checked member of src to dst (prefix names the field). */
static int s_str(const json_t *src, json_t *dst, const char *pre, const char *key,
		 int required, size_t max, int multiline, struct intake_err *e)
{
	char *v = NULL;
	if (intake_json_str(src, key, required, max, multiline, &v, e)) {
		char f[64];
		snprintf(f, sizeof f, "%s.%s", pre, key);
		snprintf(e->field, sizeof e->field, "%s", f);
		return -1;
	}
	json_object_set_new(dst, key, json_string(v ? v : ""));
	free(v);
	return 0;
}

static int s_int(const json_t *src, json_t *dst, const char *pre, const char *key,
		 int required, long long min, long long max, struct intake_err *e)
{
	long long v;
	if (intake_json_int(src, key, required, min, max, 0, &v, e)) {
		char f[64];
		snprintf(f, sizeof f, "%s.%s", pre, key);
		snprintf(e->field, sizeof e->field, "%s", f);
		return -1;
	}
	json_object_set_new(dst, key, json_integer(v));
	return 0;
}

static int s_date(json_t *dst, const char *pre, const char *key, struct intake_err *e)
{
	const char *d = json_string_value(json_object_get(dst, key));
	if (d && *d && !intake_date_valid(d)) {
		char f[64];
		snprintf(f, sizeof f, "%s.%s", pre, key);
		return intake_err_set(e, 400, "invalid_date", f,
				      "%s 必须是 YYYY-MM-DD 日期", f);
	}
	return 0;
}

static int s_ledger(const json_t *in, json_t *out, struct intake_err *e)
{
	if (s_str(in, out, "ledger", "date", 1, 10, 0, e) ||
	    s_date(out, "ledger", "date", e) ||
	    s_int(in, out, "ledger", "amount_fen", 1, 1, MAX_FEN, e) ||
	    s_str(in, out, "ledger", "reason", 1, 200, 0, e) ||
	    s_str(in, out, "ledger", "counterparty", 1, 100, 0, e) ||
	    s_str(in, out, "ledger", "voucher", 0, 64, 0, e))
		return -1;
	json_t *dir = json_object_get(in, "direction");
	json_t *inc = json_object_get(in, "income");
	int income;
	if (json_is_string(dir) && !strcmp(json_string_value(dir), "income"))
		income = 1;
	else if (json_is_string(dir) && !strcmp(json_string_value(dir), "expense"))
		income = 0;
	else if (!dir && json_is_boolean(inc))
		income = json_is_true(inc);
	else
		return intake_err_set(
		    e, 400, "invalid_direction", "ledger.direction",
		    "ledger.direction 必须是 income（收入）或 expense（支出）");
	json_object_set_new(out, "income", json_boolean(income));
	return 0;
}

static int s_quarter_ok(const char *q)
{
	return strlen(q) == 6 && isdigit((unsigned char)q[0]) &&
	       isdigit((unsigned char)q[1]) && isdigit((unsigned char)q[2]) &&
	       isdigit((unsigned char)q[3]) && q[4] == 'Q' && q[5] >= '1' && q[5] <= '4';
}

static int s_balance(const json_t *in, json_t *out, struct intake_err *e)
{
	if (s_str(in, out, "balance", "quarter", 1, 6, 0, e) ||
	    s_int(in, out, "balance", "opening_fen", 1, -MAX_FEN, MAX_FEN, e) ||
	    s_int(in, out, "balance", "closing_fen", 1, -MAX_FEN, MAX_FEN, e) ||
	    s_str(in, out, "balance", "account", 1, 64, 0, e) ||
	    s_str(in, out, "balance", "as_of", 1, 10, 0, e) ||
	    s_date(out, "balance", "as_of", e))
		return -1;
	if (!s_quarter_ok(json_string_value(json_object_get(out, "quarter"))))
		return intake_err_set(e, 400, "invalid_quarter", "balance.quarter",
				      "balance.quarter 必须形如 2026Q3");
	return 0;
}

static int s_notice(const json_t *in, json_t *out, struct intake_err *e)
{
	if (s_str(in, out, "notice", "affair", 1, 16, 0, e) ||
	    s_str(in, out, "notice", "title", 1, 100, 0, e) ||
	    s_str(in, out, "notice", "body", 1, 10000, 1, e) ||
	    s_str(in, out, "notice", "date", 1, 10, 0, e) ||
	    s_date(out, "notice", "date", e))
		return -1;
	const char *a = json_string_value(json_object_get(out, "affair"));
	if (strcmp(a, "party") && strcmp(a, "residential") && strcmp(a, "financial"))
		return intake_err_set(
		    e, 400, "invalid_affair", "notice.affair",
		    "notice.affair 必须是 party、residential 或 financial");
	return 0;
}

static int s_list(const json_t *in, json_t *out, const struct qf_community *c,
		  struct intake_err *e)
{
	if (s_str(in, out, "list", "title", 1, 100, 0, e) ||
	    s_str(in, out, "list", "list_kind", 1, 32, 0, e) ||
	    s_str(in, out, "list", "period", 1, 32, 0, e))
		return -1;
	for (const char *p = json_string_value(json_object_get(out, "list_kind")); *p;
	     p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_' || (*p >= '0' && *p <= '9')))
			return intake_err_set(
			    e, 400, "invalid_list_kind", "list.list_kind",
			    "list.list_kind 只能是小写字母、数字和下划线");
	json_t *items = json_object_get(in, "items");
	if (!json_is_array(items) || json_array_size(items) > 2000)
		return intake_err_set(e, 400, "invalid_type", "list.items",
				      "list.items 必须是最多 2000 项的数组");
	json_t *arr = json_array();
	json_object_set_new(out, "items", arr);
	for (size_t i = 0; i < json_array_size(items); i++) {
		json_t *it = json_array_get(items, i), *o = json_object();
		json_array_append_new(arr, o);
		char pre[40];
		snprintf(pre, sizeof pre, "list.items[%u]", (unsigned)i);
		if (!json_is_object(it))
			return intake_err_set(e, 400, "invalid_type", pre,
					      "%s 必须是对象", pre);
		if (s_str(it, o, pre, "name", 1, 32, 0, e) ||
		    s_str(it, o, pre, "building", 0, 64, 0, e) ||
		    s_str(it, o, pre, "detail", 0, 200, 0, e) ||
		    s_int(it, o, pre, "amount_fen", 0, 0, MAX_FEN, e))
			return -1;
		const char *b = json_string_value(json_object_get(o, "building"));
		if (*b && !qf_community_building(c, b)) {
			char f[64];
			snprintf(f, sizeof f, "%s.building", pre);
			return intake_err_set(e, 422, "unknown_building", f,
					      "没有这个楼栋：%s", b);
		}
	}
	return 0;
}

static int s_roster(const json_t *in, json_t *out, struct intake_err *e)
{
	if (s_str(in, out, "roster", "staff_id", 1, 32, 0, e) ||
	    s_str(in, out, "roster", "name", 1, 32, 0, e) ||
	    s_str(in, out, "roster", "post", 1, 64, 0, e) ||
	    s_str(in, out, "roster", "responsibilities", 0, 500, 0, e) ||
	    s_str(in, out, "roster", "duty", 0, 100, 0, e) ||
	    s_str(in, out, "roster", "office_phone", 0, 32, 0, e))
		return -1;
	const char *ph = json_string_value(json_object_get(out, "office_phone"));
	char norm[40];
	if (*ph) {
		if (intake_phone_norm(ph, norm, sizeof norm))
			return intake_err_set(e, 400, "invalid_phone",
					      "roster.office_phone",
					      "roster.office_phone 不是有效的电话号码");
		json_object_set_new(out, "office_phone", json_string(norm));
	}
	int removed;
	if (intake_json_bool(in, "removed", 0, &removed, e))
		return -1;
	json_object_set_new(out, "removed", json_boolean(removed));
	return 0;
}

/* Decode a disclosure body into the normalised DisclosureSubmitted JSON
 * (without record_id, version, actor, submitted_ms). want_kind: for a
 * correction, the kind the record already has (or NULL). Pure. */
json_t *intake_disclosure_decode(const json_t *obj, const struct qf_community *c,
				 int correction, struct intake_err *e)
{
	if (!json_is_object(obj)) {
		intake_err_set(e, 400, "not_an_object", NULL, "请求体必须是 JSON 对象");
		return NULL;
	}
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	size_t k = 0;
	for (; kind && k < sizeof s_kinds / sizeof s_kinds[0]; k++)
		if (!strcmp(kind, s_kinds[k].name))
			break;
	if (!kind || k == sizeof s_kinds / sizeof s_kinds[0]) {
		intake_err_set(e, 400, "invalid_kind", "kind",
			       "kind 必须是 ledger、balance、notice、list 或 roster");
		return NULL;
	}
	json_t *body = json_object_get(obj, s_kinds[k].member);
	if (!json_is_object(body)) {
		intake_err_set(e, 400, "missing_field", s_kinds[k].member, "缺少 %s 对象",
			       s_kinds[k].member);
		return NULL;
	}
	json_t *out = json_object(), *inner = json_object();
	json_object_set_new(out, "kind", json_string(s_kinds[k].enum_name));
	json_object_set_new(out, s_kinds[k].member, inner);
	int rc;
	switch (k) {
	case 0:
		rc = s_ledger(body, inner, e);
		break;
	case 1:
		rc = s_balance(body, inner, e);
		break;
	case 2:
		rc = s_notice(body, inner, e);
		break;
	case 3:
		rc = s_list(body, inner, c, e);
		break;
	default:
		rc = s_roster(body, inner, e);
		break;
	}
	char *reason = NULL;
	if (!rc &&
	    intake_json_str(obj, "correction_reason", correction, 500, 1, &reason, e))
		rc = -1;
	if (rc) {
		json_decref(out);
		return NULL;
	}
	if (reason)
		json_object_set_new(out, "correction_reason", json_string(reason));
	free(reason);
	return out;
}

/* ------------------------------------------------------------ job */

struct disc_job {
	struct qf_gc_job job;
	struct intake *in;
	struct qf_http_req *r;
	const struct qf_staff *actor;
	json_t *rec; /* normalised body */
	char record_id[QF_ID_LEN + 2];
	int correction;
	unsigned version;
	struct intake_idem idem;
	int64_t now;
	char *answer;
	unsigned status;
	int replay;
	struct intake_err err;
	intake_disc_reply reply; /* a page's answer, or NULL: the API's */
	void *reply_arg;
};

static void s_key(const char *id, unsigned v, uint8_t *k, size_t *kl)
{
	size_t l = strlen(id);
	memcpy(k, id, l);
	qf_be32_put(k + l, v);
	*kl = l + 4;
}

/* The latest version of a record (0: none) and its JSON (new ref). */
static unsigned s_latest(struct intake *in, struct qf_txn *t, const char *id,
			 json_t **rec)
{
	uint8_t k[64];
	size_t kl;
	s_key(id, 0xFFFFFFFFu, k, &kl);
	*rec = NULL;
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), in->db.disc, &c))
		return 0;
	MDB_val key = {kl, k}, val;
	int rc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
	if (rc == 0)
		rc = mdb_cursor_get(c, &key, &val, MDB_PREV);
	else
		rc = mdb_cursor_get(c, &key, &val, MDB_LAST);
	unsigned v = 0;
	if (rc == 0 && key.mv_size == kl && !memcmp(key.mv_data, k, kl - 4)) {
		v = qf_be32_get((const uint8_t *)key.mv_data + kl - 4);
		*rec = json_loadb(val.mv_data, val.mv_size, 0, NULL);
	}
	mdb_cursor_close(c);
	return v;
}

static int s_apply(struct qf_txn *t, void *arg)
{
	struct disc_job *j = arg;
	struct intake *in = j->in;
	j->err.code = NULL;
	j->replay = 0;
	free(j->answer);
	j->answer = NULL;
	if (j->idem.present) {
		unsigned st;
		char *body = NULL;
		int f = intake_idem_find(in, t, &j->idem, &st, &body, NULL, 0);
		if (f == INTAKE_IDEM_OTHER) {
			free(body);
			intake_err_set(&j->err, 422, "idempotency_key_reused",
				       "Idempotency-Key",
				       "这个 Idempotency-Key 已用于另一个不同的请求");
			return QF_OK;
		}
		if (f == INTAKE_IDEM_SAME) {
			j->replay = 1;
			j->answer = body;
			j->status = st;
			return QF_OK;
		}
	}
	if (j->correction) {
		json_t *prev = NULL;
		unsigned v = s_latest(in, t, j->record_id, &prev);
		if (!v) {
			intake_err_set(&j->err, 404, "record_not_found", NULL,
				       "没有这条公开记录");
			return QF_OK;
		}
		const char *pk = json_string_value(json_object_get(prev, "kind"));
		const char *nk = json_string_value(json_object_get(j->rec, "kind"));
		int same = pk && nk && !strcmp(pk, nk);
		json_decref(prev);
		if (!same) {
			intake_err_set(&j->err, 422, "kind_mismatch", "kind",
				       "更正必须与原记录的类别相同");
			return QF_OK;
		}
		j->version = v + 1;
	}
	/* the kind decides who may enter it (and a roster entry: whose) */
	enum qf_verdict kv = s_kind_allowed(
	    in, j->actor, json_string_value(json_object_get(j->rec, "kind")), j->rec);
	if (kv != QF_ALLOW) {
		intake_err_set(&j->err, 403, "forbidden_role", NULL,
			       "您的岗位无权录入这类公开记录（账目由书记或财务录入，"
			       "花名册由本人或书记录入）");
		return QF_OK;
	}
	if (!j->correction) {
		j->record_id[0] = 'D';
		qf_id_sortable(j->now, j->record_id + 1);
		j->version = 1;
	}
	json_t *full = json_deep_copy(j->rec);
	json_object_set_new(full, "record_id", json_string(j->record_id));
	json_object_set_new(full, "version", json_integer(j->version));
	json_object_set_new(full, "actor", intake_actor_json(j->actor));
	json_object_set_new(full, "submitted_ms", json_integer(j->now));
	char err[256];
	ProtobufCMessage *m = qf_message_from_json(
	    &qingfeng__v1__disclosure_submitted__descriptor, full, err, sizeof err);
	if (!m) {
		qf_error("disclosure_encode_failed", "error=\"%s\"", err);
		json_decref(full);
		intake_err_set(&j->err, 500, "internal", NULL, "无法编码公开记录");
		return QF_OK;
	}
	uint8_t k[64];
	size_t kl;
	s_key(j->record_id, j->version, k, &kl);
	int rc = intake_json_put(t, in->db.disc, k, kl, full, MDB_NOOVERWRITE);
	json_decref(full);
	if (!rc)
		rc = intake_emit(in, t, QINGFENG__V1__EVENT_TYPE__DISCLOSURE_SUBMITTED,
				 j->record_id, NULL, NULL, m, NULL);
	protobuf_c_message_free_unpacked(m, NULL);
	if (rc)
		return rc;
	json_t *a = json_pack("{s:s, s:i, s:s}", "record_id", j->record_id, "version",
			      (int)j->version, "kind",
			      json_string_value(json_object_get(j->rec, "kind")));
	j->answer = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (!j->answer)
		return QF_ERR_NOMEM;
	j->status = 201;
	return intake_idem_put(in, t, &j->idem, j->status, j->answer, NULL);
}

static void s_free(struct disc_job *j)
{
	json_decref(j->rec);
	free(j->answer);
	free(j);
}

static void s_done(void *arg, int rc)
{
	struct disc_job *j = arg;
	if (j->reply) {
		if (rc)
			intake_err_set(&j->err, 503, "unavailable", NULL,
				       "暂时无法保存，请稍后重试");
		j->reply(j->r, j->status, j->answer, rc || j->err.code ? &j->err : NULL,
			 j->reply_arg);
	} else if (rc) {
		qf_http_reply_error(j->r, 503, "unavailable", "暂时无法保存，请稍后重试",
				    NULL);
	} else if (j->err.code) {
		intake_reply_err(j->r, &j->err);
	} else {
		if (j->replay) {
			qf_metric_inc(j->in->m.idem_replay);
			qf_http_add_header(j->r, "Idempotent-Replayed", "true");
		} else {
			qf_metric_inc(j->in->m.disclosures);
			qf_info("disclosure_submitted", "record=%s version=%u staff=%s",
				j->record_id, j->version, j->actor->id);
		}
		qf_http_reply(j->r, j->status, "application/json; charset=utf-8",
			      j->answer, strlen(j->answer));
	}
	s_free(j);
}

/* The record in obj (not taken) as a new record of kind, or (kind NULL) a
 * correction of the record :id; answered by reply, or as the API when
 * reply is NULL. */
static void s_start(struct qf_http_req *r, struct intake *in, int correction,
		    const char *kind, json_t *obj, intake_disc_reply reply, void *arg)
{
	const struct qf_staff *s = qf_access_staff(r);
	struct intake_err e = {0};
	struct disc_job *j = calloc(1, sizeof *j);
	if (!j) {
		intake_err_set(&e, 500, "internal", NULL, "内存不足");
		goto refuse;
	}
	if (correction) {
		const char *id = qf_http_param(r, "id");
		if (strlen(id) != QF_ID_LEN + 1 || id[0] != 'D') {
			intake_err_set(&e, 404, "record_not_found", NULL,
				       "没有这条公开记录");
			goto refuse;
		}
		memcpy(j->record_id, id, QF_ID_LEN + 2);
	}
	if (intake_idem_from_request(
		r, correction ? "disclosure-correction" : "disclosure", &j->idem)) {
		free(j);
		return;
	}
	const char *bk = json_string_value(json_object_get(obj, "kind"));
	if (kind && bk && strcmp(bk, kind)) {
		intake_err_set(&e, 400, "invalid_kind", "kind",
			       "kind 与地址不符：这里只收 %s", kind);
	} else if (kind) {
		json_object_set_new(obj, "kind", json_string(kind));
	}
	j->rec = e.code ? NULL
			: intake_disclosure_decode(obj, intake_world_get(in)->community,
						   correction, &e);
	if (!j->rec)
		goto refuse;
	j->in = in;
	j->r = r;
	j->actor = s;
	j->correction = correction;
	j->now = qf_now_ms(in->clock);
	j->reply = reply;
	j->reply_arg = arg;
	j->job.apply = s_apply;
	j->job.done = s_done;
	j->job.arg = j;
	if (intake_queue(in, r, &j->job)) {
		s_free(j);
	}
	return;
refuse:
	free(j);
	if (reply)
		reply(r, e.status, NULL, &e, arg);
	else
		intake_reply_err(r, &e);
}

static void s_submit(struct qf_http_req *r, struct intake *in, int correction,
		     const char *kind)
{
	json_t *obj = intake_body_json(r);
	if (!obj)
		return;
	s_start(r, in, correction, kind, obj, NULL, NULL);
	json_decref(obj);
}

void intake_disclosure_start(struct intake *in, struct qf_http_req *r, const char *kind,
			     json_t *obj, intake_disc_reply reply, void *arg)
{
	s_start(r, in, 0, kind, obj, reply, arg);
}

void intake_h_disclosure_ledger(struct qf_http_req *r, void *ctx)
{
	s_submit(r, ctx, 0, "ledger");
}

void intake_h_disclosure_balance(struct qf_http_req *r, void *ctx)
{
	s_submit(r, ctx, 0, "balance");
}

void intake_h_disclosure_notice(struct qf_http_req *r, void *ctx)
{
	s_submit(r, ctx, 0, "notice");
}

void intake_h_disclosure_list(struct qf_http_req *r, void *ctx)
{
	s_submit(r, ctx, 0, "list");
}

void intake_h_disclosure_roster(struct qf_http_req *r, void *ctx)
{
	s_submit(r, ctx, 0, "roster");
}

void intake_h_disclosure_correct(struct qf_http_req *r, void *ctx)
{
	s_submit(r, ctx, 1, NULL);
}

struct disc_read {
	struct intake *in;
	const char *id;
	json_t *versions;
};

static int s_read(struct qf_txn *t, void *arg)
{
	struct disc_read *d = arg;
	uint8_t k[64];
	size_t kl;
	s_key(d->id, 0, k, &kl);
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), d->in->db.disc, &c))
		return QF_ERR_STORE;
	MDB_val key = {kl, k}, val;
	int rc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
	while (rc == 0 && key.mv_size == kl && !memcmp(key.mv_data, k, kl - 4)) {
		json_t *v = json_loadb(val.mv_data, val.mv_size, 0, NULL);
		if (v)
			json_array_append_new(d->versions, v);
		rc = mdb_cursor_get(c, &key, &val, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return QF_OK;
}

void intake_h_disclosure_get(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const char *id = qf_http_param(r, "id");
	if (strlen(id) != QF_ID_LEN + 1) {
		qf_http_reply_error(r, 404, "record_not_found", "没有这条公开记录", NULL);
		return;
	}
	struct disc_read d = {in, id, json_array()};
	intake_read(in, s_read, &d);
	if (!json_array_size(d.versions)) {
		json_decref(d.versions);
		qf_http_reply_error(r, 404, "record_not_found", "没有这条公开记录", NULL);
		return;
	}
	qf_http_reply_json(r, 200,
			   json_pack("{s:s, s:i, s:o}", "record_id", id, "versions_count",
				     (int)json_array_size(d.versions), "versions",
				     d.versions));
}
