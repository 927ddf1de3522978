/* visits.c: the integrity supervisor's patrol and household-visit records,
 * and turning a finding into a petition in the same step.
 *
 * A visit is a VISIT_RECORDED event (partition key: the supervisor's staff
 * id, a duty rather than a case) plus a record for listing. With a
 * "petition" member, the finding becomes a case in the same transaction:
 * the petition goes through the common submission path (submit.c) with
 * channel "patrol", the supervisor as entered_by and the visit id as
 * source_visit_id, and the visit record carries the new case id. */
#include "intake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"


struct visit {
	char id[QF_ID_LEN + 2];
	const struct qf_staff *actor;
	char *date, *place, *building, *unit, *findings;
	int household;
	struct intake_media media[INTAKE_MAX_MEDIA];
	unsigned nmedia;
	int64_t now;
};

static void s_visit_free(void *arg)
{
	struct visit *v = arg;
	if (!v)
		return;
	free(v->date);
	free(v->place);
	free(v->building);
	free(v->unit);
	free(v->findings);
	for (unsigned i = 0; i < v->nmedia; i++)
		intake_media_free(&v->media[i]);
	free(v);
}

/* Decode the visit part of the body (pure). */
static int s_visit_decode(const json_t *obj, const struct qf_community *c,
			  unsigned max_media, uint64_t max_bytes, struct visit *v,
			  struct intake_err *e)
{
	if (!json_is_object(obj))
		return intake_err_set(e, 400, "not_an_object", NULL,
				      "请求体必须是 JSON 对象");
	if (intake_json_str(obj, "date", 1, 10, 0, &v->date, e) ||
	    intake_json_str(obj, "place", 1, 100, 0, &v->place, e) ||
	    intake_json_str(obj, "building", 0, 64, 0, &v->building, e) ||
	    intake_json_str(obj, "unit", 0, 32, 0, &v->unit, e) ||
	    intake_json_str(obj, "findings", 0, 2000, 1, &v->findings, e) ||
	    intake_json_bool(obj, "household", 0, &v->household, e))
		return -1;
	if (!intake_date_valid(v->date))
		return intake_err_set(e, 400, "invalid_date", "date",
				      "date 必须是 YYYY-MM-DD 日期");
	if (v->building && !qf_community_building(c, v->building))
		return intake_err_set(e, 422, "unknown_building", "building",
				      "没有这个楼栋：%s", v->building);
	json_t *media = json_object_get(obj, "media");
	if (media && !json_is_null(media)) {
		if (!json_is_array(media) || json_array_size(media) > max_media)
			return intake_err_set(e, 422, "too_many_media", "media",
					      "media 最多 %u 项", max_media);
		for (size_t i = 0; i < json_array_size(media); i++) {
			char f[32];
			snprintf(f, sizeof f, "media[%zu]", i);
			if (intake_media_item_decode(json_array_get(media, i), f,
						     max_bytes, &v->media[v->nmedia], e))
				return -1;
			v->nmedia++;
		}
	}
	return 0;
}

static json_t *s_media_json(const struct visit *v)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < v->nmedia; i++) {
		const struct intake_media *m = &v->media[i];
		if (m->kind == INTAKE_MEDIA_URL)
			json_array_append_new(a, json_pack("{s:s}", "url", m->url));
		else
			json_array_append_new(
			    a,
			    json_pack("{s:s, s:s}", "sha256", m->sha256, "content_type",
				      m->content_type ? m->content_type : ""));
	}
	return a;
}

/* Photos by hash: only those uploaded with a token the supervisor holds.
 * 0, or 1 with the verdict in e. */
static int s_visit_refs(struct intake *in, struct qf_txn *t, struct visit *v,
			struct intake_err *e, int *rc)
{
	*rc = QF_OK;
	for (unsigned i = 0; i < v->nmedia; i++) {
		*rc = intake_media_attach(in, t, &v->media[i], v->id, NULL);
		if (*rc == QF_ERR_NOTFOUND) {
			*rc = QF_OK;
			char f[32];
			snprintf(f, sizeof f, "media[%u]", i);
			intake_err_set(e, 422, "unknown_media", f,
				       "没有这张图片（请随记录上传，或附上上传凭证 "
				       "upload_token）");
			return 1;
		}
		if (*rc)
			return 1;
	}
	return 0;
}

