/* cases.c: the public case view (cases.h): apply intake's petitions and
 * router's transitions to masked case documents, keep their heads and
 * indexes, and answer filtered, paged queries.
 *
 * Every change goes through one path, s_save(): fold the timeline into the
 * derived fields (state, handler, deadlines, first response, resolution,
 * rating), write the document, rebuild the head, and move the index keys
 * and counters from the old head to the new one. Folding rather than
 * patching is what makes the view independent of arrival order. */
#include "cases.h"
#include "live.h"
#include "qf_mask.h"

#include "qf_clock.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) QINGFENG__V1__CASE_STATE__##x

/* ------------------------------------------------------------ states */

static const struct {
	const char *code, *label;
} s_states[] = {
    {"", "未知"},	    {"submitted", "待派单"},   {"assigned", "已派单"},
    {"accepted", "已受理"}, {"in_progress", "处理中"}, {"resolved", "已办结"},
    {"closed", "已结案"},   {"rejected", "不予受理"},  {"reopened", "重新办理"},
    {"merged", "已合并"},
};
#define NSTATES (sizeof s_states / sizeof s_states[0])

const char *case_state_code(unsigned state)
{
	return state < NSTATES ? s_states[state].code : "";
}

const char *case_state_label(unsigned state)
{
	return state < NSTATES ? s_states[state].label : "未知";
}

int case_state_parse(const char *code)
{
	for (unsigned i = 1; i < NSTATES; i++)
		if (strcmp(code, s_states[i].code) == 0)
			return (int)i;
	return -1;
}

int case_state_open(unsigned state)
{
	return state == S(STATE_SUBMITTED) || state == S(STATE_ASSIGNED) ||
	       state == S(STATE_ACCEPTED) || state == S(STATE_IN_PROGRESS) ||
	       state == S(STATE_REOPENED);
}

int case_overdue(const struct case_head *h, int64_t now)
{
	if (!case_state_open(h->state))
		return 0;
	if (!h->first_response_ms && h->respond_due_ms && now > h->respond_due_ms)
		return 1;
	return h->resolve_due_ms && now > h->resolve_due_ms;
}

/* The next deadline of an open case (0: none), the by_due key. */
static int64_t s_next_due(const struct case_head *h)
{
	if (!case_state_open(h->state))
		return 0;
	int64_t d = h->resolve_due_ms;
	if (!h->first_response_ms && h->respond_due_ms && (!d || h->respond_due_ms < d))
		d = h->respond_due_ms;
	return d;
}

static const struct {
	const char *type, *label;
} s_labels[] = {
    {"PETITION_SUBMITTED", "群众提交诉求"},
    {"CASE_ASSIGNED", "派单"},
    {"CASE_ACCEPTED", "受理"},
    {"CASE_TRANSFERRED", "转办"},
    {"CASE_PROGRESS", "处理进展"},
    {"CASE_RESOLVED", "办结"},
    {"CASE_REJECTED", "不予受理"},
    {"CASE_REOPENED", "重新办理"},
    {"CASE_MERGED", "合并办理"},
    {"CASE_CLOSED", "结案"},
    {"CASE_ESCALATED", "升级督办"},
    {"EXTENSION_REQUESTED", "申请延期"},
    {"EXTENSION_DECIDED", "延期审批"},
    {"CASE_RATED", "群众评价"},
    {"DEADLINE_WARNING", "时限预警"},
    {"REPEAT_LINKED", "关联重复诉求"},
};

const char *case_event_label(const char *type)
{
	for (size_t i = 0; i < sizeof s_labels / sizeof s_labels[0]; i++)
		if (strcmp(type, s_labels[i].type) == 0)
			return s_labels[i].label;
	return type;
}

/* ------------------------------------------------------------ heads */

int case_view_parse(const void *v, size_t n, const char *id, size_t idlen,
		    struct case_view *out)
{
	(void)idlen;
	if (n < sizeof(struct case_head) + 3)
		return QF_ERR_PROTO;
	memcpy(&out->h, v, sizeof out->h);
	if (out->h.version != CASE_HEAD_VERSION)
		return QF_ERR_PROTO;
	const char *p = (const char *)v + sizeof(struct case_head),
		   *end = (const char *)v + n;
	const char *f[3];
	for (int i = 0; i < 3; i++) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		if (!z)
			return QF_ERR_PROTO;
		f[i] = p;
		p = z + 1;
	}
	out->id = id;
	out->category = f[0];
	out->building = f[1];
	out->handler = f[2];
	out->summary = p;
	out->summary_len = (size_t)(end - p);
	return QF_OK;
}

int dp_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 64)
		return 0;
	/* starts with a letter or digit: never "." or ".." in a path */
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
		      c == ':'))
			return 0;
	}
	return 1;
}

/* ------------------------------------------------------------ helpers */

