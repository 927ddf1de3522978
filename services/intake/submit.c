/* submit.c: a petition's way from a validated request to a durable case:
 * rate limits, the spam filter, sealing the contact to its recipients,
 * masking its text with the case's names, the group-commit job that writes
 * the case and its PETITION_SUBMITTED event (or the spam hold and its
 * SPAM_HELD event) in one transaction, and the answer after the fsync, with
 * the petitioner's receipt: the event's id and the opening of its private
 * commitment, read back from the outbox as committed.
 *
 * Design: everything expensive and pure (sealing to recipients, hashing,
 * masking, encoding) runs on the HTTP thread before the job is queued; the
 * job's apply, which runs on the single writer thread, looks up, allocates
 * the tracking code, seals the personal data at rest under the case's key
 * (store.c; the key is made there) and writes. apply may run twice (map
 * growth): it allocates ids and codes afresh and keeps nothing outside the
 * transaction. The answer is sent only from done, after the commit. */
#include "intake.h"
#include "qf_mask.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"
#include "ratelimit.h"

struct intake_sub {
	struct qf_gc_job job;
	struct intake *in;
	struct qf_http_req *r;
	struct intake_petition p;
	struct intake_sub_opts o;
	struct intake_idem idem;
	int have_idem;
	char client[64];
	char source_visit[32], released_hold[32], dispatched[32];
	char keep_code[32];
	int64_t now_ms;
	int64_t submitted_ms; /* now, or when a dispatched petition was received */
	/* prepared on the HTTP thread */
	char secret[24];
	char secret_hash[65];
	uint8_t pseudonym[32];
	int has_pseudonym;
	char *contact; /* {"name","phone","email"}, sealed at rest in apply */
	uint8_t *sealed[INTAKE_MAX_RECIPIENTS];
	size_t sealed_len[INTAKE_MAX_RECIPIENTS];
	unsigned nsealed;
	const char *sealed_to[INTAKE_MAX_RECIPIENTS];
	int spam;
	int unlocated; /* no building found: kept for the dispatcher, no event */
	char rule[32], rule_detail[80];
	struct intake_spam_verdict verdict; /* the spam score and its signals */
	/* built on the HTTP thread for case_id + code (rebuilt in apply only if
	   the code collides, or photos by reference had to be looked up) */
	int built;
	char built_code[32];
	json_t *rec;
	uint8_t *payload;
	size_t payload_len;
	struct qf_privacy pc;  /* what of the petition is public */
	struct intake_mask mask; /* the case's names (pc.mask points here) */
	uint8_t nonce[32];     /* its private part's commitment nonce (receipt) */
	/* ids (the case id is made before the queue, the hold id in apply) */
	char case_id[QF_ID_LEN + 2];
	char hold_id[QF_ID_LEN + 2];
	char code[32];
	/* verdict */
	unsigned status;
	char *answer;
	struct intake_err err;
};

const char *intake_sub_case_id(const struct intake_sub *s) { return s->case_id; }

const char *intake_sub_code(const struct intake_sub *s) { return s->code; }

void *intake_sub_extra_arg(const struct intake_sub *s) { return s->o.extra_arg; }

struct intake *intake_sub_intake(const struct intake_sub *s) { return s->in; }

struct intake_mask *intake_sub_mask(struct intake_sub *s) { return &s->mask; }

static void s_unbuild(struct intake_sub *s)
{
	json_decref(s->rec);
	free(s->payload);
	s->rec = NULL;
	s->payload = NULL;
	s->built = 0;
}

static void s_sub_free(struct intake_sub *s)
{
	s_unbuild(s);
	intake_petition_free(&s->p);
	if (s->contact) {
		sodium_memzero(s->contact, strlen(s->contact));
		free(s->contact);
	}
	for (unsigned i = 0; i < s->nsealed; i++)
		free(s->sealed[i]);
	free(s->answer);
	if (s->o.extra_free)
		s->o.extra_free(s->o.extra_arg);
	sodium_memzero(s->secret, sizeof s->secret);
	free(s);
}

char *intake_contact_json(const struct intake_petition *p)
{
	json_t *j =
	    json_pack("{s:s, s:s, s:s}", "name", p->name ? p->name : "", "phone",
		      p->phone ? p->phone : "", "email", p->email ? p->email : "");
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return s;
}

/* A 20-character Crockford secret (100 bits) and its BLAKE2b hash. */
static void s_secret(char out[24], char hash_hex[65])
{
	uint8_t rnd[20], h[32];
	randombytes_buf(rnd, sizeof rnd);
	for (int i = 0; i < 20; i++)
		out[i] = intake_crockford[rnd[i] & 31];
	out[20] = '\0';
	crypto_generichash(h, sizeof h, (const uint8_t *)out, 20, NULL, 0);
	qf_hex(h, 32, hash_hex);
	sodium_memzero(rnd, sizeof rnd);
}

