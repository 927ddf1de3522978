/* open311.c: Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2):
 * discovery, service list and definitions from the community's categories,
 * POST requests (form-encoded, api_key from configuration), GET requests
 * with the spec's filters plus page/page_size, GET one request; JSON and
 * XML; errors as the spec's list of {code, description}.
 *
 * Design: every answer is built once as JSON and, for .xml, written as XML
 * by a small generic writer (element names from the JSON keys, list items
 * named by a table: services -> service, ...), escaping &, <, >, " and '.
 * No GET answer carries personal data: descriptions, addresses, coordinates
 * and photos appear only for petitions whose petitioner consented to public
 * display; names and phones never. address_id is the building id. */
#include "intake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "trust.h"
#include "qf_buf.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"

#define SPEC_URL  "http://wiki.open311.org/GeoReport_v2"
#define CHANGESET "2026-01-01T00:00:00+08:00"

/* ------------------------------------------------------------ XML writer */

static const char *s_item_name(const char *list)
{
	static const struct {
		const char *list, *item;
	} t[] = {{"service_requests", "request"},
		 {"services", "service"},
		 {"errors", "error"},
		 {"attributes", "attribute"},
		 {"values", "value"},
		 {"endpoints", "endpoint"},
		 {"formats", "format"},
		 {"service_request_updates", "request_update"}};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!strcmp(t[i].list, list))
			return t[i].item;
	return "item";
}

static void s_xml_value(struct qf_buf *b, const char *name, const json_t *v)
{
	char num[64];
	if (json_is_array(v)) {
		qf_buf_puts(b, "<");
		qf_buf_puts(b, name);
		qf_buf_puts(b, ">");
		size_t i;
		const json_t *x;
		json_array_foreach(v, i, x) { s_xml_value(b, s_item_name(name), x); }
		qf_buf_puts(b, "</");
		qf_buf_puts(b, name);
		qf_buf_puts(b, ">");
		return;
	}
	qf_buf_puts(b, "<");
	qf_buf_puts(b, name);
	qf_buf_puts(b, ">");
	if (json_is_object(v)) {
		const char *k;
		const json_t *x;
		json_object_foreach((json_t *)v, k, x) { s_xml_value(b, k, x); }
	} else if (json_is_string(v)) {
		qf_buf_xml(b, json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
		qf_buf_puts(b, num);
	} else if (json_is_real(v)) {
		snprintf(num, sizeof num, "%.7f", json_real_value(v));
		qf_buf_puts(b, num);
	} else if (json_is_boolean(v)) {
		qf_buf_puts(b, json_is_true(v) ? "true" : "false");
	}
	qf_buf_puts(b, "</");
	qf_buf_puts(b, name);
	qf_buf_puts(b, ">");
}

/* Reply with j (stolen) as JSON or as XML under root. */
static void s_reply(struct qf_http_req *r, int xml, unsigned status, const char *root,
		    json_t *j)
{
	if (!xml) {
		qf_http_reply_json(r, status, j);
		return;
	}
	struct qf_buf b;
	qf_buf_init(&b);
	qf_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>");
	s_xml_value(&b, root, j);
	json_decref(j);
	size_t n;
	char *p = qf_buf_take(&b, &n);
	if (!p) {
		qf_http_reply(r, 500, "text/plain", "out of memory", 13);
		return;
	}
	qf_http_reply_take(r, status, "text/xml; charset=utf-8", p, n);
}

static void s_error(struct qf_http_req *r, int xml, unsigned status, const char *desc)
{
	s_reply(r, xml, status, "errors",
		json_pack("[{s:i, s:s}]", "code", (int)status, "description", desc));
}

void intake_o311_reply(struct qf_http_req *r, int xml, unsigned status, const char *root,
		       json_t *j)
{
	s_reply(r, xml, status, root, j);
}

void intake_o311_error(struct qf_http_req *r, int xml, unsigned status, const char *desc)
{
	s_error(r, xml, status, desc);
}

/* Split "name.fmt": 0 json, 1 xml, -1 neither (name into out). */
static int s_fmt(const char *p, char *out, size_t n)
{
	const char *dot = strrchr(p, '.');
	if (!dot)
		return -1;
	if ((size_t)(dot - p) >= n)
		return -1;
	memcpy(out, p, (size_t)(dot - p));
	out[dot - p] = '\0';
	if (!strcmp(dot + 1, "json"))
		return 0;
	if (!strcmp(dot + 1, "xml"))
		return 1;
	return -1;
}

static int s_fmt_param(struct qf_http_req *r, const char *name)
{
	const char *f = qf_http_param(r, name);
	if (f && !strcmp(f, "json"))
		return 0;
	if (f && !strcmp(f, "xml"))
		return 1;
	qf_http_reply_json(r, 404,
			   json_pack("[{s:i, s:s}]", "code", 404, "description",
				     "format must be .json or .xml"));
	return -1;
}

int intake_o311_fmt(struct qf_http_req *r) { return s_fmt_param(r, "fmt"); }

/* Common gate: Open311 enabled, jurisdiction matches. */
int intake_o311_gate(struct intake *in, struct qf_http_req *r, int xml)
{
	if (!in->conf->o311_enabled) {
		s_error(r, xml, 404, "Open311 is not enabled on this server");
		return -1;
	}
	const char *j = qf_http_query(r, "jurisdiction_id");
	if (j && *j && strcmp(j, in->conf->o311_jurisdiction)) {
		s_error(r, xml, 404, "jurisdiction_id not found");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ discovery */

void intake_h_o311_discovery(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	int xml = s_fmt_param(r, "fmt");
	if (xml < 0 || intake_o311_gate(in, r, xml))
		return;
	char url[512];
	snprintf(url, sizeof url, "%s/open311/v2", in->conf->o311_base_url);
	json_t *d =
	    json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:[ss]}]}", "changeset",
		      CHANGESET, "contact", in->conf->o311_contact, "key_service",
		      "api_key 由社区居委会发放，请联系社区", "endpoints",
		      "specification", SPEC_URL, "url", url, "changeset", CHANGESET,
		      "type", "production", "formats", "text/xml", "application/json");
	s_reply(r, xml, 200, "discovery", d);
}