static const char *s_js(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

static int64_t s_ji(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Set a masked free-text member (absent when empty). */
static int s_set_masked(json_t *o, const char *k, const char *text,
			const struct qf_mask_opts *mo)
{
	if (!text || !*text)
		return QF_OK;
	char *m = qf_mask_text(text, strlen(text), mo);
	if (!m)
		return QF_ERR_NOMEM;
	int rc = *m ? json_object_set_new(o, k, json_string(m)) : 0;
	free(m);
	return rc ? QF_ERR_NOMEM : QF_OK;
}

/* Set a cleaned official text member (staff names, posts): no masking. */
static int s_set_clean(json_t *o, const char *k, const char *text, size_t max)
{
	if (!text || !*text)
		return QF_OK;
	char *m = qf_mask_clean(text, strlen(text), max);
	if (!m)
		return QF_ERR_NOMEM;
	int rc = *m ? json_object_set_new(o, k, json_string(m)) : 0;
	free(m);
	return rc ? QF_ERR_NOMEM : QF_OK;
}

static void s_set_id(json_t *o, const char *k, const char *id)
{
	if (id && *id && dp_id_ok(id))
		json_object_set_new(o, k, json_string(id));
}

/* Masking context of one case: the petitioner's surname, the staff phones
 * kept, and the names learned from the case's texts (keyed hashes). */
#define CASE_NAMES 32
struct cmask {
	struct qf_mask_opts mo;
	struct qf_mask_names nm;
	unsigned char hashes[CASE_NAMES][QF_MASK_HASH];
	unsigned char key[32];
	char sur[16];
};

static int s_mask_begin(struct dp *dp, struct qf_txn *t, const char *id, json_t *doc,
			struct cmask *m)
{
	memset(m, 0, sizeof *m);
	qf_mask_surname(s_js(doc, "name"), m->sur, sizeof m->sur);
	m->mo.surname = m->sur[0] ? m->sur : NULL;
	m->mo.allow = (const char *const *)dp->allow;
	m->mo.nallow = dp->nallow;
	MDB_val v;
	int rc = qf_txn_get(t, dp->db.meta, "name_key", 8, &v);
	if (rc == QF_OK && v.mv_size == 32) {
		memcpy(m->key, v.mv_data, 32);
	} else if (rc == QF_OK || rc == QF_ERR_NOTFOUND) {
		qf_id_random(m->key, 32);
		if ((rc = qf_txn_put(t, dp->db.meta, "name_key", 8, m->key, 32, 0)))
			return rc;
	} else {
		return rc;
	}
	m->nm.key = m->key;
	m->nm.hash = m->hashes;
	m->nm.cap = CASE_NAMES;
	if (qf_txn_get(t, dp->db.case_names, id, strlen(id), &v) == QF_OK) {
		size_t n = v.mv_size / QF_MASK_HASH;
		if (n > CASE_NAMES)
			n = CASE_NAMES;
		memcpy(m->hashes, v.mv_data, n * QF_MASK_HASH);
		m->nm.n = (unsigned)n;
	}
	m->mo.names = &m->nm;
	return QF_OK;
}

static int s_remask(json_t *doc, const struct qf_mask_opts *mo);

/* Names learned by this event: keep them and mask the whole case again. */
static int s_mask_end(struct dp *dp, struct qf_txn *t, const char *id, json_t *doc,
		      struct cmask *m)
{
	if (!m->nm.learned)
		return QF_OK;
	int rc = qf_txn_put(t, dp->db.case_names, id, strlen(id), m->hashes,
			    (size_t)m->nm.n * QF_MASK_HASH, 0);
	if (rc)
		return rc;
	unsigned before = m->nm.learned;
	rc = s_remask(doc, &m->mo);
	if (!rc && m->nm.learned != before) /* learned more while masking again */
		rc = qf_txn_put(t, dp->db.case_names, id, strlen(id), m->hashes,
				(size_t)m->nm.n * QF_MASK_HASH, 0);
	return rc;
}

/* Printable ASCII only (URLs). */
static int s_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static json_t *s_media(struct dp *dp, Qingfeng__V1__Attachment **m, size_t n)
{
	(void)dp;
	json_t *a = json_array();
	for (size_t i = 0; a && i < n && i < 16; i++) {
		json_t *o = json_object();
		const char *sha = m[i]->sha256 ? m[i]->sha256 : "";
		int sha_ok = strlen(sha) == 64 && strspn(sha, "0123456789abcdef") == 64;
		const char *ct = m[i]->content_type ? m[i]->content_type : "";
		const char *url = m[i]->url ? m[i]->url : "";
		if (sha_ok)
			json_object_set_new(o, "sha256", json_string(sha));
		if (!strcmp(ct, "image/jpeg") || !strcmp(ct, "image/png"))
			json_object_set_new(o, "content_type", json_string(ct));
		/* only plain http(s) links, never javascript: or data: */
		if ((!strncmp(url, "https://", 8) || !strncmp(url, "http://", 7)) &&
		    strlen(url) < 1024 && !strpbrk(url, " \"'<>\\`") && s_ascii(url))
			json_object_set_new(o, "url", json_string(url));
		if (json_object_size(o))
			json_array_append_new(a, o);
		else
			json_decref(o);
	}
	return a;
}

/* Sort key of a timeline entry: class, producer, partition, seq. Entries
 * order by (at_ms, key): the petition first among equals, then each
 * producer's own order. */
static void s_entry_key(const Qingfeng__V1__Envelope *env, char cls, char *out, size_t n)
{
	snprintf(out, n, "%c%s/%04x/%016llx", cls, env->producer ? env->producer : "",
		 env->partition, (unsigned long long)env->seq);
}

/* Insert e into the doc's timeline by (at_ms, k); 0 inserted, 1 duplicate. */
static int s_timeline_insert(json_t *doc, json_t *e)
{
	json_t *tl = json_object_get(doc, "timeline");
	if (!tl) {
		tl = json_array();
		json_object_set_new(doc, "timeline", tl);
	}
	int64_t at = s_ji(e, "at_ms");
	const char *k = s_js(e, "k");
	size_t n = json_array_size(tl), pos = n;
	for (size_t i = n; i > 0; i--) {
		json_t *x = json_array_get(tl, i - 1);
		int64_t xa = s_ji(x, "at_ms");
		int c = xa < at ? -1 : xa > at ? 1 : strcmp(s_js(x, "k"), k);
		if (c == 0) {
			json_decref(e);
			return 1;
		}
		if (c < 0)
			break;
		pos = i - 1;
	}
	json_array_insert_new(tl, pos, e);
	return 0;
}

/* ------------------------------------------------------------ folding */

struct fold {
	struct case_head h;
	const char *category, *building, *handler;
};

static int s_transition_type(const char *type)
{
	return !strncmp(type, "CASE_", 5) || !strncmp(type, "EXTENSION_", 10);
}

/* Fold the timeline into the derived members of doc and the head. */
static void s_fold(struct dp *dp, json_t *doc, struct fold *f)
{
	memset(f, 0, sizeof *f);
	struct case_head *h = &f->h;
	h->version = CASE_HEAD_VERSION;
	int petition = json_is_true(json_object_get(doc, "petition"));
	if (petition)
		h->flags |= CH_PETITION;
	h->state = petition ? S(STATE_SUBMITTED) : 0;
	h->submitted_ms = s_ji(doc, "submitted_ms");
	const char *cat = s_js(doc, "category"), *bld = s_js(doc, "building");
	const char *code = s_js(doc, "tracking_code"), *prio = s_js(doc, "priority");
	const char *assignee = "", *aname = "", *apost = "", *owner = "", *related = "";
	const char *reject = "";
	json_t *tl = json_object_get(doc, "timeline");
	size_t i;
	json_t *e;
	json_array_foreach(tl, i, e)
	{
		const char *type = s_js(e, "type");
		int64_t at = s_ji(e, "at_ms");
		if (!strcmp(type, "DEADLINE_WARNING")) {
			if (json_is_true(json_object_get(e, "breached")))
				h->flags |= CH_BREACHED;
			continue;
		}
		if (!s_transition_type(type))
			continue;
		int to = case_state_parse(s_js(e, "to"));
		if (to > 0)
			h->state = (uint8_t)to;
		if (*s_js(e, "assignee")) {
			assignee = s_js(e, "assignee");
			aname = s_js(e, "assignee_name");
			apost = s_js(e, "assignee_post");
		}
		if (*s_js(e, "owner"))
			owner = s_js(e, "owner");
		if (s_ji(e, "respond_due_ms"))
			h->respond_due_ms = s_ji(e, "respond_due_ms");
		if (s_ji(e, "resolve_due_ms"))
			h->resolve_due_ms = s_ji(e, "resolve_due_ms");
		if (s_ji(e, "transfer_count") > h->transfer_count)
			h->transfer_count = (uint16_t)s_ji(e, "transfer_count");
		if (!*cat)
			cat = s_js(e, "category");
		if (!*bld)
			bld = s_js(e, "building");
		if (!*code)
			code = s_js(e, "tracking_code");
		if (!*prio)
			prio = s_js(e, "priority");
		if (!h->submitted_ms)
			h->submitted_ms = s_ji(e, "submitted_ms");
		if (!strcmp(type, "CASE_ACCEPTED") || !strcmp(type, "CASE_PROGRESS") ||
		    !strcmp(type, "CASE_RESOLVED") || !strcmp(type, "CASE_REJECTED")) {
			if (!h->first_response_ms)
				h->first_response_ms = at;
		}
		if (!strcmp(type, "CASE_RESOLVED")) {
			h->resolved_ms = at;
			h->resolved_due_ms = h->resolve_due_ms;
		} else if (!strcmp(type, "CASE_CLOSED")) {
			h->closed_ms = at;
			if (json_is_true(json_object_get(e, "closed_without_feedback")))
				h->flags |= CH_NO_FEEDBACK;
		} else if (!strcmp(type, "CASE_REOPENED")) {
			h->reopen_count++;
			h->resolved_ms = h->resolved_due_ms = h->closed_ms = 0;
			h->flags &= (uint16_t)~CH_NO_FEEDBACK;
		} else if (!strcmp(type, "CASE_REJECTED")) {
			reject = s_js(e, "reject_reason");
			related = s_js(e, "related_case");
		} else if (!strcmp(type, "CASE_MERGED")) {
			related = s_js(e, "related_case");
		} else if (!strcmp(type, "CASE_RATED")) {
			int64_t r = s_ji(e, "rating");
			if (r >= 1 && r <= 5)
				h->rating = (uint8_t)r;
		} else if (!strcmp(type, "CASE_ESCALATED")) {
			h->flags |= CH_ESCALATED;
		}
		if (at > h->updated_ms)
			h->updated_ms = at;
	}
	if (h->state == S(STATE_REJECTED)) {
		h->flags |= CH_REJECTED;
		if (!strcmp(reject, "duplicate") || !strcmp(reject, "spam"))
			h->flags |= CH_EXCLUDED;
	}
	if (h->state == S(STATE_MERGED))
		h->flags |= CH_EXCLUDED;
	if (!strcmp(prio, "sensitive") || json_is_true(json_object_get(doc, "sensitive")))
		h->flags |= CH_SENSITIVE;
	if (!json_is_true(json_object_get(doc, "consent_public")) ||
	    (h->flags & CH_SENSITIVE))
		h->flags |= CH_WITHHELD;
	if (!h->updated_ms)
		h->updated_ms = h->submitted_ms;
	/* derived members of the document; copy first: setting a member frees
	 * the string the pointers above may point into */
	char c_cat[80], c_bld[80], c_code[80], c_prio[40], c_asg[80], c_aname[160],
	    c_apost[300], c_owner[80], c_rel[80];
	snprintf(c_cat, sizeof c_cat, "%s", cat);
	snprintf(c_bld, sizeof c_bld, "%s", bld);
	snprintf(c_code, sizeof c_code, "%s", code);
	snprintf(c_prio, sizeof c_prio, "%s", prio);
	snprintf(c_asg, sizeof c_asg, "%s", assignee);
	snprintf(c_aname, sizeof c_aname, "%s", aname);
	snprintf(c_apost, sizeof c_apost, "%s", apost);
	snprintf(c_owner, sizeof c_owner, "%s", owner);
	snprintf(c_rel, sizeof c_rel, "%s", related);
	cat = c_cat;
	bld = c_bld;
	code = c_code;
	prio = c_prio;
	assignee = c_asg;
	aname = c_aname;
	apost = c_apost;
	owner = c_owner;
	related = c_rel;
	json_object_set_new(doc, "state", json_string(case_state_code(h->state)));
	json_object_set_new(doc, "state_name", json_string(case_state_label(h->state)));
	if (*cat)
		json_object_set_new(doc, "category", json_string(cat));
	if (*bld)
		json_object_set_new(doc, "building", json_string(bld));
	if (*code)
		json_object_set_new(doc, "tracking_code", json_string(code));
	if (*prio)
		json_object_set_new(doc, "priority", json_string(prio));
	char name[256];
	dp_category_name(dp, cat, name, sizeof name);
	json_object_set_new(doc, "category_name", json_string(name));
	dp_building_name(dp, bld, name, sizeof name);
	json_object_set_new(doc, "building_name", json_string(name));
	json_object_set_new(doc, "submitted_ms", json_integer(h->submitted_ms));
	json_t *hd = json_object();
	if (*assignee) {
		json_object_set_new(hd, "staff_id", json_string(assignee));
		json_object_set_new(hd, "name", json_string(aname));
		json_object_set_new(hd, "post", json_string(apost));
	}
	json_object_set_new(doc, "handler", hd);
	json_object_set_new(doc, "owner", *owner ? json_string(owner) : json_null());
	json_object_set_new(doc, "respond_due_ms", json_integer(h->respond_due_ms));
	json_object_set_new(doc, "resolve_due_ms", json_integer(h->resolve_due_ms));
	json_object_set_new(doc, "first_response_ms", json_integer(h->first_response_ms));
	json_object_set_new(doc, "resolved_ms", json_integer(h->resolved_ms));
	json_object_set_new(doc, "closed_ms", json_integer(h->closed_ms));
	json_object_set_new(doc, "rating",
			    h->rating ? json_integer(h->rating) : json_null());
	json_object_set_new(doc, "reopen_count", json_integer(h->reopen_count));
	json_object_set_new(doc, "transfer_count", json_integer(h->transfer_count));
	json_object_set_new(doc, "escalated", json_boolean(h->flags & CH_ESCALATED));
	json_object_set_new(doc, "breached", json_boolean(h->flags & CH_BREACHED));
	json_object_set_new(doc, "closed_without_feedback",
			    json_boolean(h->flags & CH_NO_FEEDBACK));
	json_object_set_new(doc, "related_case",
			    *related ? json_string(related) : json_null());
	json_object_set_new(doc, "withheld", json_boolean(h->flags & CH_WITHHELD));
	f->category = s_js(doc, "category");
	f->building = s_js(doc, "building");
	f->handler = s_js(json_object_get(doc, "handler"), "staff_id");
}

/* ------------------------------------------------------------ writing */

static void s_key_ts(uint8_t *k, size_t *kl, const char *prefix, size_t pl, int64_t ts,
		     const char *id)
{
	size_t idl = strlen(id);
	memcpy(k, prefix, pl);
	qf_be64_put(k + pl, (uint64_t)ts);
	memcpy(k + pl + 8, id, idl);
	*kl = pl + 8 + idl;
}

/* Add (sign +1) or remove (-1) the index keys and counters of a head. */
static int s_index(struct dp *dp, struct qf_txn *t, const struct case_view *v, int sign)
{
	uint8_t k[256];
	size_t kl;
	char p[160];
	int rc;
	const char *id = v->id;
	struct ix {
		MDB_dbi dbi;
		const char *prefix;
		size_t pl;
	};
	size_t cl = strlen(v->category) + 1, bl = strlen(v->building) + 1;
	if (cl > 80 || bl > 80)
		return QF_ERR_INVAL;
	char st = (char)v->h.state;
	const struct ix ix[4] = {{dp->db.by_time, "", 0},
				 {dp->db.by_cat, v->category, cl},
				 {dp->db.by_bld, v->building, bl},
				 {dp->db.by_state, &st, 1}};
	for (int i = 0; i < 4; i++) {
		s_key_ts(k, &kl, ix[i].prefix, ix[i].pl, v->h.submitted_ms, id);
		rc = sign > 0 ? qf_txn_put(t, ix[i].dbi, k, kl, "", 0, 0)
			      : qf_txn_del(t, ix[i].dbi, k, kl);
		if (rc && rc != QF_ERR_NOTFOUND)
			return rc;
	}
	int64_t due = s_next_due(&v->h);
	if (due) {
		s_key_ts(k, &kl, "", 0, due, id);
		rc = sign > 0 ? qf_txn_put(t, dp->db.by_due, k, kl, "", 0, 0)
			      : qf_txn_del(t, dp->db.by_due, k, kl);
		if (rc && rc != QF_ERR_NOTFOUND)
			return rc;
	}
	snprintf(p, sizeof p, "c:%s", v->category);
	if ((rc = dp_count_add(t, dp->db.counts, p, sign)))
		return rc;
	snprintf(p, sizeof p, "b:%s", v->building);
	if ((rc = dp_count_add(t, dp->db.counts, p, sign)))
		return rc;
	snprintf(p, sizeof p, "s:%u", v->h.state);
	if ((rc = dp_count_add(t, dp->db.counts, p, sign)))
		return rc;
	if ((rc = dp_count_add(t, dp->db.counts, "all", sign)))
		return rc;
	if (case_state_open(v->h.state) &&
	    (rc = dp_count_add(t, dp->db.counts, "open", sign)))
		return rc;
	if (v->h.rating && (rc = dp_count_add(t, dp->db.counts, "rated", sign)))
		return rc;
	if (v->h.rating && v->h.rating >= dp->conf->satisfied_min &&
	    (rc = dp_count_add(t, dp->db.counts, "satisfied", sign)))
		return rc;
	return QF_OK;
}

/* The first `chars` characters of valid UTF-8 text, on one line, with an
 * ellipsis when cut. out: n >= 16 bytes. */
static void s_excerpt(const char *d, char *out, size_t n, size_t chars)
{
	size_t tl = 0, k = 0;
	while (d[tl] && k < chars && tl < n - 8) {
		unsigned char c = (unsigned char)d[tl];
		size_t cl = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
		if (tl + cl >= n - 8)
			break;
		for (size_t q = 0; q < cl && d[tl]; q++, tl++)
			out[tl] = (d[tl] == '\n' || d[tl] == '\t') ? ' ' : d[tl];
		k++;
	}
	out[tl] = '\0';
	if (d[tl])
		strcat(out, "…");
}

/* The list summary: the JSON object without its closing brace. */
static char *s_summary(json_t *doc, const struct case_head *h, size_t *len)
{
	json_t *s = json_object();
	json_t *hd = json_object_get(doc, "handler");
	json_object_set(s, "id", json_object_get(doc, "id"));
	json_object_set_new(s, "tracking_code", json_string(s_js(doc, "tracking_code")));
	json_object_set_new(s, "category", json_string(s_js(doc, "category")));
	json_object_set_new(s, "category_name", json_string(s_js(doc, "category_name")));
	json_object_set_new(s, "building", json_string(s_js(doc, "building")));
	json_object_set_new(s, "building_name", json_string(s_js(doc, "building_name")));
	json_object_set_new(s, "state", json_string(case_state_code(h->state)));
	json_object_set_new(s, "state_name", json_string(case_state_label(h->state)));
	/* title: the first 40 characters of the masked description */
	const char *d = (h->flags & CH_WITHHELD) ? "" : s_js(doc, "description");
	char title[200];
	s_excerpt(d, title, sizeof title, 40);
	json_object_set_new(s, "title", json_string(title));
	json_object_set_new(s, "withheld", json_boolean(h->flags & CH_WITHHELD));
	json_object_set_new(s, "submitted_ms", json_integer(h->submitted_ms));
	json_object_set_new(s, "handler_name", json_string(s_js(hd, "name")));
	json_object_set_new(s, "handler_post", json_string(s_js(hd, "post")));
	json_object_set_new(s, "respond_due_ms", json_integer(h->respond_due_ms));
	json_object_set_new(s, "resolve_due_ms", json_integer(h->resolve_due_ms));
	json_object_set_new(s, "resolved_ms", json_integer(h->resolved_ms));
	json_object_set_new(s, "rating",
			    h->rating ? json_integer(h->rating) : json_null());
	json_object_set_new(s, "reopen_count", json_integer(h->reopen_count));
	char *txt = json_dumps(s, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(s);
	if (!txt)
		return NULL;
	*len = strlen(txt);
	if (*len && txt[*len - 1] == '}')
		txt[--*len] = '\0';
	return txt;
}

/* Fold, write document and head, move indexes. `is_new`: no head yet. */
static int s_save(struct dp *dp, struct qf_txn *t, const char *id, json_t *doc,
		  struct case_head *out_head)
{
	int rc;
	struct fold f;
	s_fold(dp, doc, &f);
	if (strlen(f.category) > 64 || strlen(f.building) > 64 || strlen(f.handler) > 64)
		return QF_ERR_INVAL;
	/* remove the old head's index keys */
	MDB_val old;
	if (qf_txn_get(t, dp->db.case_head, id, strlen(id), &old) == QF_OK) {
		struct case_view ov;
		char *copy = malloc(old.mv_size);
		if (!copy)
			return QF_ERR_NOMEM;
		memcpy(copy, old.mv_data, old.mv_size);
		rc = case_view_parse(copy, old.mv_size, id, strlen(id), &ov);
		if (rc == QF_OK)
			rc = s_index(dp, t, &ov, -1);
		free(copy);
		if (rc)
			return rc;
	}
	char *txt = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!txt)
		return QF_ERR_NOMEM;
	rc = qf_txn_put(t, dp->db.case_doc, id, strlen(id), txt, strlen(txt), 0);
	free(txt);
	if (rc)
		return rc;
	size_t sl;
	char *sum = s_summary(doc, &f.h, &sl);
	if (!sum)
		return QF_ERR_NOMEM;
	size_t cl = strlen(f.category) + 1, bl = strlen(f.building) + 1,
	       hl = strlen(f.handler) + 1;
	size_t vl = sizeof f.h + cl + bl + hl + sl;
	uint8_t *v = malloc(vl);
	if (!v) {
		free(sum);
		return QF_ERR_NOMEM;
	}
	uint8_t *p = v;
	memcpy(p, &f.h, sizeof f.h);
	p += sizeof f.h;
	memcpy(p, f.category, cl);
	p += cl;
	memcpy(p, f.building, bl);
	p += bl;
	memcpy(p, f.handler, hl);
	p += hl;
	memcpy(p, sum, sl);
	free(sum);
	rc = qf_txn_put(t, dp->db.case_head, id, strlen(id), v, vl, 0);
	if (rc == QF_OK) {
		struct case_view nv;
		rc = case_view_parse(v, vl, id, strlen(id), &nv);
		if (rc == QF_OK)
			rc = s_index(dp, t, &nv, +1);
	}
	free(v);
	const char *code = s_js(doc, "tracking_code");
	if (rc == QF_OK && *code && dp_id_ok(code))
		rc = qf_txn_put(t, dp->db.by_code, code, strlen(code), id, strlen(id), 0);
	if (out_head)
		*out_head = f.h;
	return rc;
}

/* Load a case document (new reference) or NULL. */
static json_t *s_load(struct dp *dp, struct qf_txn *t, const char *id)
{
	MDB_val v;
	if (qf_txn_get(t, dp->db.case_doc, id, strlen(id), &v) != QF_OK)
		return NULL;
	return json_loadb(v.mv_data, v.mv_size, 0, NULL);
}

static json_t *s_new_doc(const char *id)
{
	json_t *d = json_object();
	json_object_set_new(d, "id", json_string(id));
	json_object_set_new(d, "petition", json_false());
	json_object_set_new(d, "timeline", json_array());
	return d;
}

/* Mask again every free text of the case (with the petitioner's surname or
 * a learned name now known): masking is idempotent, so only what is newly
 * recognisable changes. */
static int s_remask(json_t *doc, const struct qf_mask_opts *mo)
{
	static const char *const fields[] = {"reason", "cause",	  "progress",
					     "result", "comment", NULL};
	static const char *const top[] = {"description", "address", NULL};
	for (int k = 0; top[k]; k++) {
		const char *v = json_string_value(json_object_get(doc, top[k]));
		if (!v)
			continue;
		char *m = qf_mask_text(v, strlen(v), mo);
		if (!m)
			return QF_ERR_NOMEM;
		json_object_set_new(doc, top[k], json_string(m));
		free(m);
	}
	json_t *tl = json_object_get(doc, "timeline");
	size_t i;
	json_t *e;
	json_array_foreach(tl, i, e)
	{
		for (int k = 0; fields[k]; k++) {
			const char *v = json_string_value(json_object_get(e, fields[k]));
			if (!v)
				continue;
			char *m = qf_mask_text(v, strlen(v), mo);
			if (!m)
				return QF_ERR_NOMEM;
			json_object_set_new(e, fields[k], json_string(m));
			free(m);
		}
	}
	return QF_OK;
}

static int s_case_id(const char *a, const char *b, const char **out)
{
	*out = a && *a ? a : b;
	return dp_id_ok(*out);
}

int cases_apply_petition(struct dp *dp, struct qf_txn *t,
			 const Qingfeng__V1__Envelope *env,
			 const Qingfeng__V1__PetitionSubmitted *p)
{
	const char *id;
	if (!s_case_id(p->case_id, env->case_id, &id)) {
		qf_warn("event_skipped",
			"type=PETITION_SUBMITTED reason=bad_case_id seq=%llu",
			(unsigned long long)env->seq);
		return QF_OK;
	}
	json_t *doc = s_load(dp, t, id);
	int existed = doc != NULL;
	if (doc && json_is_true(json_object_get(doc, "petition"))) {
		json_decref(doc);
		qf_warn("event_skipped",
			"type=PETITION_SUBMITTED reason=duplicate case=%s", id);
		return QF_OK;
	}
	if (!doc)
		doc = s_new_doc(id);
	if (!doc)
		return QF_ERR_NOMEM;
	char name[64], phone[40];
	qf_mask_name(p->name_masked, p->anonymous, name, sizeof name);
	qf_mask_phone(p->anonymous ? "" : p->phone_masked, phone, sizeof phone);
	json_object_set_new(doc, "petition", json_true());
	json_object_set_new(doc, "name", json_string(name));
	json_object_set_new(doc, "phone", json_string(phone));
	s_set_id(doc, "tracking_code", p->tracking_code);
	s_set_id(doc, "category", p->category);
	s_set_id(doc, "building", p->building);
	s_set_id(doc, "channel", p->channel);
	json_object_set_new(doc, "anonymous", json_boolean(p->anonymous));
	json_object_set_new(doc, "consent_public", json_boolean(p->consent_public));
	int64_t sub = p->submitted_ms ? p->submitted_ms : env->time_ms;
	json_object_set_new(doc, "submitted_ms", json_integer(sub));
	{
		const struct qf_category *c = NULL;
		pthread_rwlock_rdlock(&dp->community_lock);
		c = qf_community_category(dp->community, p->category ? p->category : "");
		int sensitive = c && c->priority && !strcmp(c->priority, "sensitive");
		pthread_rwlock_unlock(&dp->community_lock);
		if (sensitive)
			json_object_set_new(doc, "sensitive", json_true());
	}
	struct cmask cm;
	int rc;
	if ((rc = s_mask_begin(dp, t, id, doc, &cm)))
		goto out;
	if ((rc = s_set_masked(doc, "description", p->description, &cm.mo)) ||
	    (rc = s_set_masked(doc, "address", p->address, &cm.mo)))
		goto out;
	json_object_set_new(doc, "media", s_media(dp, p->media, p->n_media));
	if (p->has_location && dp->conf->location_decimals > 0 && p->lat >= -90 &&
	    p->lat <= 90 && p->lng >= -180 && p->lng <= 180) {
		double scale = 1;
		for (int i = 0; i < dp->conf->location_decimals; i++)
			scale *= 10;
		json_object_set_new(
		    doc, "location",
		    json_pack("{s:f, s:f}", "lat",
			      (double)(long long)(p->lat * scale) / scale, "lng",
			      (double)(long long)(p->lng * scale) / scale));
	}
	if (existed && (rc = s_remask(doc, &cm.mo)))
		goto out;
	if ((rc = s_mask_end(dp, t, id, doc, &cm)))
		goto out;
	json_t *e = json_object();
	char k[128];
	s_entry_key(env, '0', k, sizeof k);
	json_object_set_new(e, "k", json_string(k));
	json_object_set_new(e, "type", json_string("PETITION_SUBMITTED"));
	json_object_set_new(e, "at_ms", json_integer(sub));
	s_set_id(e, "channel", p->channel);
	if (p->entered_by && p->entered_by->staff_id && *p->entered_by->staff_id) {
		json_t *a = json_object();
		s_set_id(a, "staff_id", p->entered_by->staff_id);
		s_set_clean(a, "name", p->entered_by->name, 32);
		json_object_set_new(e, "entered_by", a);
	}
	s_timeline_insert(doc, e);
	struct case_head h;
	if ((rc = s_save(dp, t, id, doc, &h)))
		goto out;
	if (!existed) {
		json_t *ev =
		    json_pack("{s:s, s:s, s:s, s:s, s:I}", "case_id", id, "tracking_code",
			      s_js(doc, "tracking_code"), "category_name",
			      s_js(doc, "category_name"), "building_name",
			      s_js(doc, "building_name"), "at_ms", (json_int_t)sub);
		if (ev && !(h.flags & CH_WITHHELD)) {
			char title[400];
			s_excerpt(s_js(doc, "description"), title, sizeof title, 60);
			json_object_set_new(ev, "title", json_string(title));
		}
		rc = live_note(dp, t, "case", ev);
	}
out:
	json_decref(doc);
	return rc;
}

static const char *s_reject_code(int r)
{
	switch (r) {
	case QINGFENG__V1__REJECT_REASON__REJECT_DUPLICATE:
		return "duplicate";
	case QINGFENG__V1__REJECT_REASON__REJECT_NOT_OUR_RESPONSIBILITY:
		return "not_ours";
	case QINGFENG__V1__REJECT_REASON__REJECT_SPAM:
		return "spam";
	default:
		return "";
	}
}

static int s_actor(json_t *e, const Qingfeng__V1__Actor *a)
{
	if (!a)
		return QF_OK;
	json_t *o = json_object();
	const char *role = a->role ? a->role : "";
	if (!strcmp(role, "petitioner")) {
		json_object_set_new(o, "name", json_string("诉求人"));
	} else if (!strcmp(role, "system") ||
		   (!*role && !(a->staff_id && *a->staff_id))) {
		json_object_set_new(o, "name", json_string("系统"));
	} else {
		s_set_id(o, "staff_id", a->staff_id);
		s_set_clean(o, "name", a->name, 32);
	}
	if (dp_id_ok(role))
		json_object_set_new(o, "role", json_string(role));
	json_object_set_new(e, "actor", o);
	return QF_OK;
}

int cases_apply_transition(struct dp *dp, struct qf_txn *t,
			   const Qingfeng__V1__Envelope *env,
			   const Qingfeng__V1__CaseTransition *ct)
{
	const char *type = qf_event_type_name(env->type);
	const char *id;
	if (!type || !s_case_id(ct->case_id, env->case_id, &id)) {
		qf_warn("event_skipped", "type=%s reason=bad_case_id seq=%llu",
			type ? type : "?", (unsigned long long)env->seq);
		return QF_OK;
	}
	json_t *doc = s_load(dp, t, id);
	if (!doc)
		doc = s_new_doc(id);
	if (!doc)
		return QF_ERR_NOMEM;
	struct case_head before = {0};
	struct case_view bv;
	if (cases_head(dp, t, id, &bv) == QF_OK)
		before = bv.h;
	struct cmask cm;
	int rc = s_mask_begin(dp, t, id, doc, &cm);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	int sensitive = (ct->priority && !strcmp(ct->priority, "sensitive")) ||
			json_is_true(json_object_get(doc, "sensitive"));
	json_t *e = json_object();
	char k[128];
	s_entry_key(env, '1', k, sizeof k);
	int64_t at = ct->at_ms ? ct->at_ms : env->time_ms;
	json_object_set_new(e, "k", json_string(k));
	json_object_set_new(e, "type", json_string(type));
	json_object_set_new(e, "at_ms", json_integer(at));
	if (ct->from_state > 0 && ct->from_state < (int)NSTATES)
		json_object_set_new(e, "from",
				    json_string(case_state_code(ct->from_state)));
	if (ct->to_state > 0 && ct->to_state < (int)NSTATES)
		json_object_set_new(e, "to", json_string(case_state_code(ct->to_state)));
	s_actor(e, ct->actor);
	s_set_id(e, "assignee", ct->assignee);
	s_set_clean(e, "assignee_name", ct->assignee_name, 32);
	s_set_clean(e, "assignee_post", ct->assignee_post, 64);
	s_set_id(e, "previous_assignee", ct->previous_assignee);
	s_set_id(e, "owner", ct->owner);
	s_set_id(e, "category", ct->category);
	s_set_id(e, "building", ct->building);
	s_set_id(e, "tracking_code", ct->tracking_code);
	s_set_id(e, "priority", ct->priority);
	if (sensitive) {
		json_object_set_new(e, "withheld", json_true());
	} else if ((rc = s_set_masked(e, "reason", ct->reason, &cm.mo)) ||
		   (rc = s_set_masked(e, "cause", ct->cause, &cm.mo)) ||
		   (rc = s_set_masked(e, "progress", ct->progress, &cm.mo)) ||
		   (rc = s_set_masked(e, "result", ct->result, &cm.mo)) ||
		   (rc = s_set_masked(e, "comment", ct->comment, &cm.mo))) {
		json_decref(e);
		json_decref(doc);
		return rc;
	}
	if (*s_reject_code(ct->reject_reason))
		json_object_set_new(e, "reject_reason",
				    json_string(s_reject_code(ct->reject_reason)));
	s_set_id(e, "related_case", ct->related_case);
	if (ct->respond_due_ms > 0)
		json_object_set_new(e, "respond_due_ms",
				    json_integer(ct->respond_due_ms));
	if (ct->resolve_due_ms > 0)
		json_object_set_new(e, "resolve_due_ms",
				    json_integer(ct->resolve_due_ms));
	if (ct->submitted_ms > 0)
		json_object_set_new(e, "submitted_ms", json_integer(ct->submitted_ms));
	if (ct->transfer_count)
		json_object_set_new(e, "transfer_count",
				    json_integer(ct->transfer_count));
	if (env->type == QINGFENG__V1__EVENT_TYPE__CASE_RATED && ct->rating >= 1 &&
	    ct->rating <= 5)
		json_object_set_new(e, "rating", json_integer(ct->rating));
	if (ct->closed_without_feedback)
		json_object_set_new(e, "closed_without_feedback", json_true());
	if (ct->extension_hours)
		json_object_set_new(e, "extension_hours",
				    json_integer(ct->extension_hours));
	if (env->type == QINGFENG__V1__EVENT_TYPE__EXTENSION_DECIDED)
		json_object_set_new(e, "extension_approved",
				    json_boolean(ct->extension_approved));
	s_set_id(e, "escalation_role", ct->escalation_role);
	if (ct->n_media && !sensitive)
		json_object_set_new(e, "media", s_media(dp, ct->media, ct->n_media));
	if (s_timeline_insert(doc, e)) {
		json_decref(doc);
		return QF_OK;
	}
	if ((rc = s_mask_end(dp, t, id, doc, &cm))) {
		json_decref(doc);
		return rc;
	}
	struct case_head h;
	if ((rc = s_save(dp, t, id, doc, &h)) == QF_OK && h.state != before.state) {
		json_t *ev =
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "case_id", id,
			      "tracking_code", s_js(doc, "tracking_code"), "type", type,
			      "label", case_event_label(type), "state_name",
			      case_state_label(h.state), "at_ms", (json_int_t)at);
		if (ev)
			json_object_set_new(
			    ev, "handler_name",
			    json_string(s_js(json_object_get(doc, "handler"), "name")));
		rc = live_note(dp, t, "state", ev);
	}
	json_decref(doc);
	return rc;
}

/* Add a non-transition entry (warning, repeat link) to an existing case or a
 * placeholder. */
static int s_add_entry(struct dp *dp, struct qf_txn *t, const char *id, json_t *e)
{
	json_t *doc = s_load(dp, t, id);
	if (!doc)
		doc = s_new_doc(id);
	if (!doc) {
		json_decref(e);
		return QF_ERR_NOMEM;
	}
	int rc = QF_OK;
	if (!s_timeline_insert(doc, e))
		rc = s_save(dp, t, id, doc, NULL);
	json_decref(doc);
	return rc;
}

int cases_apply_warning(struct dp *dp, struct qf_txn *t,
			const Qingfeng__V1__Envelope *env,
			const Qingfeng__V1__DeadlineWarning *w)
{
	const char *id;
	if (!s_case_id(w->case_id, env->case_id, &id)) {
		qf_warn("event_skipped",
			"type=DEADLINE_WARNING reason=bad_case_id seq=%llu",
			(unsigned long long)env->seq);
		return QF_OK;
	}
	json_t *e = json_object();
	char k[128];
	s_entry_key(env, '1', k, sizeof k);
	int64_t at = w->at_ms ? w->at_ms : env->time_ms;
	const char *kind =
	    w->kind == QINGFENG__V1__DEADLINE_KIND__DEADLINE_RESPOND   ? "respond"
	    : w->kind == QINGFENG__V1__DEADLINE_KIND__DEADLINE_RESOLVE ? "resolve"
								       : "";
	json_object_set_new(e, "k", json_string(k));
	json_object_set_new(e, "type", json_string("DEADLINE_WARNING"));
	json_object_set_new(e, "at_ms", json_integer(at));
	json_object_set_new(e, "kind", json_string(kind));
	json_object_set_new(e, "permille", json_integer(w->permille));
	json_object_set_new(e, "breached", json_boolean(w->breached));
	json_object_set_new(e, "reminder", json_integer(w->reminder));
	if (w->due_ms > 0)
		json_object_set_new(e, "due_ms", json_integer(w->due_ms));
	s_set_id(e, "assignee", w->assignee);
	s_set_id(e, "escalated_to", w->escalated_to);
	s_set_id(e, "category", w->category);
	s_set_id(e, "building", w->building);
	int rc = s_add_entry(dp, t, id, e);
	if (rc)
		return rc;
	char an[128] = "", bn[128] = "";
	dp_staff_name(dp, w->assignee ? w->assignee : "", an, sizeof an);
	dp_building_name(dp, w->building ? w->building : "", bn, sizeof bn);
	json_t *ev =
	    json_pack("{s:s, s:s, s:s, s:i, s:b, s:s, s:s, s:I}", "case_id", id,
		      "tracking_code", w->tracking_code ? w->tracking_code : "", "kind",
		      kind, "permille", (int)w->permille, "breached", (int)w->breached,
		      "assignee_name", an, "building_name", bn, "at_ms", (json_int_t)at);
	return live_note(dp, t, w->breached ? "breach" : "warning", ev);
}

int cases_apply_repeat(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		       const Qingfeng__V1__RepeatLinked *r)
{
	const char *id;
	if (!s_case_id(r->case_id, env->case_id, &id)) {
		qf_warn("event_skipped", "type=REPEAT_LINKED reason=bad_case_id seq=%llu",
			(unsigned long long)env->seq);
		return QF_OK;
	}
	json_t *e = json_object();
	char k[128];
	s_entry_key(env, '1', k, sizeof k);
	json_object_set_new(e, "k", json_string(k));
	json_object_set_new(e, "type", json_string("REPEAT_LINKED"));
	json_object_set_new(e, "at_ms", json_integer(r->at_ms ? r->at_ms : env->time_ms));
	s_set_id(e, "related_case", r->earlier_case_id);
	json_object_set_new(e, "repeat_count", json_integer(r->repeat_count));
	return s_add_entry(dp, t, id, e);
}

/* ------------------------------------------------------------ reading */

int cases_head(struct dp *dp, struct qf_txn *t, const char *id, struct case_view *v)
{
	MDB_val val;
	int rc = qf_txn_get(t, dp->db.case_head, id, strlen(id), &val);
	if (rc)
		return rc;
	return case_view_parse(val.mv_data, val.mv_size, id, strlen(id), v);
}

json_t *cases_doc(struct dp *dp, struct qf_txn *t, const char *id_or_code)
{
	if (!dp_id_ok(id_or_code))
		return NULL;
	json_t *d = s_load(dp, t, id_or_code);
	if (d)
		return d;
	MDB_val v;
	if (qf_txn_get(t, dp->db.by_code, id_or_code, strlen(id_or_code), &v) != QF_OK ||
	    v.mv_size > 64)
		return NULL;
	char id[65];
	memcpy(id, v.mv_data, v.mv_size);
	id[v.mv_size] = '\0';
	return s_load(dp, t, id);
}

uint64_t cases_count(struct dp *dp, struct qf_txn *t, const char *key)
{
	int64_t v = dp_count_get(t, dp->db.counts, key);
	return v > 0 ? (uint64_t)v : 0;
}

uint64_t cases_overdue_count(struct dp *dp, struct qf_txn *t, int64_t now)
{
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), dp->db.by_due, &c))
		return 0;
	uint64_t n = 0;
	MDB_val k, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0 && k.mv_size > 8 && (int64_t)qf_be64_get(k.mv_data) < now) {
		n++;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return n;
}