/* ------------------------------------------------------------ records */

static json_t *s_media_json(const struct intake_petition *p)
{
	json_t *arr = json_array();
	for (unsigned i = 0; i < p->nmedia; i++) {
		const struct intake_media *m = &p->media[i];
		if (m->kind == INTAKE_MEDIA_URL)
			json_array_append_new(arr, json_pack("{s:s}", "url", m->url));
		else
			json_array_append_new(
			    arr, json_pack("{s:s, s:s, s:I}", "sha256", m->sha256,
					   "content_type",
					   m->content_type ? m->content_type : "", "size",
					   (json_int_t)m->size));
	}
	return arr;
}

static json_t *s_case_record(struct intake_sub *s)
{
	const struct intake_petition *p = &s->p;
	json_t *rec = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:s, s:o, s:I, s:s, s:s,"
	    " s:s, s:s, s:I, s:i, s:b, s:s}",
	    "id", s->case_id, "code", s->code, "category", p->category, "building",
	    p->building, "address", p->address, "description", p->description, "channel",
	    p->channel, "anonymous", p->anonymous, "consent_public", p->consent_public,
	    "name_masked", p->name_masked, "phone_masked", p->phone_masked, "media",
	    s_media_json(p), "submitted_ms", (json_int_t)s->submitted_ms, "client", s->client,
	    "secret_hash", s->secret_hash, "origin", "local", "state", "submitted",
	    "updated_ms", (json_int_t)s->now_ms, "timeline_n", 0, "has_contact",
	    s->contact != NULL, "replica", s->in->conf->svc.node);
	if (!rec)
		return NULL;
	json_object_set_new(rec, "sensitive", json_boolean(s->pc.sensitive));
	intake_mask_save(&s->mask, rec);
	for (unsigned i = 0; i < p->nmedia; i++)
		if (p->media[i].kind != INTAKE_MEDIA_URL &&
		    intake_case_media_own(rec, p->media[i].sha256)) {
			json_decref(rec);
			return NULL;
		}
	if (p->has_location) {
		json_object_set_new(rec, "lat", json_real(p->lat));
		json_object_set_new(rec, "lng", json_real(p->lng));
	}
	if (s->o.entered_by)
		json_object_set_new(rec, "entered_by",
				    intake_actor_json(s->o.entered_by));
	if (p->concerns_staff)
		json_object_set_new(rec, "concerns_staff",
				    json_string(p->concerns_staff));
	if (p->nparties) {
		json_t *a = json_array();
		for (unsigned i = 0; i < p->nparties; i++)
			json_array_append_new(a, json_string(p->parties[i]));
		json_object_set_new(rec, "parties", a);
	}
	if (s->source_visit[0])
		json_object_set_new(rec, "source_visit_id", json_string(s->source_visit));
	if (s->released_hold[0])
		json_object_set_new(rec, "released_hold_id",
				    json_string(s->released_hold));
	if (s->dispatched[0])
		json_object_set_new(rec, "dispatched_from_id",
				    json_string(s->dispatched));
	return rec;
}