/* Write the visit record (place, findings and photos sealed under
 * "visit:<id>") and VISIT_RECORDED in t. mask: the petition's case names
 * when the finding became one, or NULL. */
static int s_visit_write(struct intake *in, struct qf_txn *t, struct visit *v,
			 const char *case_id, struct intake_mask *mask)
{
	int rc;
	char subject[48];
	intake_media_subject(v->id, subject, sizeof subject);
	for (unsigned i = 0; i < v->nmedia; i++) {
		struct intake_media *m = &v->media[i];
		if (m->kind == INTAKE_MEDIA_UPLOAD && (rc = intake_media_put(in, t, m, v->id)))
			return rc;
	}
	json_t *rec =
	    json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:s, s:I}",
		      "visit_id", v->id, "actor", intake_actor_json(v->actor), "date",
		      v->date, "place", v->place, "building", v->building ? v->building : "",
		      "unit", v->unit ? v->unit : "",
		      "findings", v->findings ? v->findings : "", "household",
		      v->household, "media", s_media_json(v), "petition_case_id",
		      case_id ? case_id : "", "recorded_ms", (json_int_t)v->now);
	if (!rec)
		return QF_ERR_NOMEM;
	rc = intake_rec_put(in, t, in->db.visits, v->id, strlen(v->id), &intake_rec_visit,
			    subject, 1, rec);
	json_decref(rec);
	if (rc)
		return rc;
	Qingfeng__V1__VisitRecorded m = QINGFENG__V1__VISIT_RECORDED__INIT;
	Qingfeng__V1__Actor a = QINGFENG__V1__ACTOR__INIT;
	Qingfeng__V1__Attachment att[INTAKE_MAX_MEDIA], *attp[INTAKE_MAX_MEDIA];
	a.staff_id = v->actor->id;
	a.role = v->actor->role;
	a.name = v->actor->name;
	m.visit_id = v->id;
	m.actor = &a;
	m.date = v->date;
	m.place = v->place;
	m.building = v->building ? v->building : (char *)"";
	/* [private], and masked too: with the case's names when it became a
	   petition */
	char *findings = mask ? intake_mask_text(mask, v->findings)
			      : intake_event_text(v->findings, NULL);
	if (!findings)
		return QF_ERR_NOMEM;
	m.findings = findings;
	for (unsigned i = 0; i < v->nmedia; i++) {
		qingfeng__v1__attachment__init(&att[i]);
		if (v->media[i].kind == INTAKE_MEDIA_URL) {
			att[i].url = v->media[i].url;
		} else {
			att[i].sha256 = v->media[i].sha256;
			att[i].content_type =
			    (char *)(v->media[i].content_type ? v->media[i].content_type
							      : "");
			att[i].size = v->media[i].size;
		}
		attp[i] = &att[i];
	}
	m.n_media = v->nmedia;
	m.media = attp;
	m.petition_case_id = (char *)(case_id ? case_id : "");
	m.household = v->household;
	/* the household, for the router's duty count of distinct households:
	 * a hash of (building, unit), private like the place itself */
	char hkey[2 * crypto_hash_sha256_BYTES + 1] = "";
	if (v->household && v->unit && *v->unit)
		intake_visit_household_key(v->building, v->unit, hkey);
	m.household_key = hkey;
	/* the envelope names no case: a visit's link to the petition made from
	   it is private (petition_case_id), and its private part is sealed
	   under the visit's own subject, which retention forgets on its own */
	char vsubject[48];
	intake_media_subject(m.visit_id, vsubject, sizeof vsubject);
	size_t len = protobuf_c_message_get_packed_size(&m.base);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf) {
		free(findings);
		return QF_ERR_NOMEM;
	}
	protobuf_c_message_pack(&m.base, buf);
	struct qf_bus_event ev = {.type = QINGFENG__V1__EVENT_TYPE__VISIT_RECORDED,
				  .partition_key = v->actor->id,
				  .payload = buf,
				  .payload_len = len,
				  .subject = vsubject};
	rc = qf_privacy_emit_event(in->prod, t, &ev, NULL, NULL, NULL, NULL);
	free(buf);
	free(findings);
	return rc;
}

