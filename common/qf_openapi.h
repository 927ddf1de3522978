/* qf_openapi.h: a service's OpenAPI 3.1 document, made from its route
 * table: the one place routes are declared is also what is published.
 *
 * Each route becomes an operation: its path (":id" -> "{id}", a final "*"
 * -> "{rest}"), path parameters, the request body types it accepts, its
 * access-policy action (x-qingfeng-action, with the bearer security scheme
 * unless the action is "public"), and the common answers: its success,
 * 400/401/403/404/413/415/429/503 as RFC 9457 problem objects. Every
 * service serves it at GET /openapi.json (qf_http).
 */
#ifndef QF_OPENAPI_H
#define QF_OPENAPI_H

#include <jansson.h>
#include <stddef.h>

struct qf_http_route;

/* The document (new reference), or NULL when out of memory. title: the
 * service ("qingfeng intake"). */
json_t *qf_openapi_document(const char *title, const struct qf_http_route *routes,
			    size_t n);

#endif