/* ------------------------------------------------------------ services */

static json_t *s_service(const struct qf_community *c, const struct qf_category *cat)
{
	char desc[256];
	snprintf(desc, sizeof desc, "%s：%d 小时内响应，%d 小时内办结", cat->name,
		 cat->respond_h, cat->resolve_h);
	(void)c;
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "service_code", cat->code,
			 "service_name", cat->name, "description", desc, "metadata", 1,
			 "type", "realtime", "keywords", cat->priority, "group",
			 cat->disclosure_query ? "公开事项" : "居民诉求");
}

void intake_h_o311_services(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	int xml = s_fmt_param(r, "fmt");
	if (xml < 0 || intake_o311_gate(in, r, xml))
		return;
	const struct qf_community *c = intake_world_get(in)->community;
	json_t *arr = json_array();
	for (unsigned i = 0; i < c->ncategories; i++)
		json_array_append_new(arr, s_service(c, &c->categories[i]));
	s_reply(r, xml, 200, "services", arr);
}

static json_t *s_yesno(const char *code, const char *desc, int order)
{
	return json_pack(
	    "{s:b, s:s, s:s, s:b, s:s, s:i, s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "variable",
	    1, "code", code, "datatype", "singlevaluelist", "required", 0,
	    "datatype_description", "true 或 false", "order", order, "description", desc,
	    "values", "key", "true", "name", "是", "key", "false", "name", "否");
}