static int s_extra(struct qf_txn *t, struct intake_sub *s)
{
	return s_visit_write(intake_sub_intake(s), t, intake_sub_extra_arg(s),
			     intake_sub_case_id(s), intake_sub_mask(s));
}

/* Before the petition is written: the visit's own photos by hash. */
static int s_check(struct qf_txn *t, struct intake_sub *s, struct intake_err *e)
{
	int rc;
	if (!s_visit_refs(intake_sub_intake(s), t, intake_sub_extra_arg(s), e, &rc))
		return 0;
	if (rc)
		intake_err_set(e, 503, "unavailable", NULL, "暂时无法保存，请稍后重试");
	return 1;
}

struct visit_job {
	struct qf_gc_job job;
	struct intake *in;
	struct qf_http_req *r;
	struct visit *v;
	struct intake_err err;
	intake_visit_done done; /* the page's answer, or NULL: JSON */
	void *done_arg;
};

static int s_apply(struct qf_txn *t, void *arg)
{
	struct visit_job *j = arg;
	int rc;
	j->err.code = NULL;
	if (s_visit_refs(j->in, t, j->v, &j->err, &rc))
		return rc;
	return s_visit_write(j->in, t, j->v, NULL, NULL);
}

static void s_done(void *arg, int rc)
{
	struct visit_job *j = arg;
	if (j->done) {
		struct intake_err e = j->err;
		if (rc && !j->err.code)
			intake_err_set(&e, 503, "unavailable", NULL, "暂时无法保存，请稍后重试");
		if (!rc && !j->err.code)
			qf_metric_inc(j->in->m.visits);
		j->done(j->done_arg, j->r, rc || j->err.code ? NULL : j->v->id,
			rc || j->err.code ? &e : NULL);
	} else if (!rc && j->err.code) {
		intake_reply_err(j->r, &j->err);
	} else if (rc) {
		qf_http_reply_error(j->r, 503, "unavailable", "暂时无法保存，请稍后重试",
				    NULL);
	} else {
		qf_metric_inc(j->in->m.visits);
		qf_info("visit_recorded", "visit=%s staff=%s household=%d", j->v->id,
			j->v->actor->id, j->v->household);
		qf_http_reply_json(j->r, 201,
				   json_pack("{s:s, s:s, s:b}", "visit_id", j->v->id,
					     "date", j->v->date, "household",
					     j->v->household));
	}
	s_visit_free(j->v);
	free(j);
}

/* A new visit by r's staff member from obj: NULL with the verdict in e. */
static struct visit *s_visit_new(struct intake *in, struct qf_http_req *r,
				 const json_t *obj, struct intake_err *e)
{
	struct visit *v = calloc(1, sizeof *v);
	if (!v) {
		intake_err_set(e, 500, "internal", NULL, "内存不足");
		return NULL;
	}
	v->actor = qf_access_staff(r);
	v->now = qf_now_ms(in->clock);
	v->id[0] = 'V';
	qf_id_sortable(v->now, v->id + 1);
	if (s_visit_decode(obj, intake_world_get(in)->community,
			   (unsigned)in->conf->max_media,
			   (uint64_t)in->conf->max_media_bytes, v, e)) {
		s_visit_free(v);
		return NULL;
	}
	return v;
}

/* Queue the write of a visit without a petition (takes v); done answers
 * r, or NULL: the JSON answer. Non-zero when not queued (answered 503). */