/* PETITION_SUBMITTED, packed into s->payload. */
static int s_pack_petition(struct intake_sub *s)
{
	const struct intake_petition *p = &s->p;
	Qingfeng__V1__PetitionSubmitted m = QINGFENG__V1__PETITION_SUBMITTED__INIT;
	Qingfeng__V1__Attachment att[INTAKE_MAX_MEDIA], *attp[INTAKE_MAX_MEDIA];
	Qingfeng__V1__SealedContact sc[INTAKE_MAX_RECIPIENTS],
	    *scp[INTAKE_MAX_RECIPIENTS];
	Qingfeng__V1__Actor actor = QINGFENG__V1__ACTOR__INIT;
	m.case_id = s->case_id;
	m.tracking_code = s->code;
	m.category = p->category;
	m.building = p->building;
	m.address = p->address;
	/* what of it is public is decided by qf_privacy from the context; free
	   text is masked here with the case's names (the petitioner's surname
	   and full name, names learned after cues), and the public part is
	   masked again on its way out with the same context. The text exactly
	   as written travels in `text`, [private]. */
	char *desc = intake_mask_text(&s->mask, p->description);
	char *addr = intake_mask_text(&s->mask, p->address);
	if (!desc || !addr) {
		free(desc);
		free(addr);
		return QF_ERR_NOMEM;
	}
	m.address = addr;
	m.description = desc;
	m.channel = p->channel;
	m.anonymous = p->anonymous;
	m.consent_public = p->consent_public;
	m.has_location = p->has_location;
	m.lat = p->lat;
	m.lng = p->lng;
	m.name_masked = (char *)p->name_masked;
	m.phone_masked = (char *)p->phone_masked;
	if (s->has_pseudonym) {
		m.petitioner_pseudonym.data = s->pseudonym;
		m.petitioner_pseudonym.len = 32;
	}
	m.n_media = intake_media_attachments(p->media, p->nmedia, att, attp);
	m.media = attp;
	for (unsigned i = 0; i < s->nsealed; i++) {
		qingfeng__v1__sealed_contact__init(&sc[i]);
		sc[i].recipient = (char *)s->sealed_to[i];
		sc[i].sealed.data = s->sealed[i];
		sc[i].sealed.len = s->sealed_len[i];
		scp[i] = &sc[i];
	}
	m.n_contact = s->nsealed;
	m.contact = scp;
	if (s->o.entered_by) {
		actor.staff_id = s->o.entered_by->id;
		actor.role = s->o.entered_by->role;
		actor.name = s->o.entered_by->name;
		m.entered_by = &actor;
	}
	m.submitted_ms = s->submitted_ms;
	m.n_parties = p->nparties;
	m.parties = (char **)p->parties;
	m.concerns_staff = p->concerns_staff ? p->concerns_staff : (char *)"";
	m.source_visit_id = s->source_visit;
	m.released_hold_id = s->released_hold;
	m.dispatched_from_id = s->dispatched;
	m.client = s->client;
	m.text = (char *)(p->description ? p->description : "");
	size_t n = protobuf_c_message_get_packed_size(&m.base);
	free(s->payload);
	s->payload = malloc(n ? n : 1);
	if (s->payload)
		s->payload_len = protobuf_c_message_pack(&m.base, s->payload);
	free(desc);
	free(addr);
	return s->payload ? QF_OK : QF_ERR_NOMEM;
}

/* The 201 answer, with the receipt of the event just emitted (read back
 * from the outbox in t: exactly what was committed). */
static char *s_answer_created(struct intake_sub *s, struct qf_txn *t, const json_t *pos)
{
	char at[40];
	qf_time_fmt(s->submitted_ms, intake_world_get(s->in)->community->utc_offset_min, at,
		    sizeof at);
	json_t *media = json_array();
	for (unsigned i = 0; i < s->p.nmedia; i++) {
		const struct intake_media *m = &s->p.media[i];
		if (m->kind == INTAKE_MEDIA_URL) {
			json_array_append_new(media, json_pack("{s:s}", "url", m->url));
		} else {
			char url[100];
			snprintf(url, sizeof url, "/v1/media/%s", m->sha256);
			json_array_append_new(media, json_pack("{s:s, s:s}", "sha256",
							       m->sha256, "url", url));
		}
	}
	char follow[64];
	snprintf(follow, sizeof follow, "/v1/track/%s", s->code);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:{s:s, s:s}}",
			      "case_id", s->case_id, "tracking_code", s->code, "secret",
			      s->secret, "status", "submitted", "submitted_at", at,
			      "category", s->p.category, "media", media, "follow", "url",
			      follow, "secret_header", "X-Tracking-Secret");
	if (j && s->released_hold[0])
		json_object_set_new(j, "released_hold_id", json_string(s->released_hold));
	if (j && s->source_visit[0])
		json_object_set_new(j, "visit_id", json_string(s->source_visit));
	if (j && s->dispatched[0])
		json_object_set_new(j, "dispatch_id", json_string(s->dispatched));
	if (j && !s->secret[0]) /* a released hold keeps the secret its petitioner has */
		json_object_del(j, "secret");
	json_t *rcpt = pos ? intake_receipt(s->in, t, s->case_id, pos) : NULL;
	if (j && rcpt)
		json_object_set_new(j, "receipt", rcpt);
	else
		json_decref(rcpt);
	char *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return out;
}

/* Everything the writer stores for a case, for the current case id and
 * code: the record and the event payload. Pure computation: the HTTP thread
 * does it before queueing. The answer waits for the emit (its receipt). */
static int s_build(struct intake_sub *s)
{
	s_unbuild(s);
	const struct qf_category *cat =
		qf_community_category(intake_world_get(s->in)->community, s->p.category);
	s->pc.consent = s->p.consent_public;
	s->pc.sensitive = !cat || cat->sensitive || s->p.concerns_staff;
	s->pc.mask = &s->mask.mo;
	if (!s->built)
		randombytes_buf(s->nonce, sizeof s->nonce);
	/* the payload first: masking it learns the names the record keeps */
	if (s_pack_petition(s) || !(s->rec = s_case_record(s)))
		return QF_ERR_NOMEM;
	snprintf(s->built_code, sizeof s->built_code, "%s", s->code);
	s->built = 1;
	return QF_OK;
}