void intake_h_o311_service(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	char code[80];
	int xml = s_fmt(qf_http_param(r, "code"), code, sizeof code);
	if (xml < 0) {
		s_error(r, 0, 404, "format must be .json or .xml");
		return;
	}
	if (intake_o311_gate(in, r, xml))
		return;
	const struct qf_community *c = intake_world_get(in)->community;
	const struct qf_category *cat = qf_community_category(c, code);
	if (!cat) {
		s_error(r, xml, 404, "service_code not found");
		return;
	}
	json_t *attrs = json_array();
	json_array_append_new(attrs,
			      s_yesno("consent_public", "是否同意公开展示诉求内容", 1));
	json_array_append_new(attrs, s_yesno("anonymous", "是否匿名（不公开姓名）", 2));
	if (!strcmp(cat->code, "integrity_report")) {
		json_t *vals = json_array();
		for (unsigned i = 0; i < c->nstaff; i++) {
			char name[200];
			snprintf(name, sizeof name, "%s（%s）", c->staff[i].name,
				 c->staff[i].post);
			json_array_append_new(
			    vals,
			    json_pack("{s:s, s:s}", "key", c->staff[i].id, "name", name));
		}
		json_array_append_new(
		    attrs, json_pack("{s:b, s:s, s:s, s:b, s:s, s:i, s:s, s:o}",
				     "variable", 1, "code", "concerns_staff", "datatype",
				     "singlevaluelist", "required", 0,
				     "datatype_description", "工作人员编号", "order", 3,
				     "description", "被反映的工作人员", "values", vals));
	}
	s_reply(r, xml, 200, "service_definition",
		json_pack("{s:s, s:o}", "service_code", cat->code, "attributes", attrs));
}

/* ------------------------------------------------------------ requests */

const char *intake_o311_status(const char *state)
{
	return state && !intake_state_open(state) ? "closed" : "open";
}

static void s_time(const struct qf_community *c, json_t *o, const char *k, int64_t ms)
{
	char b[40];
	if (ms > 0)
		json_object_set_new(
		    o, k, json_string(qf_time_fmt(ms, c->utc_offset_min, b, sizeof b)));
	else
		json_object_set_new(o, k, json_null());
}

/* One case as a GeoReport request: what the events' public parts show of
 * it, decided as qf_privacy decides them (the case's consent and
 * sensitivity against the fields' visibility words): text, address,
 * coordinates and photo only with consent ([consent]), masked with the
 * case's names; building and handler only when the case is not sensitive
 * ([nonsensitive]); the status note as made from the router's public part. */