static int s_visit_queue(struct intake *in, struct qf_http_req *r, struct visit *v,
			 intake_visit_done done, void *arg)
{
	struct visit_job *j = calloc(1, sizeof *j);
	if (!j) {
		s_visit_free(v);
		qf_http_reply_error(r, 500, "internal", "内存不足", NULL);
		return -1;
	}
	j->in = in;
	j->r = r;
	j->v = v;
	j->done = done;
	j->done_arg = arg;
	j->job.apply = s_apply;
	j->job.done = s_done;
	j->job.arg = j;
	if (intake_queue(in, r, &j->job)) {
		s_visit_free(v);
		free(j);
		return -1;
	}
	return 0;
}

int intake_visit_start(struct intake *in, struct qf_http_req *r, const json_t *obj,
		       intake_visit_done done, void *arg, struct intake_err *e)
{
	struct visit *v = s_visit_new(in, r, obj, e);
	if (!v)
		return -1;
	return s_visit_queue(in, r, v, done, arg) ? 1 : 0;
}

void intake_h_visit_post(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const struct qf_staff *s = qf_access_staff(r);
	json_t *obj = intake_body_json(r);
	if (!obj)
		return;
	const struct qf_community *c = intake_world_get(in)->community;
	struct intake_err e = {0};
	struct visit *v = s_visit_new(in, r, obj, &e);
	if (!v) {
		json_decref(obj);
		intake_reply_err(r, &e);
		return;
	}
	json_t *pet = json_object_get(obj, "petition");
	if (pet && !json_is_null(pet)) {
		if (!json_is_object(pet)) {
			json_decref(obj);
			s_visit_free(v);
			qf_http_reply_error(r, 400, "invalid_type", "petition 必须是对象",
					    "petition");
			return;
		}
		/* the finding as a petition: defaults from the visit */
		json_t *po = json_deep_copy(pet);
		json_object_set_new(po, "channel", json_string("patrol"));
		if (!json_object_get(po, "building") && v->building)
			json_object_set_new(po, "building", json_string(v->building));
		if (!json_object_get(po, "address"))
			json_object_set_new(po, "address", json_string(v->place));
		if (!json_object_get(po, "description") && v->findings)
			json_object_set_new(po, "description", json_string(v->findings));
		if (!json_object_get(po, "name") && !json_object_get(po, "anonymous"))
			json_object_set_new(po, "anonymous", json_true());
		if (!json_object_get(po, "media") && json_object_get(obj, "media"))
			json_object_set(po, "media", json_object_get(obj, "media"));
		struct intake_petition_opts opts = {c, (unsigned)in->conf->max_media,
						    (uint64_t)in->conf->max_media_bytes,
						    0, (double)in->conf->locate_within_m};
		struct intake_petition p;
		int bad = intake_petition_decode(po, NULL, 0, &opts, &p, &e);
		json_decref(po);
		json_decref(obj);
		if (bad) {
			s_visit_free(v);
			/* name the field inside the petition member */
			char f[64];
			snprintf(f, sizeof f, "petition.%.50s", e.field);
			snprintf(e.field, sizeof e.field, "%s", f);
			intake_reply_err(r, &e);
			return;
		}
		if (p.located_by == INTAKE_UNLOCATED) {
			/* staff on a visit know where they are: no dispatch queue */
			intake_petition_free(&p);
			s_visit_free(v);
			intake_err_set(&e, 422, "building_required", "petition.building",
				       "请填写楼栋（building）");
			intake_reply_err(r, &e);
			return;
		}
		qf_metric_inc(in->m.visits);
		qf_info("visit_recorded", "visit=%s staff=%s household=%d petition=1",
			v->id, s->id, v->household);
		struct intake_sub_opts so = {.fmt = INTAKE_FMT_NATIVE,
					     .entered_by = s,
					     .client = "native",
					     .source_visit_id = v->id,
					     .skip_spam = 1,
					     .skip_limits = 1,
					     .check = s_check,
					     .extra = s_extra,
					     .extra_arg = v,
					     .extra_free = s_visit_free};
		intake_submit(in, r, &p, &so);
		return;
	}
	json_decref(obj);
	s_visit_queue(in, r, v, NULL, NULL);
}

