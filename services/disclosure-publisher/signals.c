/* signals.c: hotspots, audit alerts and checkpoints, duty quotas and spam
 * counts (signals.h). Each is a small JSON record keyed by time, so the
 * dashboard reads the newest with one cursor walk. */
#include "signals.h"
#include "live.h"
#include "qf_mask.h"

#include "qf_case.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *signals_alert_label(const char *kind)
{
	return qf_alert_label(qf_alert_kind_parse(kind));
}

/* key: be64 at | 16-byte event id */
static size_t s_time_key(uint8_t *k, int64_t at, const Qingfeng__V1__Envelope *env)
{
	qf_be64_put(k, (uint64_t)at);
	memset(k + 8, 0, 16);
	if (env && env->event_id.len)
		memcpy(k + 8, env->event_id.data,
		       env->event_id.len < 16 ? env->event_id.len : 16);
	return 24;
}

static int s_put(struct qf_txn *t, MDB_dbi dbi, const uint8_t *k, size_t kl, json_t *j)
{
	char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!txt)
		return QF_ERR_NOMEM;
	int rc = qf_txn_put(t, dbi, k, kl, txt, strlen(txt), 0);
	free(txt);
	return rc;
}

static json_t *s_ids(char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n && i < 50; i++)
		if (dp_id_ok(v[i]))
			json_array_append_new(a, json_string(v[i]));
	return a;
}

int signals_hotspot(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		    const Qingfeng__V1__HotspotWarning *h)
{
	if (!dp_id_ok(h->category) || !dp_id_ok(h->building)) {
		qf_warn("event_skipped", "type=HOTSPOT_WARNING reason=bad_ids seq=%llu",
			(unsigned long long)env->seq);
		return QF_OK;
	}
	int64_t at = h->at_ms ? h->at_ms : env->time_ms;
	char cn[128], bn[128];
	dp_category_name(dp, h->category, cn, sizeof cn);
	dp_building_name(dp, h->building, bn, sizeof bn);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:o, s:I}", "category",
			      h->category, "category_name", cn, "building", h->building,
			      "building_name", bn, "count", (int)h->count, "window_hours",
			      (int)h->window_hours, "case_ids",
			      s_ids(h->case_ids, h->n_case_ids), "at_ms", (json_int_t)at);
	if (!j)
		return QF_ERR_NOMEM;
	uint8_t k[24];
	int rc = s_put(t, dp->db.hotspots, k, s_time_key(k, at, env), j);
	if (!rc)
		rc = dp_count_add(dp, t, dp->db.meta, "hotspots", 1);
	if (!rc)
		return live_note(dp, t, "hotspot", j);
	json_decref(j);
	return rc;
}

int signals_alert(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		  const Qingfeng__V1__AuditAlert *a)
{
	const char *code = qf_alert_code((int)a->kind);
	int64_t at = a->at_ms ? a->at_ms : env->time_ms;
	json_t *j = json_object();
	json_object_set_new(j, "kind", json_string(code));
	json_object_set_new(j, "label", json_string(signals_alert_label(code)));
	if (dp_id_ok(a->case_id))
		json_object_set_new(j, "case_id", json_string(a->case_id));
	if (dp_id_ok(a->staff_id)) {
		char sn[128];
		dp_staff_name(dp, a->staff_id, sn, sizeof sn);
		json_object_set_new(j, "staff_id", json_string(a->staff_id));
		json_object_set_new(j, "staff_name", json_string(sn));
	}
	if (dp_id_ok(a->producer))
		json_object_set_new(j, "producer", json_string(a->producer));
	struct qf_mask_opts mo = {.allow = (const char *const *)dp->allow,
				  .nallow = dp->nallow,
				  .max_chars = 300};
	char *d = qf_mask_text(a->detail, a->detail ? strlen(a->detail) : 0, &mo);
	if (!d) {
		json_decref(j);
		return QF_ERR_NOMEM;
	}
	json_object_set_new(j, "detail", json_string(d));
	free(d);
	json_object_set_new(j, "leaf_index", json_integer((json_int_t)a->leaf_index));
	json_object_set_new(j, "at_ms", json_integer(at));
	uint8_t k[24];
	int rc = s_put(t, dp->db.alerts, k, s_time_key(k, at, env), j);
	if (!rc)
		rc = dp_count_add(dp, t, dp->db.meta, "alerts", 1);
	if (!rc)
		return live_note(dp, t, "alert", j);
	json_decref(j);
	return rc;
}

int signals_checkpoint(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		       const Qingfeng__V1__AuditCheckpoint *c)
{
	const char *origin = c->origin ? c->origin : "";
	if (!*origin || strlen(origin) > 200 || !dp_utf8_ok(origin, strlen(origin)) ||
	    c->root_hash.len != 32) {
		qf_warn("event_skipped",
			"type=AUDIT_CHECKPOINT reason=malformed seq=%llu",
			(unsigned long long)env->seq);
		return QF_OK;
	}
	int64_t at = c->at_ms ? c->at_ms : env->time_ms;
	char root[65];
	qf_hex(c->root_hash.data, 32, root);
	char *note = qf_mask_clean(c->note, c->note ? strlen(c->note) : 0, 4000);
	if (!note)
		return QF_ERR_NOMEM;
	json_t *j =
	    json_pack("{s:s, s:I, s:s, s:s, s:I, s:s}", "origin", origin, "size",
		      (json_int_t)c->size, "root_hash", root, "note", note, "at_ms",
		      (json_int_t)at, "producer", env->producer ? env->producer : "");
	free(note);
	if (!j)
		return QF_ERR_NOMEM;
	uint8_t k[16 + 201];
	size_t ol = strlen(origin);
	qf_be64_put(k, (uint64_t)at);
	qf_be64_put(k + 8, c->size);
	memcpy(k + 16, origin, ol);
	int rc = s_put(t, dp->db.ckpt, k, 16 + ol, j);
	if (!rc) {
		json_t *ev = json_pack("{s:s, s:I, s:s, s:I}", "origin", origin, "size",
				       (json_int_t)c->size, "root_hash", root, "at_ms",
				       (json_int_t)at);
		rc = live_note(dp, t, "checkpoint", ev);
	}
	json_decref(j);
	return rc;
}