static json_t *s_request(struct intake *in, struct qf_txn *t, const json_t *rec)
{
	const struct qf_community *c = intake_world_get(in)->community;
	const char *cat = json_string_value(json_object_get(rec, "category"));
	const struct qf_category *cc = cat ? qf_community_category(c, cat) : NULL;
	struct qf_privacy pc;
	char key[64];
	intake_case_privacy(in, rec, &pc, key, sizeof key);
	int pub = qf_privacy_shows(QF_VIS_CONSENT, &pc);
	int nonsensitive = qf_privacy_shows(QF_VIS_NONSENSITIVE, &pc);
	const char *bld =
		nonsensitive ? json_string_value(json_object_get(rec, "building")) : NULL;
	const struct qf_building *bb = bld ? qf_community_building(c, bld) : NULL;
	const char *st = json_string_value(json_object_get(rec, "state"));
	const char *notes = json_string_value(json_object_get(rec, "status_notes_public"));
	const char *an = json_string_value(json_object_get(rec, "assignee_name"));
	const char *ap = json_string_value(json_object_get(rec, "assignee_post"));
	char agency[256] = "";
	if (nonsensitive && an && *an)
		snprintf(agency, sizeof agency, "%s%s%s%s", an, ap && *ap ? "（" : "",
			 ap ? ap : "", ap && *ap ? "）" : "");
	struct intake_mask mask;
	intake_mask_case(in, t, rec, &mask);
	char *desc = intake_mask_text(
		&mask, pub ? json_string_value(json_object_get(rec, "description")) : "");
	if (!desc)
		return NULL;
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "service_request_id",
	    json_string_value(json_object_get(rec, "id")), "status",
	    intake_o311_status(st), "status_notes", notes ? notes : "", "service_name",
	    cc ? cc->name : "", "service_code", cat ? cat : "", "description",
	    desc ? desc : "", "agency_responsible", agency, "service_notice", "");
	free(desc);
	if (!o)
		return NULL;
	s_time(c, o, "requested_datetime",
	       json_integer_value(json_object_get(rec, "submitted_ms")));
	s_time(c, o, "updated_datetime",
	       json_integer_value(json_object_get(rec, "updated_ms")));
	s_time(c, o, "expected_datetime",
	       json_integer_value(json_object_get(rec, "resolve_due_ms")));
	/* the building unless the case is sensitive (the board shows it); the
	   address text only with consent, since it may name a home */
	char *addr = pub ? intake_mask_text(&mask,
					    json_string_value(json_object_get(rec, "address")))
			 : NULL;
	char address[512];
	snprintf(address, sizeof address, "%s%s%s", bb ? bb->name : "", addr ? " " : "",
		 addr ? addr : "");
	free(addr);
	json_object_set_new(o, "address", json_string(address));
	json_object_set_new(o, "address_id", json_string(bld ? bld : ""));
	json_object_set_new(o, "zipcode", json_string(""));
	json_t *lat = json_object_get(rec, "lat"), *lng = json_object_get(rec, "lng");
	if (pub && lat && lng) {
		json_object_set(o, "lat", lat);
		json_object_set(o, "long", lng);
	} else {
		json_object_set_new(o, "lat", json_null());
		json_object_set_new(o, "long", json_null());
	}
	const char *media = NULL;
	char murl[700] = "";
	json_t *m0 = json_array_get(json_object_get(rec, "media"), 0);
	if (pub && m0) {
		const char *sha = json_string_value(json_object_get(m0, "sha256"));
		if (sha) {
			snprintf(murl, sizeof murl, "%s/v1/media/%s",
				 in->conf->o311_base_url, sha);
			media = murl;
		} else {
			media = json_string_value(json_object_get(m0, "url"));
		}
	}
	/* null, not "": the GeoReport schema's media_url is a URI or null */
	json_object_set_new(o, "media_url", media ? json_string(media) : json_null());
	return o;
}

struct req_query {
	struct intake *in;
	char ids[20][40];
	unsigned nids;
	char codes[16][40];
	unsigned ncodes;
	int want_open, want_closed;
	int64_t start, end;
	long page, page_size;
	json_t *out;
};

static int s_csv(const char *s, char (*out)[40], unsigned max, size_t w, unsigned *n)
{
	*n = 0;
	while (s && *s) {
		const char *c = strchr(s, ',');
		size_t l = c ? (size_t)(c - s) : strlen(s);
		if (*n >= max || l >= w)
			return -1;
		memcpy(out[*n], s, l);
		out[*n][l] = '\0';
		if (l)
			(*n)++;
		s = c ? c + 1 : NULL;
	}
	return 0;
}

/* Milliseconds encoded in a sortable id after its one-letter prefix. */
static int64_t s_id_ms(const char *id, size_t len)
{
	if (len < 11)
		return -1;
	int64_t ms = 0;
	for (int i = 1; i <= 10; i++) {
		const char *p = strchr(intake_crockford, id[i]);
		if (!p || !id[i])
			return -1;
		ms = ms * 32 + (p - intake_crockford);
	}
	return ms;
}