static char *s_answer_held(struct intake_sub *s)
{
	json_t *j = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "code", "rejected_as_spam", "message",
	    "您的诉求疑似广告或虚假信息，已暂存待廉勤监督员审核；审核通过后将正常受理，"
	    "可凭查询码和密钥查看进展",
	    "field", "description", "hold_id", s->hold_id, "tracking_code", s->code,
	    "secret", s->secret, "rule", s->rule);
	char *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return out;
}

static char *s_answer_unlocated(struct intake_sub *s)
{
	json_t *j =
	    json_pack("{s:s, s:s, s:s, s:s, s:n, s:s}", "dispatch_id", s->hold_id,
		      "tracking_code", s->code, "secret", s->secret, "status",
		      "awaiting_dispatch", "building", "message",
		      "已收到您的诉求。系统未能确定所在楼栋，社区将确认后分派处理，"
		      "可凭查询码和密钥查看进展");
	char *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return out;
}

/* The held submission as kept for review: everything but the contact. */
static json_t *s_hold_record(struct intake_sub *s)
{
	const struct intake_petition *p = &s->p;
	json_t *pet = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:s, s:o}", "category", p->category,
	    "building", p->building, "address", p->address, "description", p->description,
	    "channel", p->channel, "anonymous", p->anonymous, "consent_public",
	    p->consent_public, "name_masked", p->name_masked, "phone_masked",
	    p->phone_masked, "media", s_media_json(p));
	if (!pet)
		return NULL;
	if (p->has_location) {
		json_object_set_new(pet, "lat", json_real(p->lat));
		json_object_set_new(pet, "lng", json_real(p->lng));
	}
	if (p->concerns_staff)
		json_object_set_new(pet, "concerns_staff",
				    json_string(p->concerns_staff));
	if (p->nparties) {
		json_t *a = json_array();
		for (unsigned i = 0; i < p->nparties; i++)
			json_array_append_new(a, json_string(p->parties[i]));
		json_object_set_new(pet, "parties", a);
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:o, s:b, s:s, s:i, s:o}",
			 "hold_id", s->hold_id, "code", s->code, "rule", s->rule,
			 "rule_detail", s->rule_detail, "secret_hash", s->secret_hash,
			 "held_ms", (json_int_t)s->now_ms, "status",
			 s->unlocated ? "unlocated" : "held", "petition", pet, "has_contact",
			 s->contact != NULL, "client", s->client, "score", s->verdict.score,
			 "signals", intake_spam_signals_json(&s->verdict));
}

/* ------------------------------------------------------------ apply */

/* The hold's texts, contact and photos are sealed under "hold:<id>":
 * dismissing or releasing it forgets them. */
static int s_apply_hold(struct intake_sub *s, struct qf_txn *t)
{
	struct intake *in = s->in;
	char subject[48];
	intake_media_subject(s->hold_id, subject, sizeof subject);
	int rc = intake_code_alloc(in, t, s->hold_id, s->code, sizeof s->code);
	if (rc)
		return rc;
	for (unsigned i = 0; i < s->p.nmedia; i++)
		if (s->p.media[i].kind == INTAKE_MEDIA_UPLOAD &&
		    (rc = intake_media_put(in, t, &s->p.media[i], s->hold_id)))
			return rc;
	json_t *rec = s_hold_record(s);
	if (!rec)
		return QF_ERR_NOMEM;
	rc = intake_rec_put(in, t, in->db.holds, s->hold_id, strlen(s->hold_id),
			    &intake_rec_hold, subject, 1, rec);
	json_decref(rec);
	if (rc)
		return rc;
	if (s->contact && (rc = intake_contact_put(in, t, in->db.hold_contact, s->hold_id,
						  subject, s->contact)))
		return rc;
	if (s->unlocated) {
		/* no event yet: PETITION_SUBMITTED comes with the building */
		free(s->answer);
		s->answer = s_answer_unlocated(s);
		if (!s->answer)
			return QF_ERR_NOMEM;
		s->status = 201;
		return intake_idem_put(in, t, &s->idem, s->status, s->answer, NULL);
	}
	Qingfeng__V1__SpamHeld m = QINGFENG__V1__SPAM_HELD__INIT;
	m.hold_id = s->hold_id;
	m.rule = s->rule;
	m.category = s->p.category;
	m.building = s->p.building;
	m.held_ms = s->now_ms;
	if ((rc = intake_emit(in, t, QINGFENG__V1__EVENT_TYPE__SPAM_HELD,
			      qf_privacy_partition_key(s->p.building, s->pc.sensitive),
			      NULL, NULL, &m.base, &s->pc)))
		return rc;
	free(s->answer);
	s->answer = s_answer_held(s);
	if (!s->answer)
		return QF_ERR_NOMEM;
	s->status = 422;
	return intake_idem_put(in, t, &s->idem, s->status, s->answer, NULL);
}