int signals_quota(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		  const Qingfeng__V1__DutyQuota *q)
{
	if (!dp_id_ok(q->staff_id) || !dp_id_ok(q->duty) || !q->month ||
	    strlen(q->month) != 7 || q->month[4] != '-') {
		qf_warn("event_skipped", "type=DUTY_QUOTA reason=malformed seq=%llu",
			(unsigned long long)env->seq);
		return QF_OK;
	}
	char sn[128];
	dp_staff_name(dp, q->staff_id, sn, sizeof sn);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:b, s:b, s:I}",
			      "staff_id", q->staff_id, "staff_name", sn, "duty", q->duty,
			      "month", q->month, "done", (int)q->done, "target",
			      (int)q->target, "expected_by_now", (int)q->expected_by_now,
			      "behind", (int)q->behind, "final", (int)q->final, "at_ms",
			      (json_int_t)(q->at_ms ? q->at_ms : env->time_ms));
	if (!j || !dp_utf8_ok(q->month, 7)) {
		json_decref(j);
		return j ? QF_OK : QF_ERR_NOMEM;
	}
	char key[200];
	int kl =
	    snprintf(key, sizeof key, "%s%c%s%c%s", q->staff_id, 0, q->duty, 0, q->month);
	/* a later report of the same month replaces an earlier one */
	MDB_val old;
	if (qf_txn_get(t, dp->db.quota, key, (size_t)kl, &old) == QF_OK) {
		json_t *o = json_loadb(old.mv_data, old.mv_size, 0, NULL);
		int64_t oat = json_integer_value(json_object_get(o, "at_ms"));
		json_decref(o);
		if (oat > json_integer_value(json_object_get(j, "at_ms"))) {
			json_decref(j);
			return QF_OK;
		}
	}
	int rc = s_put(t, dp->db.quota, (const uint8_t *)key, (size_t)kl, j);
	json_decref(j);
	return rc;
}

int signals_spam(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		 int released, const char *category, const char *building, int64_t at)
{
	(void)env;
	int rc =
	    dp_count_add(dp, t, dp->db.meta, released ? "spam_released" : "spam_held", 1);
	if (rc || released)
		return rc;
	char cn[128] = "", bn[128] = "";
	if (dp_id_ok(category))
		dp_category_name(dp, category, cn, sizeof cn);
	if (dp_id_ok(building))
		dp_building_name(dp, building, bn, sizeof bn);
	return live_note(dp, t, "spam",
			 json_pack("{s:s, s:s, s:I}", "category_name", cn,
				   "building_name", bn, "at_ms", (json_int_t)at));
}

int signals_incarnation(struct dp *dp, struct qf_txn *t, const char *producer,
			uint64_t old_epoch, uint64_t new_epoch)
{
	uint8_t ob[8], nb[8];
	char oh[17], nh[17];
	qf_be64_put(ob, old_epoch);
	qf_be64_put(nb, new_epoch);
	qf_hex(ob, 8, oh);
	qf_hex(nb, 8, nh);
	qf_warn("producer_incarnation", "producer=%s old_epoch=%s new_epoch=%s", producer,
		oh, nh);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "kind", "new_incarnation",
			      "label", signals_alert_label("new_incarnation"), "producer",
			      dp_id_ok(producer) ? producer : "?", "detail",
			      "该服务的数据被重置（新的 epoch），此前的事件流已停止",
			      "epoch", nh, "at_ms", (json_int_t)qf_now_ms(dp->clock));
	if (!j)
		return QF_ERR_NOMEM;
	uint8_t k[24];
	qf_be64_put(k, (uint64_t)qf_now_ms(dp->clock));
	memcpy(k + 8, nb, 8);
	memcpy(k + 16, ob, 8);
	int rc = s_put(t, dp->db.alerts, k, 24, j);
	if (!rc)
		rc = dp_count_add(dp, t, dp->db.meta, "alerts", 1);
	if (!rc)
		return live_note(dp, t, "alert", j);
	json_decref(j);
	return rc;
}

static json_t *s_newest(struct qf_txn *t, MDB_dbi dbi, unsigned max)
{
	json_t *a = json_array();
	MDB_cursor *c;
	if (!a || mdb_cursor_open(qf_txn_mdb(t), dbi, &c))
		return a;
	MDB_val k, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	while (rc == 0 && json_array_size(a) < max) {
		json_t *j = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		if (j)
			json_array_append_new(a, j);
		rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	}
	mdb_cursor_close(c);
	return a;
}

json_t *signals_alerts(struct dp *dp, struct qf_txn *t, unsigned max)
{
	return s_newest(t, dp->db.alerts, max);
}

json_t *signals_hotspots(struct dp *dp, struct qf_txn *t, unsigned max)
{
	return s_newest(t, dp->db.hotspots, max);
}

json_t *signals_checkpoints(struct dp *dp, struct qf_txn *t, unsigned max)
{
	return s_newest(t, dp->db.ckpt, max);
}