static int s_match(const struct req_query *q, const json_t *rec)
{
	if (q->ncodes) {
		const char *cat = json_string_value(json_object_get(rec, "category"));
		int ok = 0;
		for (unsigned i = 0; cat && i < q->ncodes && !ok; i++)
			ok = !strcmp(cat, q->codes[i]);
		if (!ok)
			return 0;
	}
	const char *st =
	    intake_o311_status(json_string_value(json_object_get(rec, "state")));
	if (!strcmp(st, "open") ? !q->want_open : !q->want_closed)
		return 0;
	int64_t sub = json_integer_value(json_object_get(rec, "submitted_ms"));
	return sub >= q->start && sub <= q->end;
}

static int s_requests_read(struct qf_txn *t, void *arg)
{
	struct req_query *q = arg;
	struct intake *in = q->in;
	if (q->nids) {
		for (unsigned i = 0; i < q->nids; i++) {
			json_t *rec = intake_case_get(in, t, q->ids[i]);
			if (rec)
				json_array_append_new(q->out, s_request(in, t, rec));
			json_decref(rec);
		}
		return QF_OK;
	}
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), in->db.cases, &c))
		return QF_ERR_STORE;
	MDB_val k, v;
	long skip = (q->page - 1) * q->page_size;
	int rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	while (rc == 0 && (long)json_array_size(q->out) < q->page_size) {
		int64_t ms = s_id_ms(k.mv_data, k.mv_size);
		/* ids sort by creation time: nothing older can match. A day of
		   slack covers clock differences between replicas. */
		if (ms >= 0 && ms < q->start - 86400000)
			break;
		json_t *rec = intake_rec_parse(in, t, &intake_rec_case, k.mv_data, k.mv_size,
					       v.mv_data, v.mv_size);
		if (rec && s_match(q, rec)) {
			if (skip > 0)
				skip--;
			else
				json_array_append_new(q->out, s_request(in, t, rec));
		}
		json_decref(rec);
		rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	}
	mdb_cursor_close(c);
	return QF_OK;
}

static int s_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void intake_h_o311_requests_get(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	int xml = s_fmt_param(r, "fmt");
	if (xml < 0 || intake_o311_gate(in, r, xml))
		return;
	const struct qf_community *c = intake_world_get(in)->community;
	struct req_query q = {.in = in, .want_open = 1, .want_closed = 1, .page = 1};
	q.page_size = in->conf->o311_max_page < 100 ? in->conf->o311_max_page : 100;
	const char *ids = qf_http_query(r, "service_request_id");
	const char *codes = qf_http_query(r, "service_code");
	const char *status = qf_http_query(r, "status");
	const char *sd = qf_http_query(r, "start_date"),
		   *ed = qf_http_query(r, "end_date");
	const char *page = qf_http_query(r, "page"), *ps = qf_http_query(r, "page_size");
	if (s_csv(ids, q.ids, 20, 40, &q.nids)) {
		s_error(r, xml, 400, "service_request_id: at most 20 ids");
		return;
	}
	if (s_csv(codes, q.codes, 16, 40, &q.ncodes)) {
		s_error(r, xml, 400, "service_code: at most 16 codes");
		return;
	}
	if (status) {
		q.want_open = strstr(status, "open") != NULL;
		q.want_closed = strstr(status, "closed") != NULL;
		if (!q.want_open && !q.want_closed) {
			s_error(r, xml, 400, "status must be open, closed or both");
			return;
		}
	}
	int64_t now = qf_now_ms(in->clock);
	q.end = now + 86400000;
	q.start = now - 90LL * 86400000;
	if (ed && qf_time_parse(ed, c->utc_offset_min, &q.end)) {
		s_error(r, xml, 400,
			"end_date must be a w3c datetime (2026-01-31T00:00:00+08:00)");
		return;
	}
	if (sd && qf_time_parse(sd, c->utc_offset_min, &q.start)) {
		s_error(r, xml, 400, "start_date must be a w3c datetime");
		return;
	}
	if (sd && !ed)
		q.end = now + 86400000;
	if (ed && !sd)
		q.start = q.end - 90LL * 86400000;
	if (q.start > q.end) {
		s_error(r, xml, 400, "start_date is after end_date");
		return;
	}
	if ((page && s_long(page, 1, 1000000, &q.page)) ||
	    (ps && s_long(ps, 1, in->conf->o311_max_page, &q.page_size))) {
		char m[120];
		snprintf(m, sizeof m, "page must be >= 1 and page_size 1..%d",
			 in->conf->o311_max_page);
		s_error(r, xml, 400, m);
		return;
	}
	q.out = json_array();
	intake_read(in, s_requests_read, &q);
	s_reply(r, xml, 200, "service_requests", q.out);
}