static int s_apply_case(struct intake_sub *s, struct qf_txn *t)
{
	struct intake *in = s->in;
	int rc;
	if (s->keep_code[0]) {
		snprintf(s->code, sizeof s->code, "%s", s->keep_code);
		rc = qf_txn_put(t, in->db.codes, s->code, strlen(s->code), s->case_id,
				strlen(s->case_id), 0);
	} else {
		/* the code drawn before the queue, unless another case has it */
		rc = s->code[0]
			 ? qf_txn_put(t, in->db.codes, s->code, strlen(s->code),
				      s->case_id, strlen(s->case_id), MDB_NOOVERWRITE)
			 : QF_ERR_EXISTS;
		if (rc == QF_ERR_EXISTS)
			rc =
			    intake_code_alloc(in, t, s->case_id, s->code, sizeof s->code);
	}
	if (rc)
		return rc;
	if ((!s->built || strcmp(s->built_code, s->code)) && (rc = s_build(s)))
		return rc;
	for (unsigned i = 0; i < s->p.nmedia; i++)
		if (s->p.media[i].kind == INTAKE_MEDIA_UPLOAD &&
		    (rc = intake_media_put(in, t, &s->p.media[i], s->case_id)))
			return rc;
	struct qf_bus_event ev = {
	    .type = QINGFENG__V1__EVENT_TYPE__PETITION_SUBMITTED,
	    .partition_key = qf_privacy_partition_key(s->p.building, s->pc.sensitive),
	    .case_id = s->case_id,
	    .payload = s->payload,
	    .payload_len = s->payload_len,
	    .nonce = s->nonce};
	uint32_t part;
	uint64_t seq;
	uint8_t eid[16];
	if ((rc = qf_privacy_emit_event(in->prod, t, &ev, &s->pc, &part, &seq, eid)))
		return rc;
	/* the record remembers where the event went, for the receipts; apply
	   may run twice, so it is written to a copy */
	json_t *rec = json_deep_copy(s->rec);
	if (!rec || intake_case_event_add(rec, ev.type, part, seq, eid)) {
		json_decref(rec);
		return QF_ERR_NOMEM;
	}
	rc = intake_case_put(in, t, s->case_id, rec);
	json_t *pos = json_incref(json_array_get(json_object_get(rec, "events"), 0));
	json_decref(rec);
	if (!rc && s->contact)
		rc = intake_contact_put(in, t, in->db.contact, s->case_id, s->case_id,
					s->contact);
	if (!rc && s->o.extra)
		rc = s->o.extra(t, s);
	if (!rc) {
		free(s->answer);
		s->answer = s_answer_created(s, t, pos);
		rc = s->answer ? QF_OK : QF_ERR_NOMEM;
	}
	json_decref(pos);
	if (rc)
		return rc;
	s->status = 201;
	return intake_idem_put_sealed(in, t, &s->idem, 201, s->answer, s->case_id);
}

static int s_apply(struct qf_txn *t, void *arg)
{
	struct intake_sub *s = arg;
	struct intake *in = s->in;
	s->status = 0;
	s->have_idem = 0;
	s->err.code = NULL;
	/* decide first: a duplicate, a reused key, an unknown photo reference */
	if (s->idem.present) {
		unsigned st = 0;
		char *body = NULL;
		int f = intake_idem_find(in, t, &s->idem, &st, &body, NULL, 0);
		if (f != INTAKE_IDEM_NONE) {
			free(s->answer);
			s->answer = body;
			s->status = f == INTAKE_IDEM_SAME ? st : 0;
			s->have_idem = f;
			return QF_OK;
		}
	}
	if (s->o.check && s->o.check(t, s, &s->err))
		return QF_OK;
	if (s->spam || s->unlocated) {
		qf_id_sortable(s->now_ms, s->hold_id + 1);
		s->hold_id[0] = 'H';
	}
	/* photos by hash: only those uploaded with a token the petition holds,
	   or those of the hold it is released from (never another case's) */
	const char *from[] = {s->released_hold[0] ? s->released_hold
			      : s->dispatched[0]  ? s->dispatched
						  : NULL,
			      NULL};
	for (unsigned i = 0; i < s->p.nmedia; i++) {
		struct intake_media *m = &s->p.media[i];
		if (m->kind != INTAKE_MEDIA_REF)
			continue;
		int kept = s->spam || s->unlocated;
		int rc =
		    intake_media_attach(in, t, m, kept ? s->hold_id : s->case_id, from);
		if (rc == QF_ERR_NOTFOUND) {
			char f[32];
			snprintf(f, sizeof f, "media[%u]", i);
			intake_err_set(&s->err, 422, "unknown_media", f,
				       "没有这张图片（请随诉求一并上传，或附上上传凭证 "
				       "upload_token）");
			return QF_OK;
		}
		if (rc)
			return rc;
		s->built = 0; /* the record and event name the photo's type and size */
	}
	return s->spam || s->unlocated ? s_apply_hold(s, t) : s_apply_case(s, t);
}

