/* api.c: intake's HTTP surface: the route table, and what every handler
 * shares (authentication, client address, rate limits, error replies), plus
 * the small read-only endpoints (community lists).
 *
 * Design: the route table is the API's index; each row names the handler
 * module. Body limits are per route: petitions take photos (tens of MiB in
 * base64), everything else a small JSON object. */
#include "intake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_log.h"
#include "ratelimit.h"

#define SMALL (256u << 10)
#define J     QF_HTTP_JSON
#define F     QF_HTTP_FORM
#define M     QF_HTTP_MULTIPART

/* max_body 0 rows take the petition limit, filled in by intake_routes */
static struct qf_http_route s_routes[] = {
    /* native API */
    {"POST", "/v1/petitions", intake_h_petition, J | F | M, 0, "petitions"},
    {"GET", "/v1/track/:code", intake_h_track_get, 0, 0, "track"},
    {"POST", "/v1/track", intake_h_track_post, J, SMALL, "track"},
    {"POST", "/v1/track/:code/feedback", intake_h_feedback, J, SMALL, "feedback"},
    {"GET", "/v1/track/:code/export", intake_h_export_get, 0, 0, "export"},
    {"POST", "/v1/track/:code/export", intake_h_export_post, J | F, SMALL, "export"},
    {"GET", "/v1/cases", intake_h_cases, 0, 0, "cases"},
    {"GET", "/v1/cases/:id", intake_h_case, 0, 0, "case"},
    {"POST", "/v1/cases/:id/actions", intake_h_action, J, SMALL, "actions"},
    {"GET", "/v1/cases/:id/contact", intake_h_contact, 0, 0, "contact"},
    {"POST", "/v1/cases/:id/contact", intake_h_contact, J, SMALL, "contact"},
    {"GET", "/v1/commands/:id", intake_h_command, 0, 0, "commands"},
    {"POST", "/v1/media", intake_h_media_post, QF_HTTP_ANY, 0, "media"},
    {"GET", "/v1/media/:sha", intake_h_media_get, 0, 0, "media"},
    {"POST", "/v1/visits", intake_h_visit_post, J, SMALL, "visits"},
    {"GET", "/v1/visits", intake_h_visits_get, 0, 0, "visits"},
    {"POST", "/v1/disclosures", intake_h_disclosure_post, J, 4u << 20, "disclosures"},
    {"GET", "/v1/disclosures/:id", intake_h_disclosure_get, 0, 0, "disclosures"},
    {"POST", "/v1/disclosures/:id/corrections", intake_h_disclosure_correct, J, 4u << 20,
     "disclosures"},
    {"GET", "/v1/spam", intake_h_holds_get, 0, 0, "spam"},
    {"POST", "/v1/spam/:id/release", intake_h_hold_release, J, SMALL, "spam"},
    {"POST", "/v1/spam/:id/dismiss", intake_h_hold_dismiss, J, SMALL, "spam"},
    {"GET", "/v1/community", intake_h_community, 0, 0, "community"},
    /* Open311 GeoReport v2 */
    {"GET", "/open311/discovery.:fmt", intake_h_o311_discovery, 0, 0, "open311"},
    {"GET", "/open311/v2/discovery.:fmt", intake_h_o311_discovery, 0, 0, "open311"},
    {"GET", "/open311/v2/services.:fmt", intake_h_o311_services, 0, 0, "open311"},
    {"GET", "/open311/v2/services/:code", intake_h_o311_service, 0, 0, "open311"},
    {"GET", "/open311/v2/requests.:fmt", intake_h_o311_requests_get, 0, 0, "open311"},
    {"POST", "/open311/v2/requests.:fmt", intake_h_o311_requests_post, F | M, 0,
     "open311"},
    {"GET", "/open311/v2/requests/:id", intake_h_o311_request_get, 0, 0, "open311"},
};

void intake_routes_print(FILE *out)
{
	qf_http_routes_print(s_routes, sizeof s_routes / sizeof s_routes[0], out);
}

const struct qf_http_route *intake_routes(struct intake *in, size_t *n)
{
	for (size_t i = 0; i < sizeof s_routes / sizeof s_routes[0]; i++)
		if (s_routes[i].accept && !s_routes[i].max_body)
			s_routes[i].max_body = (size_t)in->conf->petition_max_body;
	*n = sizeof s_routes / sizeof s_routes[0];
	return s_routes;
}

void intake_reply_err(struct qf_http_req *r, const struct intake_err *e)
{
	qf_http_reply_error(
	    r, e->status ? e->status : 500, e->code ? e->code : "internal",
	    e->message[0] ? e->message : "服务器内部错误", e->field[0] ? e->field : NULL);
}

int intake_queue(struct intake *in, struct qf_http_req *r, struct qf_gc_job *job)
{
	qf_http_suspend(r);
	int rc = qf_gc_submit(in->gc, job);
	if (rc)
		qf_http_reply_error(r, 503, "unavailable", "服务正在停止，请稍后重试", NULL);
	return rc;
}

json_t *intake_body_json(struct qf_http_req *r) { return qf_http_json_body(r); }

const struct qf_staff *intake_auth(struct intake *in, struct qf_http_req *r,
				   const char *const *roles)
{
	const struct intake_world *w = intake_world_get(in);
	const char *h = qf_http_header(r, "Authorization");
	const struct qf_staff *s = qf_tokens_auth(w->tokens, w->community, h);
	if (!s) {
		qf_http_add_header(r, "WWW-Authenticate", "Bearer realm=\"qingfeng\"");
		qf_http_reply_error(
		    r, 401, h ? "invalid_token" : "missing_token",
		    h ? "身份令牌无效"
		      : "需要工作人员身份令牌（Authorization: Bearer ...）",
		    "Authorization");
		return NULL;
	}
	if (roles) {
		for (const char *const *p = roles; *p; p++)
			if (!strcmp(*p, s->role))
				return s;
		qf_http_reply_error(r, 403, "forbidden_role", "您的岗位无权进行此操作",
				    NULL);
		return NULL;
	}
	return s;
}

