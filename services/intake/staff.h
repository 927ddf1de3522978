/* staff.h: staff sign-in for intake's pages: accounts with passwords,
 * sessions by cookie, CSRF tokens (staffauth.c), and the workbench pages
 * built on them (staffweb.c).
 *
 * Ownership: records live in intake's store (databases intake.account and
 * intake.session); nothing here keeps state in memory but the settings and
 * a dummy hash made at open. Every write goes through the group commit. */
#ifndef INTAKE_STAFF_H
#define INTAKE_STAFF_H

#include <stddef.h>
#include <stdint.h>

#include "qf_http.h"
#include "qf_policy.h"

struct intake;
struct qf_community;
struct qf_staff;

/* staff.* settings (main.c's table says the bounds). */
struct intake_staff_conf {
	int pwhash_ops;	       /* Argon2id passes (crypto_pwhash opslimit) */
	int pwhash_mem_kib;    /* Argon2id memory in KiB */
	int max_failures;      /* failed sign-ins before the account locks */
	int lock_min;	       /* how long it stays locked */
	int idle_min;	       /* a session unused this long ends */
	int max_h;	       /* a session ends this long after sign-in */
	char *bootstrap_staff; /* first account: staff id, or "" */
	char *bootstrap_hash;  /* its Argon2id hash (qf-intake --hash-password) */
};

#define INTAKE_SESSION_COOKIE "qf_staff"
#define INTAKE_PW_MIN	      10 /* characters (bytes) */
#define INTAKE_PW_MAX	      128
/* the default Argon2id limits (staff.pwhash_*), used by --hash-password */
#define INTAKE_PWHASH_OPS     3
#define INTAKE_PWHASH_MEM_KIB 65536

/* The session of a request (from its cookie). */
struct intake_session {
	char staff[64];
	char csrf[65];	 /* hex, the per-session form token */
	uint8_t key[32]; /* sha256 of the cookie's id: the record's key */
};

/* ------------------------------------------------------------ staffauth.c */
/* At open: the dummy hash (unknown users cost as much as known ones) and
 * the bootstrap account, created when absent. 0 or an error (logged). */
int intake_staff_open(struct intake *in);
/* Hash a password with the configured Argon2id limits into out
 * (crypto_pwhash_STRBYTES). 0 or QF_ERR_NOMEM (out of memory for the
 * hash's memory limit). */
int intake_staff_hash(int ops, int mem_kib, const char *pw, char *out);
/* The session of r, checked against the store (expiry, the account's
 * generation): 0 with *s filled, or QF_ERR_NOTFOUND. Refreshes the idle
 * time now and then (a write queued, not waited for). */
int intake_session_get(struct intake *in, struct qf_http_req *r,
		       struct intake_session *s);
/* Delete sessions past their idle or absolute end (at most max), in write
 * transaction t (intake's periodic sweep); returns the count. */
struct qf_txn;
int intake_session_sweep(struct intake *in, struct qf_txn *t, int64_t now, unsigned max);
/* Does token match the session's CSRF token (constant time)? */
int intake_csrf_ok(const struct intake_session *s, const char *token);
/* Is r from this site? 1 when its Origin (or Sec-Fetch-Site) is absent or
 * same-origin (the request's Host, or open311.base_url), 0 when cross-site. */
int intake_same_origin(struct intake *in, struct qf_http_req *r);
/* The gate's callbacks (struct qf_access.session and .deny). */
int intake_session_gate(void *svc, struct qf_http_req *r, const struct qf_community *c,
			const struct qf_staff **s);
int intake_staff_deny(void *svc, struct qf_http_req *r, enum qf_verdict v);

/* Sign in: checks the password (or a dummy when the account is unknown or
 * locked) on the calling thread, then records the attempt and, when it
 * holds, a new session in one commit; done(arg, ok, cookie) runs after the
 * commit with the Set-Cookie value, or ok 0 (one generic failure for an
 * unknown user, a wrong password, a locked account). 0 when queued, or an
 * error (the caller answers). */
typedef void (*intake_login_done)(void *arg, struct qf_http_req *r, int ok,
				  const char *set_cookie);
int intake_login(struct intake *in, struct qf_http_req *r, const char *staff_id,
		 const char *password, intake_login_done done, void *arg);
/* Sign out: the session is deleted; done as above with ok 1 and the
 * cookie that clears it. */
int intake_logout(struct intake *in, struct qf_http_req *r,
		  const struct intake_session *s, intake_login_done done, void *arg);
/* Set (create or reset) the password of staff_id: a new hash, failures and
 * lock cleared, the account's generation bumped so its sessions end. 0
 * when queued (done: ok 1 on commit), or an error. */
int intake_account_set(struct intake *in, struct qf_http_req *r, const char *staff_id,
		       const char *password, const char *by, intake_login_done done,
		       void *arg);
/* The state of staff_id's account: 0 none, 1 active, 2 locked now. */
int intake_account_state(struct intake *in, const char *staff_id);

/* ------------------------------------------------------------ staffweb.c */
/* The workbench frame (on web.h's shell): open a page (b initialised here)
 * with the staff nav and, when csrf is given, the sign-out form; send it
 * (takes b). A hidden field with the session's CSRF token. */