/* ------------------------------------------------------------ done */

static void s_done(void *arg, int rc)
{
	struct intake_sub *s = arg;
	struct intake *in = s->in;
	if (rc) {
		/* nothing was committed: never the answer prepared in the
		 * transaction (a full disk made every one of them a lost 201) */
		qf_error("petition_commit_failed", "error=\"%s\"", qf_strerror(rc));
		s->status = 0;
		qf_http_add_header(s->r, "Retry-After", "1");
		intake_err_set(&s->err, 503, "unavailable", NULL,
			       "暂时无法保存，请稍后重试");
	} else if (s->have_idem == INTAKE_IDEM_OTHER) {
		intake_err_set(&s->err, 422, "idempotency_key_reused", "Idempotency-Key",
			       "这个 Idempotency-Key 已用于另一个不同的请求");
	} else if (s->have_idem == INTAKE_IDEM_SAME) {
		qf_metric_inc(in->m.idem_replay);
		qf_http_add_header(s->r, "Idempotent-Replayed", "true");
	} else if (s->status == 201 && !s->unlocated) {
		qf_metric_inc(in->m.accepted);
		qf_info("petition_accepted",
			"case=%s code=%s category=%s building=%s channel=%s "
			"media=%u",
			s->case_id, s->code, s->p.category, s->p.building, s->p.channel,
			s->p.nmedia);
	} else if (s->status == 201 && s->unlocated) {
		qf_metric_inc(in->m.unlocated);
		qf_info("petition_unlocated",
			"dispatch=%s code=%s category=%s channel=%s", s->hold_id, s->code,
			s->p.category, s->p.channel);
	} else if (s->status == 422 && s->spam) {
		qf_metric_inc(in->m.held);
		qf_info("petition_held", "hold=%s rule=%s category=%s building=%s",
			s->hold_id, s->rule, s->p.category, s->p.building);
	}
	if (s->o.reply) {
		if (!(s->status && s->answer) && !s->err.code)
			intake_err_set(&s->err, 500, "internal", NULL, "服务器内部错误");
		s->o.reply(s->r, s->status && s->answer ? s->status : 0,
			   s->status && s->answer ? s->answer : NULL,
			   s->status && s->answer ? NULL : &s->err, s->o.reply_arg);
	} else if (s->status && s->answer) {
		if (s->o.fmt == INTAKE_FMT_NATIVE) {
			qf_http_reply(s->r, s->status, "application/json; charset=utf-8",
				      s->answer, strlen(s->answer));
		} else {
			intake_o311_reply_submit(s->r, s->o.fmt, s->status, s->answer,
						 NULL);
		}
	} else {
		if (!s->err.code)
			intake_err_set(&s->err, 500, "internal", NULL, "服务器内部错误");
		if (s->o.fmt == INTAKE_FMT_NATIVE)
			intake_reply_err(s->r, &s->err);
		else
			intake_o311_reply_submit(s->r, s->o.fmt, 0, NULL, &s->err);
	}
	s_sub_free(s);
}

/* ------------------------------------------------------------ entry */

static void s_fail(struct qf_http_req *r, const struct intake_sub_opts *o,
		   const struct intake_err *e)
{
	if (o->reply)
		o->reply(r, 0, NULL, e, o->reply_arg);
	else if (o->fmt == INTAKE_FMT_NATIVE)
		intake_reply_err(r, e);
	else
		intake_o311_reply_submit(r, o->fmt, 0, NULL, e);
}