uint64_t cases_overdue_cached(struct dp *dp, struct qf_txn *t, int64_t now)
{
	int64_t mono = qf_mono_ms();
	pthread_mutex_lock(&dp->cache_lock);
	if (dp->overdue_mono && mono - dp->overdue_mono < 1000) {
		uint64_t v = dp->overdue_val;
		pthread_mutex_unlock(&dp->cache_lock);
		return v;
	}
	pthread_mutex_unlock(&dp->cache_lock);
	uint64_t v = cases_overdue_count(dp, t, now);
	pthread_mutex_lock(&dp->cache_lock);
	dp->overdue_val = v;
	dp->overdue_mono = mono;
	pthread_mutex_unlock(&dp->cache_lock);
	return v;
}

/* Does a head match the filters the chosen index did not apply? */
static int s_match(const struct case_query *q, const struct case_view *v, int64_t now,
		   int *overdue)
{
	*overdue = case_overdue(&v->h, now);
	if (q->category && strcmp(q->category, v->category))
		return 0;
	if (q->building && strcmp(q->building, v->building))
		return 0;
	if (q->handler && strcmp(q->handler, v->handler))
		return 0;
	if (q->state >= 0 && v->h.state != q->state)
		return 0;
	if (q->state == CQ_STATE_OPEN && !case_state_open(v->h.state))
		return 0;
	if (q->state == CQ_STATE_DONE && case_state_open(v->h.state))
		return 0;
	if (q->from_ms && v->h.submitted_ms < q->from_ms)
		return 0;
	if (q->to_ms && v->h.submitted_ms >= q->to_ms)
		return 0;
	if (q->overdue && !*overdue)
		return 0;
	return 1;
}

