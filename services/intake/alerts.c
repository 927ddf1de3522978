/* alerts.c: the audit's irregularity alerts (AUDIT_ALERT from the audit
 * service's stream, the only type intake takes from it) kept for the
 * supervisor's and the secretary's page /staff/alerts.
 *
 * Design: intake keeps the last ALERTS_KEEP alerts (the audit's log keeps
 * them all; GET /v1/alerts there is the full, public record). Which alert a
 * person sees is the access policy's, decided when the page is read, with
 * what intake knows of the case then: an alert about a case only when
 * qf_policy_case lets the person read that case, an alert naming a staff
 * member never to that person nor to whoever supervises them (the policy's
 * conflict rule, qf_policy_conflict). */
#include "intake.h"
#include "web.h"

#include <stdio.h>
#include <string.h>

#include "qf_access.h"
#include "qf_buf.h"
#include "qf_case.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_log.h"
#include "qf_store.h"

#define ALERTS_KEEP 1000
#define ALERTS_SHOWN 200


static const char *s_str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

/* ------------------------------------------------------------ keeping */

/* Drop the oldest rows beyond ALERTS_KEEP. */
static int s_trim(struct qf_txn *t, MDB_dbi dbi)
{
	MDB_stat st;
	if (mdb_stat(qf_txn_mdb(t), dbi, &st))
		return QF_ERR_STORE;
	for (size_t n = st.ms_entries; n > ALERTS_KEEP; n--) {
		MDB_cursor *c;
		MDB_val k, v;
		if (mdb_cursor_open(qf_txn_mdb(t), dbi, &c))
			return QF_ERR_STORE;
		int mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
		if (!mrc)
			mrc = mdb_cursor_del(c, 0);
		mdb_cursor_close(c);
		if (mrc)
			return qf_store_err(mrc);
	}
	return QF_OK;
}

int intake_alert_apply(struct intake *in, struct qf_txn *t,
		       const Qingfeng__V1__Envelope *env, const uint8_t *priv,
		       size_t priv_len)
{
	if (strncmp(env->producer, "audit", 5)) /* only the audit raises them */
		return QF_OK;
	ProtobufCMessage *pm = qf_event_payload_full(env, priv, priv_len);
	if (!pm) {
		qf_warn("event_undecodable", "producer=%s seq=%llu type=%d", env->producer,
			(unsigned long long)env->seq, env->type);
		return QF_OK;
	}
	const Qingfeng__V1__AuditAlert *a = (const Qingfeng__V1__AuditAlert *)pm;
	int64_t at = a->at_ms ? a->at_ms : env->time_ms;
	json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:I}", "kind", (int)a->kind,
			      "case_id", a->case_id ? a->case_id : "", "staff_id",
			      a->staff_id ? a->staff_id : "", "producer",
			      a->producer ? a->producer : "", "detail",
			      a->detail ? a->detail : "", "leaf", (json_int_t)a->leaf_index,
			      "at_ms", (json_int_t)at);
	protobuf_c_message_free_unpacked(pm, NULL);
	if (!o)
		return QF_ERR_NOMEM;
	/* at || the audit's leaf: oldest first in the db, unique per alert */
	uint8_t key[16];
	qf_be64_put(key, (uint64_t)at);
	qf_be64_put(key + 8, (uint64_t)json_integer_value(json_object_get(o, "leaf")));
	int rc = intake_json_put(t, in->db.alerts, key, sizeof key, o, 0);
	json_decref(o);
	return rc ? rc : s_trim(t, in->db.alerts);
}

/* ------------------------------------------------------------ the page */

struct alert_list {
	struct intake *in;
	const struct qf_staff *me;
	json_t *items;
};

/* The policy's word on one alert for l->me. */
static int s_visible(struct alert_list *l, struct qf_txn *t, const json_t *al)
{
	const struct qf_community *c = intake_world_get(l->in)->community;
	const char *staff = s_str(al, "staff_id");
	if (*staff) {
		struct qf_case_facts f = {0};
		snprintf(f.concerns, sizeof f.concerns, "%s", staff);
		if (qf_policy_conflict(c, l->me, &f))
			return 0;
	}
	const char *id = s_str(al, "case_id");
	if (!*id)
		return 1;
	json_t *rec = intake_case_get(l->in, t, id);
	int ok = rec && intake_may(l->in, l->me, QF_ACT_CASE_READ, rec);
	json_decref(rec);
	return ok;
}

static int s_alerts_read(struct qf_txn *t, void *arg)
{
	struct alert_list *l = arg;
	MDB_cursor *c;
	MDB_val k, v;
	if (mdb_cursor_open(qf_txn_mdb(t), l->in->db.alerts, &c))
		return QF_ERR_STORE;
	int mrc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	while (!mrc && json_array_size(l->items) < ALERTS_SHOWN) {
		json_t *al = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		if (al && s_visible(l, t, al))
			json_array_append(l->items, al);
		json_decref(al);
		mrc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	}
	mdb_cursor_close(c);
	return mrc && mrc != MDB_NOTFOUND ? qf_store_err(mrc) : QF_OK;
}

void intake_h_staff_alerts(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	struct alert_list l = {in, qf_access_staff(r), json_array()};
	intake_read(in, s_alerts_read, &l);
	struct qf_buf b;
	struct web_page pg;
	intake_staff_list_begin(in, &b, &pg, r, "审计提示", l.me,
				"审计服务发现的异常，最新的在前。只列出您有权查看的案件；"
				"提到您本人或您所监督人员的提示不向您显示。",
				"目前没有您可查看的审计提示。", json_array_size(l.items));
	int tz = intake_world_get(in)->community->utc_offset_min;
	size_t i;
	json_t *al;
	json_array_foreach(l.items, i, al)
	{
		char when[40];
		qf_time_fmt(json_integer_value(json_object_get(al, "at_ms")), tz, when,
			    sizeof when);
		qf_buf_puts(&b, "<li><strong>");
		qf_buf_html(&b, qf_alert_label((int)json_integer_value(json_object_get(al, "kind"))));
		qf_buf_puts(&b, "</strong> · ");
		web_time(&b, when);
		if (*s_str(al, "case_id")) {
			qf_buf_puts(&b, " · <a href=\"/staff/cases/");
			qf_buf_url(&b, s_str(al, "case_id"));
			qf_buf_puts(&b, "\">案件 ");
			qf_buf_html(&b, s_str(al, "case_id"));
			qf_buf_puts(&b, "</a>");
		}
		if (*s_str(al, "detail")) {
			qf_buf_puts(&b, "<br>");
			qf_buf_html(&b, s_str(al, "detail"));
		}
		qf_buf_puts(&b, "</li>");
	}
	qf_buf_puts(&b, "</ul>");
	json_decref(l.items);
	intake_staff_page_send(r, 200, &pg, &b);
}