void intake_submit(struct intake *in, struct qf_http_req *r, struct intake_petition *p,
		   const struct intake_sub_opts *o)
{
	struct intake_err e = {0};
	struct intake_sub *s = calloc(1, sizeof *s);
	if (!s) {
		intake_petition_free(p);
		intake_err_set(&e, 500, "internal", NULL, "内存不足");
		s_fail(r, o, &e);
		return;
	}
	s->in = in;
	s->r = r;
	s->p = *p;
	memset(p, 0, sizeof *p);
	s->o = *o;
	if (o->idem)
		s->idem = *o->idem;
	s->o.idem = NULL;
	s->o.spam_text = NULL; /* read below, not kept */
	snprintf(s->client, sizeof s->client, "%s", o->client ? o->client : "native");
	snprintf(s->source_visit, sizeof s->source_visit, "%s",
		 o->source_visit_id ? o->source_visit_id : "");
	snprintf(s->released_hold, sizeof s->released_hold, "%s",
		 o->released_hold_id ? o->released_hold_id : "");
	snprintf(s->dispatched, sizeof s->dispatched, "%s",
		 o->dispatched_from_id ? o->dispatched_from_id : "");
	snprintf(s->keep_code, sizeof s->keep_code, "%s",
		 o->keep_code ? o->keep_code : "");
	s->now_ms = qf_now_ms(in->clock);
	s->submitted_ms = o->received_ms > 0 && o->received_ms < s->now_ms ? o->received_ms
									  : s->now_ms;
	intake_mask_init(&s->mask, in->keys.names, s->p.name_masked, s->p.name, NULL);
	if (s->p.phone) {
		intake_keys_pseudonym(&in->keys, s->p.phone, s->pseudonym);
		s->has_pseudonym = 1;
	}
	/* rate limits: per client address, per phone (pseudonym) */
	if (!o->skip_limits) {
		char addr[64];
		if (intake_client_addr(in, r, addr, sizeof addr))
			goto fail_replied;
		/* refused in the request's own format (Open311 answers XML) */
		if (intake_limit_err(in, r, in->lim_ip, addr, strlen(addr), "ip", &e) ||
		    (s->has_pseudonym && intake_limit_err(in, r, in->lim_phone,
							  s->pseudonym, 32, "phone", &e)))
			goto fail;
	}
	/* integrity reports never wait in the general spam queue, where the
	   person reported could be the reviewer: they go straight to the
	   integrity channel, which rejects a false one like any case */
	const struct qf_category *scat =
		qf_community_category(intake_world_get(in)->community, s->p.category);
	int sensitive = (scat && scat->sensitive) || s->p.concerns_staff;
	if (!o->skip_spam && !o->entered_by && !sensitive) {
		/* a trusted Open311 client's own links are not counted (trust.h) */
		s->spam = intake_spam_judge(in, o->spam_text ? o->spam_text : s->p.description,
					    s->p.address, &s->verdict, s->rule, sizeof s->rule,
					    s->rule_detail, sizeof s->rule_detail);
	}
	s->unlocated = !s->spam && s->p.located_by == INTAKE_UNLOCATED;
	if (o->keep_secret_hash) {
		snprintf(s->secret_hash, sizeof s->secret_hash, "%s",
			 o->keep_secret_hash);
		s->secret[0] = '\0';
	} else {
		s_secret(s->secret, s->secret_hash);
	}
	/* the contact: sealed to each recipient here, sealed at rest in apply
	   (under the case's key, which only the writer can make) */
	if (s->p.name || s->p.phone || s->p.email) {
		char *cj = intake_contact_json(&s->p);
		if (!cj) {
			intake_err_set(&e, 500, "internal", NULL, "内存不足");
			goto fail;
		}
		size_t cl = strlen(cj);
		for (unsigned i = 0; !s->spam && !s->unlocated && i < in->keys.nrecip;
		     i++) {
			uint8_t *box = malloc(cl + QF_SEAL_OVERHEAD);
			if (!box)
				break;
			if (intake_keys_seal(&in->keys, i, cj, cl, box)) {
				free(box);
				continue; /* recipient key not (yet) available */
			}
			s->sealed[s->nsealed] = box;
			s->sealed_len[s->nsealed] = cl + QF_SEAL_OVERHEAD;
			s->sealed_to[s->nsealed++] = in->keys.recip[i].name;
		}
		s->contact = cj;
	}
	/* ids and everything built from them, before the queue */
	s->case_id[0] = 'C';
	qf_id_sortable(s->now_ms, s->case_id + 1);
	int has_ref = 0;
	for (unsigned i = 0; i < s->p.nmedia; i++)
		has_ref |= s->p.media[i].kind == INTAKE_MEDIA_REF;
	if (!s->spam && !s->unlocated && !s->keep_code[0] && !has_ref) {
		intake_code_random(in, s->code, sizeof s->code);
		if (s_build(s)) {
			intake_err_set(&e, 500, "internal", NULL, "内存不足");
			goto fail;
		}
	}
	s->job.apply = s_apply;
	s->job.done = s_done;
	s->job.arg = s;
	qf_http_suspend(r);
	int rc = qf_gc_submit(in->gc, &s->job);
	if (rc) {
		intake_err_set(&e, 503, "unavailable", NULL, "服务正在停止，请稍后重试");
		s_fail(r, o, &e);
		s_sub_free(s);
	}
	return;
fail:
	s_fail(r, o, &e);
fail_replied:
	s_sub_free(s);
}

