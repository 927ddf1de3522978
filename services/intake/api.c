/* api.c: intake's HTTP surface: the route table, and what every handler
 * shares (authentication, client address, rate limits, error replies), plus
 * the small read-only endpoints (community lists).
 *
 * Design: the route table is the API's index; each row names the handler
 * module. Body limits are per route: petitions take photos (tens of MiB in
 * base64), everything else a small JSON object. */
#include "intake.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_log.h"
#include "ratelimit.h"
#include "page.h"
#include "web.h"

#define SMALL (256u << 10)
#define J     QF_HTTP_JSON
#define F     QF_HTTP_FORM
#define M     QF_HTTP_MULTIPART

/* max_body 0 rows take the petition limit, filled in by intake_routes.
 * Each route names its action of the access policy (qf_policy.h); the gate
 * answers 401/403/404 from it. Public routes: residents (the tracking
 * secret is their own capability, checked by the handler), Open311 clients
 * and anyone reading. A photo's and a correction's decisions depend on the
 * record: the handler asks the same policy (media.c, disclosure.c). */
#define DISC (4u << 20)
static struct qf_http_route s_routes[] = {
    /* native API: residents */
    {"POST", "/v1/petitions", intake_h_petition, J | F | M, 0, "petitions", "public", NULL},
    {"GET", "/v1/track/:code", intake_h_track_get, 0, 0, "track", "public", NULL},
    {"POST", "/v1/track", intake_h_track_post, J, SMALL, "track", "public", NULL},
    {"POST", "/v1/track/:code/feedback", intake_h_feedback, J, SMALL, "feedback", "public",
     NULL},
    {"POST", "/v1/track/:code/supplements", intake_h_supplement, J | F | M, 0, "supplements",
     "public", NULL},
    {"GET", "/v1/track/:code/export", intake_h_export_get, 0, 0, "export", "public", NULL},
    {"POST", "/v1/track/:code/export", intake_h_export_post, J | F, SMALL, "export",
     "public", NULL},
    {"GET", "/v1/community", intake_h_community, 0, 0, "community", "public", NULL},
    {"GET", "/v1/media/:sha", intake_h_media_get, 0, 0, "media", "public", NULL},
    /* resident web pages (web*.c, page_*.c) */
    {"GET", "/assets/:name", web_h_asset, 0, 0, "assets", "public", NULL},
    {"GET", "/large", web_h_large, 0, 0, "large", "public", NULL},
    {"GET", "/", page_h_start, 0, 0, "page_start", "public", NULL},
    {"POST", "/", page_h_submit, F | M, 0, "page_start", "public", NULL},
    {"GET", "/t", page_h_follow, 0, 0, "page_follow", "public", NULL},
    {"POST", "/t", page_h_follow_post, F, SMALL, "page_follow", "public", NULL},
    {"GET", "/t/:code", page_h_follow, 0, 0, "page_follow", "public", NULL},
    {"POST", "/t/:code", page_h_follow_post, F, SMALL, "page_follow", "public", NULL},
    {"POST", "/t/:code/feedback", page_h_feedback, F, SMALL, "page_feedback", "public",
     NULL},
    {"POST", "/t/:code/supplements", page_h_supplement, F | M, 0, "page_supplements",
     "public", NULL},
    {"GET", "/t/:code/sms", page_h_sms, 0, 0, "page_sms", "public", NULL},
    {"POST", "/t/:code/sms", page_h_sms_post, F, SMALL, "page_sms", "public", NULL},
    {"POST", "/t/:code/sms/confirm", page_h_sms_confirm, F, SMALL, "page_sms", "public",
     NULL},
    {"GET", "/buildings/sms", page_h_sms_buildings, 0, 0, "page_sms", "public", NULL},
    {"GET", "/buildings/:building/sms", page_h_sms, 0, 0, "page_sms", "public", NULL},
    {"POST", "/buildings/:building/sms", page_h_sms_post, F, SMALL, "page_sms", "public",
     NULL},
    {"POST", "/buildings/:building/sms/confirm", page_h_sms_confirm, F, SMALL, "page_sms",
     "public", NULL},
    /* staff */
    {"GET", "/v1/cases", intake_h_cases, 0, 0, "cases", "case.read", NULL},
    {"GET", "/v1/cases/:id", intake_h_case, 0, 0, "case", "case.read", "id"},
    {"POST", "/v1/cases/:id/actions", intake_h_action, J, SMALL, "actions", "case.act",
     "id"},
    {"GET", "/v1/cases/:id/contact", intake_h_contact, 0, 0, "contact", "case.contact",
     "id"},
    {"POST", "/v1/cases/:id/contact", intake_h_contact, J, SMALL, "contact",
     "case.contact", "id"},
    {"GET", "/v1/commands/:id", intake_h_command, 0, 0, "commands", "queue.read", NULL},
    {"POST", "/v1/media", intake_h_media_post, QF_HTTP_ANY, 0, "media", "case.act", NULL},
    {"POST", "/v1/visits", intake_h_visit_post, J, SMALL, "visits", "visit.record", NULL},
    {"GET", "/v1/visits", intake_h_visits_get, 0, 0, "visits", "visit.read", NULL},
    {"POST", "/v1/disclosures/ledger", intake_h_disclosure_ledger, J, DISC, "disclosures",
     "disclosure.ledger", NULL},
    {"POST", "/v1/disclosures/balance", intake_h_disclosure_balance, J, DISC,
     "disclosures", "disclosure.ledger", NULL},
    {"POST", "/v1/disclosures/notice", intake_h_disclosure_notice, J, DISC, "disclosures",
     "disclosure.notice", NULL},
    {"POST", "/v1/disclosures/list", intake_h_disclosure_list, J, DISC, "disclosures",
     "disclosure.list", NULL},
    {"POST", "/v1/disclosures/roster", intake_h_disclosure_roster, J, DISC, "disclosures",
     "disclosure.roster", NULL},
    {"GET", "/v1/disclosures/:id", intake_h_disclosure_get, 0, 0, "disclosures",
     "disclosure.read", NULL},
    /* the record's kind decides who may correct it (disclosure.c) */
    {"POST", "/v1/disclosures/:id/corrections", intake_h_disclosure_correct, J, DISC,
     "disclosures", "disclosure.read", NULL},
    {"GET", "/v1/spam", intake_h_holds_get, 0, 0, "spam", "spam.review", NULL},
    {"POST", "/v1/spam/:id/release", intake_h_hold_release, J, SMALL, "spam", "spam.review",
     NULL},
    {"POST", "/v1/spam/:id/dismiss", intake_h_hold_dismiss, J, SMALL, "spam", "spam.review",
     NULL},
    {"GET", "/v1/dispatch", intake_h_dispatch_list, 0, 0, "dispatch", "dispatch.assign",
     NULL},
    {"POST", "/v1/dispatch/:id", intake_h_dispatch_assign, J, SMALL, "dispatch",
     "dispatch.assign", NULL},
    /* staff workbench pages (staffweb.c): the session cookie or a token */
    {"GET", "/staff/login", intake_h_staff_login_get, 0, 0, "staff", "public", NULL},
    {"POST", "/staff/login", intake_h_staff_login_post, F, SMALL, "staff", "public", NULL},
    {"POST", "/staff/logout", intake_h_staff_logout, F, SMALL, "staff", "self.read", NULL},
    {"GET", "/staff/", intake_h_staff_queue, 0, 0, "staff", "queue.read", NULL},
    {"GET", "/staff/cases/:id", intake_h_staff_case, 0, 0, "staff", "case.read", "id"},
    {"POST", "/staff/cases/:id/act", intake_h_staff_act, F | M, 0, "staff", "case.act",
     "id"},
    {"POST", "/staff/cases/:id/contact", intake_h_staff_contact, F, SMALL, "staff",
     "case.contact", "id"},
    {"GET", "/staff/new", intake_h_staff_new_get, 0, 0, "staff", "case.enter", NULL},
    {"POST", "/staff/new", intake_h_staff_new_post, F | M, 0, "staff", "case.enter", NULL},
    {"GET", "/staff/spam", intake_h_staff_spam, 0, 0, "staff", "spam.review", NULL},
    {"POST", "/staff/spam/:id/release", intake_h_staff_spam_release, F, SMALL, "staff",
     "spam.review", NULL},
    {"POST", "/staff/spam/:id/dismiss", intake_h_staff_spam_dismiss, F, SMALL, "staff",
     "spam.review", NULL},
    {"GET", "/staff/visits", intake_h_staff_visits, 0, 0, "staff", "visit.read", NULL},
    {"POST", "/staff/visits", intake_h_staff_visits_post, F, SMALL, "staff",
     "visit.record", NULL},
    {"GET", "/staff/integrity", intake_h_staff_integrity, 0, 0, "staff", "oversight.read",
     NULL},
    {"GET", "/staff/alerts", intake_h_staff_alerts, 0, 0, "staff", "oversight.read", NULL},
    {"GET", "/staff/accounts", intake_h_staff_accounts_get, 0, 0, "staff",
     "account.manage", NULL},
    {"POST", "/staff/accounts", intake_h_staff_accounts_post, F, SMALL, "staff",
     "account.manage", NULL},
    /* the secretary's pages (staffsec.c) */
    {"GET", "/staff/disclosures", intake_h_staff_disclosures, 0, 0, "staff",
     "disclosure.notice", NULL},
    {"POST", "/staff/disclosures/ledger", intake_h_staff_disclosure_post, F, SMALL,
     "staff", "disclosure.ledger", NULL},
    {"POST", "/staff/disclosures/notice", intake_h_staff_disclosure_post, F, 0, "staff",
     "disclosure.notice", NULL},
    {"POST", "/staff/disclosures/list", intake_h_staff_disclosure_post, F, 0, "staff",
     "disclosure.list", NULL},
    {"POST", "/staff/disclosures/roster", intake_h_staff_disclosure_post, F, SMALL, "staff",
     "disclosure.roster", NULL},
    {"GET", "/staff/extensions", intake_h_staff_extensions, 0, 0, "staff",
     "oversight.read", NULL},
    /* Open311 GeoReport v2 (clients identify with their API key) */
    {"GET", "/open311/discovery.:fmt", intake_h_o311_discovery, 0, 0, "open311", "public",
     NULL},
    {"GET", "/open311/v2/discovery.:fmt", intake_h_o311_discovery, 0, 0, "open311",
     "public", NULL},
    {"GET", "/open311/v2/services.:fmt", intake_h_o311_services, 0, 0, "open311", "public",
     NULL},
    {"GET", "/open311/v2/services/:code", intake_h_o311_service, 0, 0, "open311", "public",
     NULL},
    {"GET", "/open311/v2/requests.:fmt", intake_h_o311_requests_get, 0, 0, "open311",
     "public", NULL},
    {"POST", "/open311/v2/requests.:fmt", intake_h_o311_requests_post, F | M, 0, "open311",
     "public", NULL},
    {"GET", "/open311/v2/requests/:id", intake_h_o311_request_get, 0, 0, "open311",
     "public", NULL},
    {"GET", "/open311/v2/tokens/:token", intake_h_o311_token_get, 0, 0, "open311",
     "public", NULL},
    {"GET", "/open311/v2/servicerequestupdates.:fmt", intake_h_o311_updates_get, 0, 0,
     "open311", "public", NULL},
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

static int s_trusted(const struct intake_strlist *tp, const char *a, size_t l)
{
	for (unsigned i = 0; i < tp->n; i++)
		if (strlen(tp->v[i]) == l && !memcmp(tp->v[i], a, l))
			return 1;
	return 0;
}

int intake_xff_client(const char *peer, const char *xff, const struct intake_strlist *tp,
		      char *out, size_t n)
{
	snprintf(out, n, "%s", peer);
	if (!xff || !s_trusted(tp, peer, strlen(peer)))
		return 0; /* only a trusted proxy's word counts */
	size_t len = strlen(xff);
	if (len > INTAKE_XFF_MAX)
		return -1;
	/* the whole header, from the right: the first address that is not
	   itself a trusted proxy is the client */
	size_t end = len;
	for (;;) {
		size_t start = end;
		while (start > 0 && xff[start - 1] != ',')
			start--;
		size_t a = start, b = end;
		while (a < b && (xff[a] == ' ' || xff[a] == '\t'))
			a++;
		while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'))
			b--;
		char ip[INET6_ADDRSTRLEN + 1];
		unsigned char bin[sizeof(struct in6_addr)];
		if (b == a || b - a >= sizeof ip)
			return -2;
		memcpy(ip, xff + a, b - a);
		ip[b - a] = '\0';
		if (inet_pton(AF_INET, ip, bin) != 1 && inet_pton(AF_INET6, ip, bin) != 1)
			return -2;
		if (!s_trusted(tp, ip, b - a) || start == 0) {
			snprintf(out, n, "%s", ip);
			return 0;
		}
		end = start - 1;
	}
}

int intake_client_addr(struct intake *in, struct qf_http_req *r, char *out, size_t n)
{
	int rc = intake_xff_client(qf_http_client(r), qf_http_header(r, "X-Forwarded-For"),
				   &in->conf->trusted_proxies, out, n);
	if (rc == -1)
		qf_http_reply_error(r, 400, "header_too_long",
				    "X-Forwarded-For 过长", "X-Forwarded-For");
	else if (rc)
		qf_http_reply_error(r, 400, "invalid_forwarded_for",
				    "X-Forwarded-For 中有不是 IP 地址的内容", "X-Forwarded-For");
	return rc ? -1 : 0;
}

int intake_limit_err(struct intake *in, struct qf_http_req *r, struct intake_limiter *l,
		     const void *key, size_t klen, const char *what, struct intake_err *e)
{
	int64_t wait = intake_limiter_take(l, key, klen, qf_mono_ms());
	if (!wait)
		return 0;
	char ra[24];
	snprintf(ra, sizeof ra, "%lld", (long long)((wait + 999) / 1000));
	qf_http_add_header(r, "Retry-After", ra);
	qf_metric_inc(in->m.limited);
	qf_info("rate_limited", "what=%s retry_after_s=%s", what, ra);
	intake_err_set(e, 429, "rate_limited", NULL, "提交过于频繁，请 %s 秒后再试", ra);
	return -1;
}

int intake_limit(struct intake *in, struct qf_http_req *r, struct intake_limiter *l,
		 const void *key, size_t klen, const char *what)
{
	struct intake_err e = {0};
	if (!intake_limit_err(in, r, l, key, klen, what, &e))
		return 0;
	intake_reply_err(r, &e);
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