void intake_client_addr(struct intake *in, struct qf_http_req *r, char *out, size_t n)
{
	const char *peer = qf_http_client(r);
	snprintf(out, n, "%s", peer);
	const struct intake_strlist *tp = &in->conf->trusted_proxies;
	int trusted = 0;
	for (unsigned i = 0; i < tp->n && !trusted; i++)
		trusted = !strcmp(tp->v[i], peer);
	if (!trusted)
		return;
	const char *xff = qf_http_header(r, "X-Forwarded-For");
	if (!xff)
		return;
	/* the rightmost address not itself a trusted proxy */
	char buf[512];
	snprintf(buf, sizeof buf, "%s", xff);
	for (;;) {
		char *comma = strrchr(buf, ',');
		char *a = comma ? comma + 1 : buf;
		while (*a == ' ')
			a++;
		size_t l = strlen(a);
		while (l && a[l - 1] == ' ')
			a[--l] = '\0';
		int is_proxy = 0;
		for (unsigned i = 0; i < tp->n && !is_proxy; i++)
			is_proxy = !strcmp(tp->v[i], a);
		if (!is_proxy || !comma) {
			if (*a && l < 64)
				snprintf(out, n, "%s", a);
			return;
		}
		*comma = '\0';
	}
}

int intake_limit(struct intake *in, struct qf_http_req *r, struct intake_limiter *l,
		 const void *key, size_t klen, const char *what)
{
	int64_t wait = intake_limiter_take(l, key, klen, qf_mono_ms());
	if (!wait)
		return 0;
	char ra[24];
	snprintf(ra, sizeof ra, "%lld", (long long)((wait + 999) / 1000));
	qf_http_add_header(r, "Retry-After", ra);
	qf_metric_inc(in->m.limited);
	qf_info("rate_limited", "what=%s retry_after_s=%s", what, ra);
	char msg[160];
	snprintf(msg, sizeof msg, "提交过于频繁，请 %s 秒后再试", ra);
	qf_http_reply_error(r, 429, "rate_limited", msg, NULL);
	return -1;
}

json_t *intake_actor_json(const struct qf_staff *s)
{
	return json_pack("{s:s, s:s, s:s}", "staff_id", s->id, "role", s->role, "name",
			 s->name);
}

int intake_emit(struct intake *in, struct qf_txn *t, int type, const char *key,
		const char *case_id, const char *correlation, const ProtobufCMessage *msg,
		const struct qf_privacy *pc)
{
	return intake_emit_for(in, t, type, key, case_id, correlation, msg, pc, NULL);
}

int intake_emit_for(struct intake *in, struct qf_txn *t, int type, const char *key,
		    const char *case_id, const char *correlation,
		    const ProtobufCMessage *msg, const struct qf_privacy *pc, json_t *rec)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return QF_ERR_NOMEM;
	protobuf_c_message_pack(msg, buf);
	struct qf_bus_event ev = {.type = (Qingfeng__V1__EventType)type,
				  .partition_key = key,
				  .case_id = case_id,
				  .correlation_id = correlation,
				  .payload = buf,
				  .payload_len = len};
	uint32_t part;
	uint64_t seq;
	uint8_t eid[16];
	int rc = qf_privacy_emit_event(in->prod, t, &ev, pc, &part, &seq, eid);
	sodium_memzero(buf, len);
	free(buf);
	if (!rc && rec)
		rc = intake_case_event_add(rec, type, part, seq, eid);
	return rc;
}

void intake_case_privacy(struct intake *in, const json_t *rec, struct qf_privacy *pc,
			 char *key, size_t n)
{
	const char *bld = rec ? json_string_value(json_object_get(rec, "building")) : NULL;
	pc->consent = rec && json_is_true(json_object_get(rec, "consent_public"));
	/* a case this replica cannot read, or of an unknown category, is
	   treated as the strictest */
	pc->sensitive = intake_case_sensitive(in, rec);
	pc->mask = NULL;
	snprintf(key, n, "%s", qf_privacy_partition_key(bld ? bld : "", pc->sensitive));
}

/* GET /v1/community: what a petition form needs (no staff phones). */
void intake_h_community(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const struct qf_community *c = intake_world_get(in)->community;
	json_t *cats = json_array(), *blds = json_array();
	for (unsigned i = 0; i < c->ncategories; i++)
		json_array_append_new(
		    cats, json_pack("{s:s, s:s, s:i, s:i, s:s}", "code",
				    c->categories[i].code, "name", c->categories[i].name,
				    "respond_within_h", c->categories[i].respond_h,
				    "resolve_within_h", c->categories[i].resolve_h,
				    "priority", c->categories[i].priority));
	for (unsigned i = 0; i < c->nbuildings; i++)
		json_array_append_new(blds,
				      json_pack("{s:s, s:s}", "id", c->buildings[i].id,
						"name", c->buildings[i].name));
	qf_http_add_header(r, "Cache-Control", "public, max-age=300");
	qf_http_reply_json(r, 200,
			   json_pack("{s:s, s:s, s:o, s:o, s:[ssssss]}", "code", c->code,
				     "name", c->name, "categories", cats, "buildings",
				     blds, "channels", "app", "web", "counter", "patrol",
				     "phone", "open311"));
}