/* ------------------------------------------------------------ handler */

struct idem_probe {
	struct intake *in;
	const struct intake_idem *id;
	int found;
	unsigned status;
	char *body;
};

static int s_probe(struct qf_txn *t, void *arg)
{
	struct idem_probe *p = arg;
	p->found = intake_idem_find(p->in, t, p->id, &p->status, &p->body, NULL, 0);
	return QF_OK;
}

int intake_petition_read(struct intake *in, struct qf_http_req *r, json_t **obj,
			 struct intake_form *form, struct intake_err *e)
{
	memset(form, 0, sizeof *form); /* JSON bodies: no fields, no uploads */
	*obj = NULL;
	const char *ct = qf_http_header(r, "Content-Type");
	if (ct && !strncasecmp(ct, "application/json", 16)) {
		*obj = intake_body_json(r);
		return *obj ? 0 : -2;
	}
	intake_form_init(form);
	if (intake_form_read(r, form, (uint64_t)in->conf->max_media_bytes,
			     (unsigned)in->conf->max_media, e))
		return -1; /* the caller frees form: the fields read so far stay */
	*obj = json_incref(form->fields);
	return 0;
}

void intake_petition_submit(struct intake *in, struct qf_http_req *r, const json_t *obj,
			    struct intake_form *form, const struct intake_idem *idem,
			    const struct intake_sub_opts *so)
{
	struct intake_err e = {0};
	const struct qf_staff *staff = qf_access_staff(r); /* a valid token, when sent */
	const char *channel = json_string_value(json_object_get(obj, "channel"));
	int offline = channel && (!strcmp(channel, "counter") || !strcmp(channel, "patrol") ||
				  !strcmp(channel, "phone"));
	if (offline && in->conf->offline_needs_staff && !staff) {
		intake_form_free(form);
		intake_err_set(&e, 401, "staff_token_required", "Authorization",
			       "柜台、巡查和电话渠道的诉求须由工作人员登录后代为录入");
		s_fail(r, so, &e);
		return;
	}
	/* entering a petition for a resident is an action of the policy */
	if (offline && staff &&
	    qf_policy_role_allows(intake_world_get(in)->community, staff, QF_ACT_CASE_ENTER) !=
		QF_ALLOW) {
		intake_form_free(form);
		if (so->reply) {
			intake_err_set(&e, 403, "forbidden", NULL, "您的角色不能代居民录入诉求");
			so->reply(r, 0, NULL, &e, so->reply_arg);
		} else {
			qf_access_deny(r, QF_DENY_ROLE);
		}
		return;
	}
	const struct intake_world *w = intake_world_get(in);
	struct intake_petition_opts po = {w->community, (unsigned)in->conf->max_media,
					  (uint64_t)in->conf->max_media_bytes, 0,
					  (double)in->conf->locate_within_m};
	struct intake_petition p;
	int rc = intake_petition_decode(obj, form->uploads, form->nuploads, &po, &p, &e);
	intake_form_free(form);
	if (rc) {
		qf_metric_inc(in->m.invalid);
		s_fail(r, so, &e);
		return;
	}
	struct intake_sub_opts o = *so;
	o.entered_by = staff;
	o.client = "native";
	o.idem = idem;
	o.skip_limits = staff != NULL;
	intake_submit(in, r, &p, &o);
}

void intake_h_petition(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	struct intake_idem idem;
	if (intake_idem_from_request(r, "petition", &idem))
		return;
	if (idem.present) {
		/* a retry answered from the store without queueing anything */
		struct idem_probe pr = {in, &idem, 0, 0, NULL};
		intake_read(in, s_probe, &pr);
		if (pr.found != INTAKE_IDEM_NONE) {
			intake_idem_reply(r, pr.found, pr.status, pr.body);
			return;
		}
	}
	json_t *obj;
	struct intake_form form;
	struct intake_err e = {0};
	int rc = intake_petition_read(in, r, &obj, &form, &e);
	if (rc == -1) {
		intake_form_free(&form);
		intake_reply_err(r, &e);
	}
	if (rc)
		return;
	struct intake_sub_opts so = {.fmt = INTAKE_FMT_NATIVE};
	intake_petition_submit(in, r, obj, &form, &idem, &so);
	json_decref(obj);
}