/* ------------------------------------------------------------ listing */

struct visit_list {
	struct intake *in;
	const char *staff;
	const char *month;
	json_t *items;
	unsigned households;
	json_t *homes; /* set: building \x1f unit (or the visit id) */
};

void intake_visit_household_key(const char *building, const char *unit,
				char out[65])
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];
	static const char tag[] = "qingfeng-household-v1";
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)tag, sizeof tag);
	crypto_hash_sha256_update(&st, (const uint8_t *)(building ? building : ""),
				  strlen(building ? building : "") + 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)unit, strlen(unit));
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, 2 * crypto_hash_sha256_BYTES + 1, h, sizeof h);
}

/* The household of a visit: its (building, unit), or the visit itself
 * when no unit was given (it cannot be told from another). */
static const char *s_home_key(const json_t *rec, char out[160])
{
	const char *u = json_string_value(json_object_get(rec, "unit"));
	const char *b = json_string_value(json_object_get(rec, "building"));
	if (u && *u)
		snprintf(out, 160, "%s\x1f%s", b ? b : "", u);
	else
		snprintf(out, 160, "%s", json_string_value(json_object_get(rec, "visit_id")));
	return out;
}

static int s_list(struct qf_txn *t, void *arg)
{
	char key[160];
	struct visit_list *l = arg;
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), l->in->db.visits, &c))
		return QF_ERR_STORE;
	MDB_val k, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0 && json_array_size(l->items) < 2000) {
		json_t *rec = intake_rec_parse(l->in, t, &intake_rec_visit, k.mv_data,
					       k.mv_size, v.mv_data, v.mv_size);
		const char *date = json_string_value(json_object_get(rec, "date"));
		const char *sid = json_string_value(
		    json_object_get(json_object_get(rec, "actor"), "staff_id"));
		if (rec && date && (!l->month || !strncmp(date, l->month, 7)) &&
		    (!l->staff || (sid && !strcmp(sid, l->staff)))) {
			if (json_is_true(json_object_get(rec, "household"))) {
				l->households++;
				json_object_set_new(l->homes, s_home_key(rec, key),
						    json_true());
			}
			json_array_append(l->items, rec);
		}
		json_decref(rec);
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return QF_OK;
}

void intake_h_visits_get(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const struct qf_staff *s = qf_access_staff(r);
	const char *month = qf_http_query(r, "month");
	if (month && (strlen(month) != 7 || month[4] != '-')) {
		qf_http_reply_error(r, 400, "invalid_month", "month 必须是 YYYY-MM",
				    "month");
		return;
	}
	/* whose log: the one asked for, else everyone's where the policy grants
	 * visit.read:all and one's own where it grants only :own */
	const struct qf_community *c = qf_access_community(r);
	const char *staff = qf_http_query(r, "staff");
	if (!staff && qf_policy_scope(c, s, QF_ACT_VISIT_READ) != QF_SCOPE_ALL)
		staff = s->id;
	if (staff) {
		enum qf_verdict v = qf_policy_own(c, s, QF_ACT_VISIT_READ, staff);
		if (v != QF_ALLOW) {
			qf_access_deny(r, v);
			return;
		}
	}
	qf_http_reply_json(r, 200, intake_visits_list(in, staff, month));
}

json_t *intake_visits_list(struct intake *in, const char *staff, const char *month)
{
	struct visit_list l = {in, staff, month, json_array(), 0, json_object()};
	intake_read(in, s_list, &l);
	json_t *j = json_pack("{s:o, s:i, s:i, s:i}", "visits", l.items, "count",
			      (int)json_array_size(l.items), "households",
			      (int)l.households, "distinct_households",
			      (int)json_object_size(l.homes));
	json_decref(l.homes);
	if (month)
		json_object_set_new(j, "month", json_string(month));
	return j;
}