int cases_query(struct dp *dp, struct qf_txn *t, const struct case_query *q, int64_t now,
		case_each_fn fn, void *arg, uint64_t *total)
{
	uint8_t pre[96], lo[128], hi[128];
	size_t pl = 0;
	MDB_dbi dbi = dp->db.by_time;
	int by_due = 0;
	if (q->overdue) {
		dbi = dp->db.by_due;
		by_due = 1;
	} else if (q->state >= 0) {
		dbi = dp->db.by_state;
		pre[0] = (uint8_t)q->state;
		pl = 1;
	} else if (q->category) {
		dbi = dp->db.by_cat;
		pl = strlen(q->category) + 1;
		if (pl > 80)
			return QF_ERR_INVAL;
		memcpy(pre, q->category, pl);
	} else if (q->building) {
		dbi = dp->db.by_bld;
		pl = strlen(q->building) + 1;
		if (pl > 80)
			return QF_ERR_INVAL;
		memcpy(pre, q->building, pl);
	}
	/* a total from the counters when the index alone decides the set */
	int counted = 0;
	if (total && !q->overdue && !q->from_ms && !q->to_ms && !q->handler) {
		int nf = !!q->category + !!q->building + (q->state != CQ_STATE_ANY);
		char key[128];
		counted = 1;
		if (nf == 0)
			snprintf(key, sizeof key, "all");
		else if (nf == 1 && q->state >= 0)
			snprintf(key, sizeof key, "s:%d", q->state);
		else if (nf == 1 && q->state == CQ_STATE_OPEN)
			snprintf(key, sizeof key, "open");
		else if (nf == 1 && q->category)
			snprintf(key, sizeof key, "c:%s", q->category);
		else if (nf == 1 && q->building)
			snprintf(key, sizeof key, "b:%s", q->building);
		else
			counted = 0;
		if (counted)
			*total = cases_count(dp, t, key);
	}
	/* key range [lo, hi] */
	memcpy(lo, pre, pl);
	memcpy(hi, pre, pl);
	size_t lol = pl, hil = pl;
	if (by_due) {
		qf_be64_put(lo, 0);
		lol = 8;
		qf_be64_put(hi, (uint64_t)now);
		hil = 8;
	} else {
		qf_be64_put(lo + pl, (uint64_t)(q->from_ms > 0 ? q->from_ms : 0));
		lol = pl + 8;
		qf_be64_put(hi + pl, q->to_ms > 0 ? (uint64_t)q->to_ms : UINT64_MAX);
		hil = pl + 8;
	}
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), dbi, &c))
		return QF_ERR_STORE;
	MDB_val k, v;
	int rc;
	/* newest first: start at the last key below hi; overdue: oldest due first */
	if (by_due) {
		k = (MDB_val){lol, lo};
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	} else {
		k = (MDB_val){hil, hi};
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND)
			rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
		else if (rc == 0)
			rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	}
	uint64_t seen = 0, given = 0;
	int stopped = 0;
	while (rc == 0) {
		if (k.mv_size < pl + 8 || memcmp(k.mv_data, pre, pl) != 0)
			break;
		if (by_due) {
			if (memcmp(k.mv_data, hi, 8) >= 0)
				break;
		} else if (memcmp(k.mv_data, lo, lol) < 0) {
			break;
		}
		const char *idp = (const char *)k.mv_data + pl + 8;
		size_t idl = k.mv_size - pl - 8;
		char id[72];
		if (idl < sizeof id) {
			memcpy(id, idp, idl);
			id[idl] = '\0';
			struct case_view cv;
			int overdue;
			if (cases_head(dp, t, id, &cv) == QF_OK &&
			    s_match(q, &cv, now, &overdue)) {
				if (seen >= q->offset &&
				    (!q->limit || given < q->limit) && !stopped) {
					given++;
					if (fn && fn(arg, &cv, overdue))
						stopped = 1;
				}
				seen++;
				/* stop early when the total is known already */
				if ((counted || !total) &&
				    (stopped || (q->limit && given >= q->limit)))
					break;
			}
		}
		rc = mdb_cursor_get(c, &k, &v, by_due ? MDB_NEXT : MDB_PREV);
	}
	mdb_cursor_close(c);
	if (total && !counted)
		*total = seen;
	return QF_OK;
}
