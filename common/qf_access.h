/* qf_access.h: the access gate every service puts in front of its routes.
 *
 * qf_http calls the gate for every routed request before the body is read;
 * the gate reads the route's action (qf_http_action) and case
 * (qf_http_subject), authenticates the staff token, and decides with the
 * policy table (qf_policy.h): 401 without a valid token, 403 when the role
 * may never take the action, 404 when the case is unknown or not the
 * caller's to know of (the same answer, so a hidden case is not
 * confirmed). Handlers then read the caller with qf_access_staff(). Public
 * routes go through too: a valid token, when sent, is attached (a public
 * route may show staff more, through the same policy), and one that does
 * not hold is a 401 there as anywhere.
 *
 * The service supplies its world (community and tokens in force for the
 * request) and how to read a case's facts from its own store. A service
 * with staff pages also supplies its session lookup: a request without an
 * Authorization header is then authenticated by the service's session
 * cookie, into the same struct qf_staff and the same decisions as a bearer
 * token (other services leave it NULL and are unaffected).
 */
#ifndef QF_ACCESS_H
#define QF_ACCESS_H

#include "qf_community.h"
#include "qf_http.h"
#include "qf_policy.h"
#include "qf_tokens.h"

struct qf_access {
	/* The community and tokens in force; both stay valid while a request
	 * that got them runs (services keep retired copies alive). */
	void (*world)(void *svc, const struct qf_community **c,
		      const struct qf_tokens **t);
	/* Fill f for case_id from the service's store: 0, QF_ERR_NOTFOUND, or
	 * another error (answered 503). NULL: the service has no case routes. */
	int (*case_facts)(void *svc, const char *case_id, struct qf_case_facts *f);
	void *svc;
	/* Optional. Authenticate r by the service's own session (called only
	 * when r has no Authorization header): 0 with *s the staff member, or
	 * NULL when r carries no valid session (no cookie, expired, signed
	 * out); non-zero when the function answered r itself (a cross-site
	 * request refused). */
	int (*session)(void *svc, struct qf_http_req *r, const struct qf_community *c,
		       const struct qf_staff **s);
	/* Optional. Answer a denial in the service's own format (an HTML page
	 * for its pages), keeping the status v: 1 when answered, 0 to let the
	 * gate answer as usual. */
	int (*deny)(void *svc, struct qf_http_req *r, enum qf_verdict v);
};

/* The gate (qf_http_opts.gate, with a struct qf_access as gate_ctx). */
int qf_access_gate(void *access, struct qf_http_req *r);
/* The caller the gate authenticated, or NULL (public route, no token). */
const struct qf_staff *qf_access_staff(struct qf_http_req *r);
/* The community the decision was made with (NULL when no staff). */
const struct qf_community *qf_access_community(struct qf_http_req *r);
/* Answer r as the gate answers a denial (401/403/404 with the same bodies),
 * for handlers that decide on rows or on records they load themselves. */
void qf_access_deny(struct qf_http_req *r, enum qf_verdict v);

#endif
