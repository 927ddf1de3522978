/* qf_tokens.h: staff bearer tokens, stored only as SHA-256 hashes.
 *
 * The tokens file (libconfig) maps hashes to staff ids of the community
 * file; the staff member's role comes from there. Intake and router both
 * authenticate staff with it. Comparison is constant-time (libsodium).
 *
 *   tokens = ( { staff = "s01"; sha256 = "<64 hex>"; note = "..."; }, ... );
 */
#ifndef QF_TOKENS_H
#define QF_TOKENS_H

#include "qf_cfg.h"
#include "qf_community.h"

struct qf_tokens;

/* Load and check (hex form, known staff ids). Returns 0 or QF_ERR_CONFIG
 * with every problem in errs. *out is the caller's (qf_tokens_free). */
int qf_tokens_load(const char *file, const struct qf_community *c,
		   struct qf_tokens **out, struct qf_cfg_errors *errs);
void qf_tokens_free(struct qf_tokens **t);
/* Authenticate an Authorization header ("Bearer <token>"). Returns the staff
 * member (owned by c) or NULL when the header is missing, malformed or the
 * token unknown. */
const struct qf_staff *qf_tokens_auth(const struct qf_tokens *t,
				      const struct qf_community *c,
				      const char *authorization);
/* SHA-256 of a token as 64 hex characters + NUL (for tools and tests). */
void qf_tokens_hash(const char *token, char out[65]);

#endif
