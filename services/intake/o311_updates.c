/* o311_updates.c: the servicerequestupdates extension of GeoReport v2
 * (GET /open311/v2/servicerequestupdates.<fmt>?start_date=&end_date=), as
 * FixMyStreet's Open311 client reads it to show a case's progress: one
 * request_update per entry of a case's timeline (update_id, the
 * service_request_id, status, updated_datetime, description).
 *
 * Design: only what is public of a case (docs/PRIVACY.md) is answered. An
 * update carries the state the case moved to and the resident's words for
 * it, never the timeline's notes, actors or reasons, which may name people;
 * integrity reports and other sensitive cases are left out entirely, as
 * their progress would tell who is being looked into. The status words are
 * FixMyStreet's (its map_state: in_progress, fixed, duplicate ...). */
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"

/* Case states as the status of an update (FixMyStreet's vocabulary). */
static const struct {
	const char *state, *status;
} s_status[] = {
    {"submitted", "open"},	   {"assigned", "open"},
    {"accepted", "investigating"}, {"in_progress", "in_progress"},
    {"reopened", "in_progress"},   {"resolved", "fixed"},
    {"closed", "closed"},	   {"rejected", "no_further_action"},
    {"merged", "duplicate"},
};

static const char *s_update_status(const char *state)
{
	for (size_t i = 0; state && i < sizeof s_status / sizeof s_status[0]; i++)
		if (!strcmp(s_status[i].state, state))
			return s_status[i].status;
	return intake_o311_status(state);
}

struct upd_query {
	struct intake *in;
	int64_t start, end;
	size_t max;
	json_t *out;
};

static int s_case_updates(struct upd_query *q, struct qf_txn *t, const json_t *rec)
{
	const struct qf_community *c = intake_world_get(q->in)->community;
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_t *tl = intake_timeline_get(q->in, t, id);
	size_t i;
	json_t *e;
	json_array_foreach(tl, i, e)
	{
		int64_t at = json_integer_value(json_object_get(e, "at_ms"));
		if (at < q->start || at > q->end || json_array_size(q->out) >= q->max)
			continue;
		const char *to = json_string_value(json_object_get(e, "to"));
		char uid[96], when[40];
		snprintf(uid, sizeof uid, "%s-%zu", id, i);
		json_t *u = json_pack(
		    "{s:s, s:s, s:s, s:s, s:s, s:n}", "update_id", uid,
		    "service_request_id", id, "status", s_update_status(to),
		    "updated_datetime",
		    qf_time_fmt(at, c->utc_offset_min, when, sizeof when), "description",
		    intake_state_text(to ? to : ""), "media_url");
		if (!u) {
			json_decref(tl);
			return QF_ERR_NOMEM;
		}
		json_array_append_new(q->out, u);
	}
	json_decref(tl);
	return QF_OK;
}

static int s_updates_read(struct qf_txn *t, void *arg)
{
	struct upd_query *q = arg;
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), q->in->db.cases, &c))
		return QF_ERR_STORE;
	MDB_val k, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST), err = QF_OK;
	while (rc == 0 && !err && json_array_size(q->out) < q->max) {
		json_t *rec = intake_rec_parse(q->in, t, &intake_rec_case, k.mv_data,
					       k.mv_size, v.mv_data, v.mv_size);
		/* updated_ms is the last entry's time: nothing later to find */
		if (rec && !intake_case_sensitive(q->in, rec) &&
		    json_integer_value(json_object_get(rec, "updated_ms")) >= q->start)
			err = s_case_updates(q, t, rec);
		json_decref(rec);
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return err;
}

void intake_h_o311_updates_get(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	int xml = intake_o311_fmt(r);
	if (xml < 0 || intake_o311_gate(in, r, xml))
		return;
	const struct qf_community *c = intake_world_get(in)->community;
	const char *sd = qf_http_query(r, "start_date"),
		   *ed = qf_http_query(r, "end_date");
	int64_t now = qf_now_ms(in->clock);
	struct upd_query q = {.in = in,
			      .start = now - 2 * 3600000LL,
			      .end = now,
			      .max = (size_t)in->conf->o311_max_page};
	if (sd && qf_time_parse(sd, c->utc_offset_min, &q.start)) {
		intake_o311_error(
		    r, xml, 400,
		    "start_date must be a w3c datetime (2026-01-31T00:00:00+08:00)");
		return;
	}
	if (ed && qf_time_parse(ed, c->utc_offset_min, &q.end)) {
		intake_o311_error(
		    r, xml, 400,
		    "end_date must be a w3c datetime (2026-01-31T00:00:00+08:00)");
		return;
	}
	if (q.start > q.end) {
		intake_o311_error(r, xml, 400, "start_date is after end_date");
		return;
	}
	if (q.end - q.start > 31LL * 86400000) {
		intake_o311_error(r, xml, 400,
				  "at most 31 days between start_date and end_date");
		return;
	}
	q.out = json_array();
	if (!q.out || intake_read(in, s_updates_read, &q)) {
		json_decref(q.out);
		intake_o311_error(r, xml, 503, "temporarily unavailable");
		return;
	}
	intake_o311_reply(r, xml, 200, "service_request_updates", q.out);
}