void intake_h_o311_request_get(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	char id[64];
	int xml = s_fmt(qf_http_param(r, "id"), id, sizeof id);
	if (xml < 0) {
		s_error(r, 0, 404, "format must be .json or .xml");
		return;
	}
	if (intake_o311_gate(in, r, xml))
		return;
	struct req_query q = {.in = in, .nids = 1, .page = 1, .page_size = 1};
	q.out = json_array();
	if (strlen(id) < sizeof q.ids[0]) {
		memcpy(q.ids[0], id, strlen(id) + 1);
		intake_read(in, s_requests_read, &q);
	}
	if (!json_array_size(q.out)) {
		json_decref(q.out);
		s_error(r, xml, 404, "service_request_id not found");
		return;
	}
	s_reply(r, xml, 200, "service_requests", q.out);
}

/* ------------------------------------------------------------ POST */

static const struct intake_api_key *s_api_client(struct intake *in, const char *key)
{
	if (!key || !*key || strlen(key) > 256)
		return NULL;
	uint8_t h[32];
	crypto_hash_sha256(h, (const uint8_t *)key, strlen(key));
	const struct intake_api_key *found = NULL;
	for (unsigned i = 0; i < in->conf->o311_keys.n; i++)
		if (sodium_memcmp(h, in->conf->o311_keys.k[i].sha256, 32) == 0)
			found = &in->conf->o311_keys.k[i];
	return found;
}

