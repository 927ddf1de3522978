/* ntf_api.h: the notifier's HTTP interface: the route table (operators'
 * delivery and dead-letter endpoints, the public follow endpoints) served
 * on the service's port next to /healthz, /readyz and /metrics.
 *
 * Operator endpoints need a staff bearer token whose role is listed in
 * admin.roles; reads go straight to the store, writes (release, pause)
 * through the group-commit writer, answered after the commit.
 */
#ifndef NTF_API_H
#define NTF_API_H

#include <stddef.h>

#include "qf_http.h"

/* The access gate's callbacks (qf_access.h). */
struct qf_access;
struct ntf;
void ntf_api_access(struct ntf *n, struct qf_access *a);
extern const struct qf_http_route ntf_routes[];
extern const size_t ntf_nroutes;

/* /readyz: consumer caught up once and HTTP up. ctx is struct ntf. */
int ntf_api_ready(void *ctx);

#endif
