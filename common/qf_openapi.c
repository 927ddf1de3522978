/* qf_openapi.c: the OpenAPI 3.1 document of a route table (qf_openapi.h). */
#include "qf_openapi.h"
#include "qf_http.h"

#include <stdio.h>
#include <string.h>

/* "/v1/cases/:id/actions" -> "/v1/cases/{id}/actions"; params get the
 * capture names (at most 8). */
static void s_path(const char *pattern, char *out, size_t n, char names[8][32],
		   unsigned *nnames)
{
	size_t o = 0;
	*nnames = 0;
	for (const char *p = pattern; *p && o + 1 < n;) {
		if (*p == ':' || (*p == '*' && p[1] == '\0')) {
			const char *s = *p == '*' ? "rest" : p + 1;
			size_t l = *p == '*' ? 4 : strcspn(s, "/.");
			if (*nnames < 8)
				snprintf(names[(*nnames)++], 32, "%.*s", (int)l, s);
			o += (size_t)snprintf(out + o, n - o, "{%.*s}", (int)l, s);
			p = *p == '*' ? p + 1 : s + l;
			continue;
		}
		out[o++] = *p++;
	}
	out[o < n ? o : n - 1] = '\0';
}

static json_t *s_problem_ref(const char *what)
{
	return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", what, "content",
			 "application/problem+json", "schema", "$ref",
			 "#/components/schemas/Problem");
}

static json_t *s_operation(const struct qf_http_route *rt, const char names[8][32],
			   unsigned nnames, const char *oid)
{
	int pub = rt->action && !strcmp(rt->action, "public");
	json_t *op = json_pack("{s:s, s:s, s:s}", "operationId", oid, "summary",
			       rt->name ? rt->name : rt->pattern, "x-qingfeng-action",
			       rt->action ? rt->action : "");
	json_t *params = json_array();
	for (unsigned i = 0; i < nnames; i++)
		json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s}}", "name",
							names[i], "in", "path", "required",
							1, "schema", "type", "string"));
	if (nnames)
		json_object_set_new(op, "parameters", params);
	else
		json_decref(params);
	if (rt->accept) {
		json_t *content = json_object();
		if (rt->accept & QF_HTTP_JSON)
			json_object_set_new(content, "application/json", json_object());
		if (rt->accept & QF_HTTP_FORM)
			json_object_set_new(content, "application/x-www-form-urlencoded",
					    json_object());
		if (rt->accept & QF_HTTP_MULTIPART)
			json_object_set_new(content, "multipart/form-data", json_object());
		if (rt->accept & QF_HTTP_ANY)
			json_object_set_new(content, "*/*", json_object());
		json_object_set_new(op, "requestBody",
				    json_pack("{s:o, s:b}", "content", content, "required", 0));
	}
	json_t *resp = json_pack("{s:{s:s}}", "2XX", "description", "success");
	json_object_set_new(resp, "400", s_problem_ref("bad input"));
	json_object_set_new(resp, "404", s_problem_ref("not found, or not the caller's to know of"));
	json_object_set_new(resp, "503", s_problem_ref("temporarily unavailable"));
	if (rt->accept) {
		json_object_set_new(resp, "413", s_problem_ref("body too large"));
		json_object_set_new(resp, "415", s_problem_ref("unsupported content type"));
	}
	if (!pub) {
		json_object_set_new(resp, "401", s_problem_ref("no valid staff token"));
		json_object_set_new(resp, "403", s_problem_ref("the role may never do this"));
		json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
	}
	json_object_set_new(op, "responses", resp);
	return op;
}

json_t *qf_openapi_document(const char *title, const struct qf_http_route *routes,
			    size_t n)
{
	json_t *paths = json_object();
	for (size_t i = 0; i < n; i++) {
		char path[256], names[8][32], oid[300];
		unsigned nnames;
		s_path(routes[i].pattern, path, sizeof path, names, &nnames);
		json_t *item = json_object_get(paths, path);
		if (!item) {
			item = json_object();
			json_object_set_new(paths, path, item);
		}
		char method[8];
		size_t k = 0;
		for (; routes[i].method[k] && k + 1 < sizeof method; k++)
			method[k] = (char)(routes[i].method[k] | 0x20);
		method[k] = '\0';
		/* operation ids: method and path, letters and digits only */
		size_t o = (size_t)snprintf(oid, sizeof oid, "%s", method);
		for (const char *p = path; *p && o + 1 < sizeof oid; p++)
			oid[o++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
					   (*p >= '0' && *p <= '9')
				       ? *p
				       : '_';
		oid[o] = '\0';
		json_object_set_new(item, method, s_operation(&routes[i], names, nnames, oid));
	}
	json_t *problem = json_pack(
	    "{s:s, s:[s,s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:[s,s]}}}",
	    "type", "object", "required", "type", "status", "code", "detail", "properties",
	    "type", "type", "string", "title", "type", "string", "status", "type", "integer",
	    "detail", "type", "string", "code", "type", "string", "field", "type", "string",
	    "null");
	return json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:o}, s:{s:{s:s, s:s}}}}",
			 "openapi", "3.1.0", "info", "title", title ? title : "qingfeng",
			 "version", "1", "description",
			 "Generated from the service's route table; x-qingfeng-action "
			 "names each operation's action of the access policy "
			 "(docs/SECURITY.md).",
			 "paths", paths, "components", "schemas", "Problem", problem,
			 "securitySchemes", "bearer", "type", "http", "scheme", "bearer");
}