static int s_has_cjk(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* The Open311 form as the native petition object. */
static json_t *s_to_petition(json_t *f, struct intake_err *e)
{
	json_t *p = json_object();
	const char *v;
#define F(k) json_string_value(json_object_get(f, k))
	json_object_set_new(p, "channel", json_string("open311"));
	if ((v = F("service_code")))
		json_object_set_new(p, "category", json_string(v));
	if ((v = F("address_id")) && *v)
		json_object_set_new(p, "building", json_string(v));
	const char *addr = F("address_string");
	json_object_set_new(p, "address",
			    json_string(addr && *addr ? addr : "（未填写地址）"));
	if ((v = F("description")))
		json_object_set_new(p, "description", json_string(v));
	const char *fn = F("first_name"), *ln = F("last_name");
	char name[200] = "";
	if ((fn && *fn) || (ln && *ln)) {
		if ((fn && s_has_cjk(fn)) || (ln && s_has_cjk(ln)))
			snprintf(name, sizeof name, "%s%s", ln ? ln : "", fn ? fn : "");
		else
			snprintf(name, sizeof name, "%s%s%s", fn ? fn : "",
				 fn && ln ? " " : "", ln ? ln : "");
		json_object_set_new(p, "name", json_string(name));
	}
	if ((v = F("phone")) && *v)
		json_object_set_new(p, "phone", json_string(v));
	if ((v = F("email")) && *v)
		json_object_set_new(p, "email", json_string(v));
	const char *anon = F("attribute[anonymous]");
	json_object_set_new(p, "anonymous",
			    json_boolean((anon && !strcmp(anon, "true")) || !name[0]));
	const char *cons = F("attribute[consent_public]");
	json_object_set_new(p, "consent_public",
			    json_boolean(cons && !strcmp(cons, "true")));
	if ((v = F("attribute[concerns_staff]")) && *v)
		json_object_set_new(p, "concerns_staff", json_string(v));
	const char *lat = F("lat"), *lng = F("long");
	if (lat && lng && *lat && *lng) {
		char *e1, *e2;
		double a = strtod(lat, &e1), o = strtod(lng, &e2);
		if (*e1 || *e2) {
			json_decref(p);
			intake_err_set(e, 400, "invalid_location", "lat",
				       "lat/long must be numbers");
			return NULL;
		}
		json_object_set_new(p, "lat", json_real(a));
		json_object_set_new(p, "lng", json_real(o));
	}
	if ((v = F("media_url")) && *v)
		json_object_set_new(p, "media", json_pack("[s]", v));
#undef F
	/* no address_id: the building comes from lat/long or address_string,
	   or the petition waits for the dispatcher (answered with a token) */
	return p;
}

void intake_o311_reply_submit(struct qf_http_req *r, enum intake_reply_fmt fmt,
			      unsigned status, const char *answer,
			      const struct intake_err *err)
{
	int xml = fmt == INTAKE_FMT_O311_XML;
	json_t *a = answer ? json_loads(answer, 0, NULL) : NULL;
	if (status == 201 && a) {
		/* accepted without a building: the spec's token instead of the
		   service_request_id, which the token answers once the
		   dispatcher assigned the building */
		const char *token = json_string_value(json_object_get(a, "dispatch_id"));
		const char *secret = json_string_value(json_object_get(a, "secret"));
		json_t *o = json_pack(
		    "[{s:s, s:s, s:n, s:s, s:s}]", token ? "token" : "service_request_id",
		    token ? token : json_string_value(json_object_get(a, "case_id")),
		    "service_notice",
		    token ? "已受理，正在确认所在楼栋后分派；可凭 token 查询受理编号"
			  : "已受理，可凭 tracking_code 和 tracking_secret 查询进展",
		    "account_id", "tracking_code",
		    json_string_value(json_object_get(a, "tracking_code")),
		    "tracking_secret", secret ? secret : "");
		json_decref(a);
		s_reply(r, xml, 201, "service_requests", o);
		return;
	}
	char desc[512];
	if (a) {
		/* a stored refusal (spam hold) */
		snprintf(desc, sizeof desc, "%s: %s (tracking_code %s)",
			 json_string_value(json_object_get(a, "code")) ?: "error",
			 json_string_value(json_object_get(a, "message")) ?: "",
			 json_string_value(json_object_get(a, "tracking_code")) ?: "");
		json_decref(a);
		s_error(r, xml, status ? status : 422, desc);
		return;
	}
	snprintf(desc, sizeof desc, "%s%s%s: %s", err && err->code ? err->code : "error",
		 err && err->field[0] ? " " : "", err ? err->field : "",
		 err ? err->message : "");
	s_error(r, xml, err && err->status ? err->status : 500, desc);
}

void intake_h_o311_requests_post(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	int xml = s_fmt_param(r, "fmt");
	if (xml < 0 || intake_o311_gate(in, r, xml))
		return;
	struct intake_form form;
	struct intake_err e = {0};
	intake_form_init(&form);
	if (intake_form_read_raw(r, &form, (uint64_t)in->conf->max_media_bytes,
				 (unsigned)in->conf->max_media, &e)) {
		intake_form_free(&form);
		intake_o311_reply_submit(
		    r, xml ? INTAKE_FMT_O311_XML : INTAKE_FMT_O311_JSON, 0, NULL, &e);
		return;
	}
	const struct intake_api_key *client =
	    s_api_client(in, json_string_value(json_object_get(form.fields, "api_key")));
	if (!client) {
		intake_form_free(&form);
		s_error(r, xml, 403, "api_key is missing or invalid");
		return;
	}
	const char *jid =
	    json_string_value(json_object_get(form.fields, "jurisdiction_id"));
	if (jid && *jid && strcmp(jid, in->conf->o311_jurisdiction)) {
		intake_form_free(&form);
		s_error(r, xml, 404, "jurisdiction_id not found");
		return;
	}
	struct intake_idem idem;
	if (intake_idem_from_request(r, "open311", &idem)) {
		intake_form_free(&form);
		return;
	}
	json_t *p = s_to_petition(form.fields, &e);
	struct intake_petition pet;
	enum intake_reply_fmt fmt = xml ? INTAKE_FMT_O311_XML : INTAKE_FMT_O311_JSON;
	if (!p) {
		intake_form_free(&form);
		intake_o311_reply_submit(r, fmt, 0, NULL, &e);
		return;
	}
	const struct intake_world *w = intake_world_get(in);
	struct intake_petition_opts po = {w->community, (unsigned)in->conf->max_media,
					  (uint64_t)in->conf->max_media_bytes, 1,
					  (double)in->conf->locate_within_m};
	int rc = intake_petition_decode(p, form.uploads, form.nuploads, &po, &pet, &e);
	json_decref(p);
	intake_form_free(&form);
	if (rc) {
		/* name the Open311 field, not ours */
		static const struct {
			const char *ours, *theirs;
		} map[] = {{"category", "service_code"},  {"building", "address_id"},
			   {"address", "address_string"}, {"lng", "long"},
			   {"media", "media_url"},	  {"name", "first_name"}};
		for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
			if (!strcmp(e.field, map[i].ours))
				snprintf(e.field, sizeof e.field, "%s", map[i].theirs);
		qf_metric_inc(in->m.invalid);
		intake_o311_reply_submit(r, fmt, 0, NULL, &e);
		return;
	}
	/* a trusted client's own links are not spam (trust.h) */
	char *spam_text = NULL;
	if (client->trusted && client->nhosts && pet.description &&
	    !(spam_text =
		  intake_trust_strip(pet.description, client->hosts, client->nhosts))) {
		intake_petition_free(&pet);
		s_error(r, xml, 500, "out of memory");
		return;
	}
	struct intake_sub_opts so = {
	    .fmt = fmt, .client = client->client, .idem = &idem, .spam_text = spam_text};
	intake_submit(in, r, &pet, &so);
	free(spam_text);
}

/* ------------------------------------------------------------ tokens */

struct token_read {
	struct intake *in;
	const char *id;
	json_t *rec;
};

static int s_token_read(struct qf_txn *t, void *arg)
{
	struct token_read *tr = arg;
	tr->rec = intake_rec_get(tr->in, t, tr->in->db.holds, tr->id, strlen(tr->id),
				 &intake_rec_hold);
	return QF_OK;
}

/* GET tokens/<token>.<fmt>: the service_request_id of a request accepted
 * without a building, once the dispatcher assigned it (null until then).
 * Only dispatch entries are tokens: a spam hold is never found here. */
void intake_h_o311_token_get(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	char id[64];
	int xml = s_fmt(qf_http_param(r, "token"), id, sizeof id);
	if (xml < 0) {
		s_error(r, 0, 404, "format must be .json or .xml");
		return;
	}
	if (intake_o311_gate(in, r, xml))
		return;
	struct token_read tr = {in, id, NULL};
	if (id[0] == 'H' && strlen(id) < 40)
		intake_read(in, s_token_read, &tr);
	const char *st = json_string_value(json_object_get(tr.rec, "status"));
	const char *cid = json_string_value(json_object_get(tr.rec, "case_id"));
	if (!st || (strcmp(st, "unlocated") && strcmp(st, "dispatched"))) {
		json_decref(tr.rec);
		s_error(r, xml, 404, "token not found");
		return;
	}
	json_t *o = json_pack("[{s:s, s:s?}]", "token", id, "service_request_id",
			      !strcmp(st, "dispatched") ? cid : NULL);
	json_decref(tr.rec);
	s_reply(r, xml, 200, "service_requests", o);
}
