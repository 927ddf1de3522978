/* receipt.c: parsing a petitioner's receipt (receipt.h). Strict: every field
 * has one spelling and one type, unknown fields are ignored (a later intake
 * may add some), and the text is outside input, so every failure is a
 * message, never a crash (fuzz_qfctl_receipt). */
#include "receipt.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_event.h"
#include "qf_id.h"
#include "qf_note.h"

static int s_fail(char *err, size_t n, const char *msg)
{
	snprintf(err, n, "%s", msg);
	return -1;
}

/* An optional string field: NULL when absent, "" on a wrong type. */
static const char *s_str(json_t *o, const char *k, int *bad)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return "";
	}
	return json_string_value(v);
}

static int s_id_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

void qfctl_receipt_free(struct qfctl_receipt *r)
{
	if (!r)
		return;
	free(r->priv);
	r->priv = NULL;
	r->priv_len = 0;
}

int qfctl_receipt_parse(const char *text, size_t len, struct qfctl_receipt *r, char *err,
			size_t n)
{
	memset(r, 0, sizeof *r);
	if (len > QFCTL_RECEIPT_MAX)
		return s_fail(err, n, "回执太长");
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!o || !json_is_object(o)) {
		json_decref(o);
		return s_fail(err, n, "回执不是有效的 JSON 对象");
	}
	int bad = 0, rc = -1;
	const char *type = s_str(o, "type", &bad);
	const char *case_id = s_str(o, "case_id", &bad);
	const char *producer = s_str(o, "producer", &bad);
	const char *event_id = s_str(o, "event_id", &bad);
	const char *nonce = s_str(o, "nonce", &bad);
	const char *priv = s_str(o, "private", &bad);
	const char *commitment = s_str(o, "commitment", &bad);
	json_t *leaf = json_object_get(o, "leaf_index");
	if (bad) {
		s_fail(err, n, "回执中有字段的类型不对（应为字符串）");
		goto out;
	}
	if (!type || (r->type = qf_event_type_parse(type)) < 0) {
		s_fail(err, n, "回执缺少或含有未知的事件类型（type）");
		goto out;
	}
	if (case_id && (strlen(case_id) >= sizeof r->case_id || !s_id_ok(case_id))) {
		s_fail(err, n, "回执中的案件编号（case_id）格式不正确");
		goto out;
	}
	snprintf(r->case_id, sizeof r->case_id, "%s", case_id ? case_id : "");
	if (producer && strlen(producer) >= sizeof r->producer) {
		s_fail(err, n, "回执中的来源（producer）太长");
		goto out;
	}
	snprintf(r->producer, sizeof r->producer, "%s", producer ? producer : "");
	if (!nonce != !priv) {
		s_fail(err, n, "回执中的随机数（nonce）和内容（private）应同时给出");
		goto out;
	}
	r->has_opening = nonce != NULL;
	if (nonce && (strlen(nonce) != 64 || qf_unhex(nonce, r->nonce, 32))) {
		s_fail(err, n, "回执中的随机数（nonce）应为 64 位十六进制");
		goto out;
	}
	if (commitment &&
	    (strlen(commitment) != 64 || qf_unhex(commitment, r->commitment, 32))) {
		s_fail(err, n, "回执中的承诺值（commitment）应为 64 位十六进制");
		goto out;
	}
	r->has_commitment = commitment != NULL;
	if (event_id && event_id[0]) {
		size_t hl = strlen(event_id);
		if (hl % 2 || hl > 2 * sizeof r->event_id ||
		    qf_unhex(event_id, r->event_id, hl / 2)) {
			s_fail(err, n, "回执中的事件编号（event_id）应为十六进制");
			goto out;
		}
		r->event_id_len = hl / 2;
	}
	if (leaf) {
		if (!json_is_integer(leaf) || json_integer_value(leaf) < 0) {
			s_fail(err, n, "回执中的日志序号（leaf_index）应为非负整数");
			goto out;
		}
		r->has_leaf = 1;
		r->leaf_index = (uint64_t)json_integer_value(leaf);
	}
	size_t pl = priv ? strlen(priv) : 0;
	if (priv &&
	    (!pl || !(r->priv = malloc(pl)) ||
	     qf_b64_decode(priv, pl, r->priv, pl, &r->priv_len) || !r->priv_len)) {
		s_fail(err, n, "回执中的内容（private）应为 base64");
		goto out;
	}
	if (!r->has_leaf && !r->event_id_len &&
	    !(r->case_id[0] && (r->has_opening || r->has_commitment))) {
		s_fail(err, n, "回执缺少事件编号（event_id）或日志序号（leaf_index）");
		goto out;
	}
	rc = 0;
out:
	if (rc)
		qfctl_receipt_free(r);
	json_decref(o);
	return rc;
}