struct qf_buf;
struct web_page;
void intake_staff_page_begin(struct qf_buf *b, struct web_page *p, struct qf_http_req *r,
			     const char *title, const struct qf_staff *who,
			     const char *csrf);
void intake_staff_page_send(struct qf_http_req *r, unsigned status,
			    const struct web_page *p, struct qf_buf *b);
/* A list page opened (intake_staff_page_begin with the session's sign-out
 * form): a hint (trusted HTML), the empty message (trusted HTML) when n is
 * 0, and an open <ul class="q"> the caller fills and closes. */
void intake_staff_list_begin(struct intake *in, struct qf_buf *b, struct web_page *p,
			     struct qf_http_req *r, const char *title,
			     const struct qf_staff *who, const char *hint,
			     const char *empty, size_t n);
void intake_staff_csrf_field(struct qf_buf *b, const char *csrf);
/* The CSRF check of a state-changing page request (form fields f, member
 * "csrf"): 0, or answered 403. s gets the session (staff "" for a
 * bearer-token caller: a token is never sent by a browser on its own, so
 * there is no CSRF to check). */
struct intake_session;
int intake_staff_csrf_check(struct intake *in, struct qf_http_req *r, const json_t *f,
			    struct intake_session *s);
/* A page with one message (an error: 403, 404, 400 ...) and the way back. */
void intake_staff_message(struct qf_http_req *r, unsigned status, const char *title,
			  const char *msg);
void intake_h_staff_login_get(struct qf_http_req *r, void *ctx);
void intake_h_staff_login_post(struct qf_http_req *r, void *ctx);
void intake_h_staff_logout(struct qf_http_req *r, void *ctx);
void intake_h_staff_queue(struct qf_http_req *r, void *ctx);
void intake_h_staff_case(struct qf_http_req *r, void *ctx);
void intake_h_staff_act(struct qf_http_req *r, void *ctx);
void intake_h_staff_contact(struct qf_http_req *r, void *ctx);
void intake_h_staff_accounts_get(struct qf_http_req *r, void *ctx);
void intake_h_staff_accounts_post(struct qf_http_req *r, void *ctx);
/* ------------------------------------------------------------ staffentry.c */
/* GET /staff/new: the counter, phone and patrol entry form; POST: the
 * petition through POST /v1/petitions' path (entered_by: the person), then
 * the printable receipt for the resident (page_receipt_reply). */
void intake_h_staff_new_get(struct qf_http_req *r, void *ctx);
void intake_h_staff_new_post(struct qf_http_req *r, void *ctx);
/* A labelled input (type "textarea" for one) or select, the value kept
 * from f, the error when it is the field's tied to it (web.h). */
struct intake_err;
void intake_staff_input(struct qf_buf *b, const char *field, const char *label,
			const char *type, const json_t *f, const struct intake_err *e);
void intake_staff_select(struct qf_buf *b, const char *field, const char *label,
			 const char *const *codes, const char *const *names, unsigned n,
			 const json_t *f, const struct intake_err *e);
/* ------------------------------------------------------------ staffspam.c */
/* GET /staff/spam: the held submissions; POST /staff/spam/:id/release and
 * /dismiss: the decisions through the paths of POST /v1/spam/:id/... */
void intake_h_staff_spam(struct qf_http_req *r, void *ctx);
void intake_h_staff_spam_release(struct qf_http_req *r, void *ctx);
void intake_h_staff_spam_dismiss(struct qf_http_req *r, void *ctx);
/* ------------------------------------------------------------ staffsup.c */
/* GET /staff/visits: this month's visit log, the household count against
 * the quota; POST: record a visit through POST /v1/visits' path. GET
 * /staff/integrity: the integrity reports the person may read. */
void intake_h_staff_visits(struct qf_http_req *r, void *ctx);
void intake_h_staff_visits_post(struct qf_http_req *r, void *ctx);
void intake_h_staff_integrity(struct qf_http_req *r, void *ctx);
/* ------------------------------------------------------------ alerts.c */
/* GET /staff/alerts: the audit's alerts the policy lets the person see,
 * newest first. */
void intake_h_staff_alerts(struct qf_http_req *r, void *ctx);
/* ------------------------------------------------------------ staffsec.c */
/* GET /staff/disclosures: the secretary's entry forms (ledger, notice,
 * list, roster) and what was entered through this intake; POST
 * /staff/disclosures/:kind: one record through POST /v1/disclosures/<kind>'s
 * path. GET /staff/extensions: cases with a pending extension request and
 * the approve and refuse forms (to /staff/cases/:id/act). */
void intake_h_staff_disclosures(struct qf_http_req *r, void *ctx);
void intake_h_staff_disclosure_post(struct qf_http_req *r, void *ctx);
void intake_h_staff_extensions(struct qf_http_req *r, void *ctx);
/* The sign-in page with a status (the gate's 401 for pages). */
void intake_staff_login_page(struct intake *in, struct qf_http_req *r, unsigned status,
			     const char *notice, const char *staff_id, int failed);

#endif
