/* staffauth.c: staff accounts, sign-in and sessions (staff.h).
 *
 * Passwords are Argon2id hashes made by libsodium's crypto_pwhash_str with
 * the limits of staff.pwhash_ops and staff.pwhash_mem_kib (docs/SECURITY.md
 * says why those); the hash string carries its own limits, so verifying
 * never depends on the settings, and a hash made with other limits is
 * replaced at the next good sign-in. Hashing runs on the HTTP worker that
 * took the request, never on the writer: only the attempt's outcome (the
 * failure count, the lock, the new session) is written, in one commit.
 *
 * Sessions: the cookie holds 32 random bytes (hex); the store keeps only
 * their SHA-256, so a copy of the store signs nobody in. A session ends
 * staff.idle_min after its last use, staff.max_h after sign-in, at sign-out,
 * or when its account's password is set again (the account's generation).
 * Each session has its own CSRF token, put in every form of the pages. */
#include "intake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qf_err.h"
#include "qf_log.h"

#define TOUCH_MS 60000 /* the idle time is refreshed at most this often */

static char s_dummy[crypto_pwhash_STRBYTES];

int intake_staff_hash(int ops, int mem_kib, const char *pw, char *out)
{
	if (crypto_pwhash_str(out, pw, strlen(pw), (unsigned long long)ops,
			      (size_t)mem_kib * 1024u))
		return QF_ERR_NOMEM;
	return QF_OK;
}

static int s_account_put(struct intake *in, struct qf_txn *t, const char *id, json_t *acc)
{
	return intake_json_put(t, in->db.accounts, id, strlen(id), acc, 0);
}

static int s_bootstrap(struct qf_txn *t, void *arg)
{
	struct intake *in = arg;
	const struct intake_staff_conf *sc = &in->conf->staff;
	json_t *acc = intake_json_get(t, in->db.accounts, sc->bootstrap_staff,
				      strlen(sc->bootstrap_staff));
	if (acc) {
		json_decref(acc);
		return QF_OK; /* never overwrite: the setting only starts a deployment */
	}
	acc =
	    json_pack("{s:s, s:i, s:i, s:I, s:I, s:s}", "hash", sc->bootstrap_hash, "gen",
		      1, "failures", 0, "locked_until_ms", (json_int_t)0, "set_ms",
		      (json_int_t)qf_now_ms(in->clock), "set_by", "bootstrap");
	int rc = acc ? s_account_put(in, t, sc->bootstrap_staff, acc) : QF_ERR_NOMEM;
	json_decref(acc);
	return rc;
}

int intake_staff_open(struct intake *in)
{
	const struct intake_staff_conf *sc = &in->conf->staff;
	uint8_t junk[16];
	char pw[33];
	randombytes_buf(junk, sizeof junk);
	sodium_bin2hex(pw, sizeof pw, junk, sizeof junk);
	if (intake_staff_hash(sc->pwhash_ops, sc->pwhash_mem_kib, pw, s_dummy)) {
		qf_error("pwhash_failed",
			 "detail=\"out of memory for staff.pwhash_mem_kib\"");
		return QF_ERR_NOMEM;
	}
	if (!sc->bootstrap_staff[0])
		return QF_OK;
	if (!qf_community_staff(intake_world_get(in)->community, sc->bootstrap_staff) ||
	    strncmp(sc->bootstrap_hash, crypto_pwhash_argon2id_STRPREFIX,
		    strlen(crypto_pwhash_argon2id_STRPREFIX))) {
		qf_error("config_error",
			 "detail=\"staff.bootstrap_staff must be a staff id of "
			 "the community file and staff.bootstrap_hash an Argon2id "
			 "hash (qf-intake --hash-password)\"");
		return QF_ERR_CONFIG;
	}
	int rc = qf_store_write(in->store, s_bootstrap, in);
	if (!rc)
		qf_info("staff_bootstrap", "staff=%s", sc->bootstrap_staff);
	return rc;
}

/* ------------------------------------------------------------ requests */

/* The session id of r's cookie (32 bytes), or -1. */
static int s_cookie_id(struct qf_http_req *r, uint8_t id[32])
{
	const char *h = qf_http_header(r, "Cookie");
	const char *name = INTAKE_SESSION_COOKIE "=";
	size_t nl = strlen(name);
	for (const char *p = h; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *e = strchr(p, ';');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == nl + 64 && !strncmp(p, name, nl)) {
			size_t bin;
			if (!sodium_hex2bin(id, 32, p + nl, 64, NULL, &bin, NULL) &&
			    bin == 32)
				return 0;
			return -1;
		}
		p += l;
	}
	return -1;
}

struct session_read {
	struct intake *in;
	struct intake_session *s;
	int64_t now, seen;
	int ok;
};

static int s_session_read(struct qf_txn *t, void *arg)
{
	struct session_read *sr = arg;
	struct intake *in = sr->in;
	const struct intake_staff_conf *sc = &in->conf->staff;
	json_t *sess = intake_json_get(t, in->db.sessions, sr->s->key, 32);
	const char *staff = json_string_value(json_object_get(sess, "staff"));
	const char *csrf = json_string_value(json_object_get(sess, "csrf"));
	int64_t created = json_integer_value(json_object_get(sess, "created_ms"));
	sr->seen = json_integer_value(json_object_get(sess, "seen_ms"));
	json_t *acc =
	    staff ? intake_json_get(t, in->db.accounts, staff, strlen(staff)) : NULL;
	sr->ok = staff && csrf && acc &&
		 sr->now - created < (int64_t)sc->max_h * 3600000 &&
		 sr->now - sr->seen < (int64_t)sc->idle_min * 60000 &&
		 json_integer_value(json_object_get(acc, "gen")) ==
		     json_integer_value(json_object_get(sess, "gen"));
	if (sr->ok) {
		snprintf(sr->s->staff, sizeof sr->s->staff, "%s", staff);
		snprintf(sr->s->csrf, sizeof sr->s->csrf, "%s", csrf);
	}
	json_decref(sess);
	json_decref(acc);
	return QF_OK;
}

struct touch_job {
	struct qf_gc_job job;
	struct intake *in;
	uint8_t key[32];
	int64_t now;
};

static int s_touch_apply(struct qf_txn *t, void *arg)
{
	struct touch_job *j = arg;
	json_t *sess = intake_json_get(t, j->in->db.sessions, j->key, 32);
	if (!sess)
		return QF_OK; /* signed out meanwhile */
	json_object_set_new(sess, "seen_ms", json_integer(j->now));
	int rc = intake_json_put(t, j->in->db.sessions, j->key, 32, sess, 0);
	json_decref(sess);
	return rc;
}

static void s_free_done(void *arg, int rc)
{
	(void)rc;
	free(arg);
}

int intake_session_get(struct intake *in, struct qf_http_req *r, struct intake_session *s)
{
	uint8_t id[32];
	memset(s, 0, sizeof *s);
	if (s_cookie_id(r, id))
		return QF_ERR_NOTFOUND;
	crypto_hash_sha256(s->key, id, sizeof id);
	struct session_read sr = {in, s, qf_now_ms(in->clock), 0, 0};
	if (intake_read(in, s_session_read, &sr) || !sr.ok)
		return QF_ERR_NOTFOUND;
	if (sr.now - sr.seen >= TOUCH_MS) {
		struct touch_job *j = calloc(1, sizeof *j);
		if (j) {
			j->in = in;
			memcpy(j->key, s->key, 32);
			j->now = sr.now;
			j->job =
			    (struct qf_gc_job){s_touch_apply, s_free_done, j, 0, NULL};
			if (qf_gc_submit(in->gc, &j->job))
				free(j);
		}
	}
	return QF_OK;
}

int intake_session_sweep(struct intake *in, struct qf_txn *t, int64_t now, unsigned max)
{
	const struct intake_staff_conf *sc = &in->conf->staff;
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), in->db.sessions, &c))
		return 0;
	MDB_val k, v;
	int n = 0, rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0 && (unsigned)n < max) {
		json_t *sess = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		int64_t created = json_integer_value(json_object_get(sess, "created_ms"));
		int64_t seen = json_integer_value(json_object_get(sess, "seen_ms"));
		json_decref(sess);
		if (now - created >= (int64_t)sc->max_h * 3600000 ||
		    now - seen >= (int64_t)sc->idle_min * 60000) {
			if (mdb_cursor_del(c, 0))
				break;
			n++;
		}
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return n;
}

int intake_csrf_ok(const struct intake_session *s, const char *token)
{
	return token && strlen(token) == 64 && s->csrf[0] &&
	       sodium_memcmp(token, s->csrf, 64) == 0;
}

/* Does origin ("https://host:port") name the site at base ("https://host:port/...")? */
static int s_origin_is(const char *origin, const char *scheme, const char *host,
		       size_t hl)
{
	size_t sl = strlen(scheme);
	return !strncasecmp(origin, scheme, sl) && !strncmp(origin + sl, "://", 3) &&
	       strlen(origin + sl + 3) == hl && !strncasecmp(origin + sl + 3, host, hl);
}

int intake_same_origin(struct intake *in, struct qf_http_req *r)
{
	const char *site = qf_http_header(r, "Sec-Fetch-Site");
	if (site && strcmp(site, "same-origin") && strcmp(site, "none"))
		return 0;
	const char *o = qf_http_header(r, "Origin");
	if (!o)
		return 1; /* older browsers on a same-site form post; the token decides */
	/* the pages' no-referrer policy makes a browser send "Origin: null" on
	   their own forms: then only the browser's word that it is same-origin
	   counts (a sandboxed frame elsewhere sends null too) */
	if (!strcmp(o, "null"))
		return site && !strcmp(site, "same-origin");
	const char *host = qf_http_header(r, "Host");
	if (host && (s_origin_is(o, "http", host, strlen(host)) ||
		     s_origin_is(o, "https", host, strlen(host))))
		return 1;
	/* the public address (behind a proxy the Host may differ) */
	const char *base = in->conf->o311_base_url, *b = strstr(base, "://");
	if (!b)
		return 0;
	size_t hl = strcspn(b + 3, "/");
	char scheme[8];
	snprintf(scheme, sizeof scheme, "%.*s", (int)(b - base), base);
	return s_origin_is(o, scheme, b + 3, hl);
}

static int s_is_pages(struct qf_http_req *r)
{
	return !strncmp(qf_http_path(r), "/staff/", 7);
}

static int s_unsafe(struct qf_http_req *r)
{
	const char *m = qf_http_method(r);
	return strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "OPTIONS");
}

int intake_session_gate(void *svc, struct qf_http_req *r, const struct qf_community *c,
			const struct qf_staff **out)
{
	struct intake *in = svc;
	struct intake_session s;
	*out = NULL;
	if (intake_session_get(in, r, &s))
		return 0;
	if (s_unsafe(r)) {
		if (!intake_same_origin(in, r)) {
			qf_info("cross_site_refused", "staff=%s", s.staff);
			qf_http_reply_error(r, 403, "cross_site",
					    "拒绝来自其他网站的请求", NULL);
			return 1;
		}
		/* the pages check their forms' token; anything else a session
		   may do only with the token in a header, or not as staff */
		if (!s_is_pages(r) &&
		    !intake_csrf_ok(&s, qf_http_header(r, "X-CSRF-Token")))
			return 0;
	}
	*out = qf_community_staff(c, s.staff);
	return 0;
}

int intake_staff_deny(void *svc, struct qf_http_req *r, enum qf_verdict v)
{
	struct intake *in = svc;
	if (!s_is_pages(r))
		return 0;
	if (v == QF_DENY_AUTH)
		intake_staff_login_page(in, r, 401, "请先登录（尚未登录或登录已过期）",
					NULL, 0);
	else if (v == QF_DENY_ROLE)
		intake_staff_message(r, 403, "无权访问", "您的岗位无权进行此操作");
	else
		intake_staff_message(r, 404, "没有这个案件", "没有这个案件");
	return 1;
}

/* ------------------------------------------------------------ sign-in */

struct login_job {
	struct qf_gc_job job;
	struct intake *in;
	struct qf_http_req *r;
	enum { LOGIN, LOGOUT, SET } kind;
	char staff[64];
	char hash[crypto_pwhash_STRBYTES]; /* LOGIN: the hash verified; SET: new */
	char rehash[crypto_pwhash_STRBYTES];
	char by[64];
	int pw_ok;
	int64_t now;
	uint8_t sid[32], key[32];
	char csrf[65];
	int ok;
	intake_login_done done;
	void *arg;
};

static int s_login_apply(struct qf_txn *t, struct login_job *j)
{
	struct intake *in = j->in;
	const struct intake_staff_conf *sc = &in->conf->staff;
	j->ok = 0;
	json_t *acc = intake_json_get(t, in->db.accounts, j->staff, strlen(j->staff));
	if (!acc)
		return QF_OK;
	const char *h = json_string_value(json_object_get(acc, "hash"));
	int locked = json_integer_value(json_object_get(acc, "locked_until_ms")) > j->now;
	int rc = QF_OK;
	if (locked) {
		json_decref(acc);
		return QF_OK;
	}
	if (j->pw_ok && h && !strcmp(h, j->hash)) {
		json_object_set_new(acc, "failures", json_integer(0));
		if (j->rehash[0])
			json_object_set_new(acc, "hash", json_string(j->rehash));
		json_t *sess = json_pack(
		    "{s:s, s:I, s:I, s:I, s:s}", "staff", j->staff, "gen",
		    json_integer_value(json_object_get(acc, "gen")), "created_ms",
		    (json_int_t)j->now, "seen_ms", (json_int_t)j->now, "csrf", j->csrf);
		rc = sess ? intake_json_put(t, in->db.sessions, j->key, 32, sess, 0)
			  : QF_ERR_NOMEM;
		json_decref(sess);
		j->ok = 1;
	} else {
		json_int_t n = json_integer_value(json_object_get(acc, "failures")) + 1;
		if (n >= sc->max_failures) {
			json_object_set_new(
			    acc, "locked_until_ms",
			    json_integer(j->now + (int64_t)sc->lock_min * 60000));
			n = 0;
			qf_info("staff_locked", "staff=%s minutes=%d", j->staff,
				sc->lock_min);
		}
		json_object_set_new(acc, "failures", json_integer(n));
	}
	if (!rc)
		rc = s_account_put(in, t, j->staff, acc);
	json_decref(acc);
	return rc;
}

static int s_set_apply(struct qf_txn *t, struct login_job *j)
{
	struct intake *in = j->in;
	json_t *acc = intake_json_get(t, in->db.accounts, j->staff, strlen(j->staff));
	json_int_t gen = acc ? json_integer_value(json_object_get(acc, "gen")) + 1 : 1;
	json_decref(acc);
	acc = json_pack("{s:s, s:I, s:i, s:I, s:I, s:s}", "hash", j->hash, "gen", gen,
			"failures", 0, "locked_until_ms", (json_int_t)0, "set_ms",
			(json_int_t)j->now, "set_by", j->by);
	int rc = acc ? s_account_put(in, t, j->staff, acc) : QF_ERR_NOMEM;
	json_decref(acc);
	j->ok = !rc;
	return rc;
}

static int s_job_apply(struct qf_txn *t, void *arg)
{
	struct login_job *j = arg;
	switch (j->kind) {
	case LOGIN:
		return s_login_apply(t, j);
	case SET:
		return s_set_apply(t, j);
	default: {
		int rc = qf_txn_del(t, j->in->db.sessions, j->key, 32);
		j->ok = 1;
		return rc == QF_ERR_NOTFOUND ? QF_OK : rc;
	}
	}
}

static void s_job_done(void *arg, int rc)
{
	struct login_job *j = arg;
	char cookie[256] = "";
	const char *secure =
	    strncmp(j->in->conf->o311_base_url, "https:", 6) ? "" : "; Secure";
	if (rc) {
		qf_error("staff_auth_commit_failed", "error=\"%s\"", qf_strerror(rc));
		j->ok = -1;
	} else if (j->kind == LOGIN && j->ok) {
		char hex[65];
		sodium_bin2hex(hex, sizeof hex, j->sid, sizeof j->sid);
		snprintf(cookie, sizeof cookie,
			 INTAKE_SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; "
					       "Max-Age=%d%s",
			 hex, j->in->conf->staff.max_h * 3600, secure);
		qf_info("staff_signed_in", "staff=%s", j->staff);
	} else if (j->kind == LOGIN) {
		qf_info("staff_sign_in_failed", "staff_len=%zu", strlen(j->staff));
	} else if (j->kind == LOGOUT) {
		snprintf(cookie, sizeof cookie,
			 INTAKE_SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; "
					       "Max-Age=0%s",
			 secure);
	} else {
		qf_info("staff_password_set", "staff=%s by=%s", j->staff, j->by);
	}
	j->done(j->arg, j->r, j->ok, cookie[0] ? cookie : NULL);
	sodium_memzero(j, sizeof *j);
	free(j);
}

static struct login_job *s_job(struct intake *in, struct qf_http_req *r,
			       const char *staff, intake_login_done done, void *arg)
{
	struct login_job *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	j->in = in;
	j->r = r;
	snprintf(j->staff, sizeof j->staff, "%s", staff ? staff : "");
	j->now = qf_now_ms(in->clock);
	j->done = done;
	j->arg = arg;
	j->job = (struct qf_gc_job){s_job_apply, s_job_done, j, 0, NULL};
	return j;
}

static int s_submit(struct intake *in, struct login_job *j)
{
	if (intake_queue(in, j->r, &j->job)) {
		free(j);
		return QF_ERR_STOPPED;
	}
	return QF_OK;
}

struct account_read {
	struct intake *in;
	const char *id;
	json_t *acc;
};

static int s_account_read(struct qf_txn *t, void *arg)
{
	struct account_read *a = arg;
	a->acc = intake_json_get(t, a->in->db.accounts, a->id, strlen(a->id));
	return QF_OK;
}

static json_t *s_account_load(struct intake *in, const char *id)
{
	struct account_read a = {in, id, NULL};
	if (strlen(id) >= 64)
		return NULL;
	intake_read(in, s_account_read, &a);
	return a.acc;
}

int intake_account_state(struct intake *in, const char *staff_id)
{
	json_t *acc = s_account_load(in, staff_id);
	if (!acc)
		return 0;
	int locked = json_integer_value(json_object_get(acc, "locked_until_ms")) >
		     qf_now_ms(in->clock);
	json_decref(acc);
	return locked ? 2 : 1;
}

int intake_login(struct intake *in, struct qf_http_req *r, const char *staff_id,
		 const char *password, intake_login_done done, void *arg)
{
	const struct intake_staff_conf *sc = &in->conf->staff;
	struct login_job *j = s_job(in, r, staff_id, done, arg);
	if (!j)
		return QF_ERR_NOMEM;
	j->kind = LOGIN;
	json_t *acc = s_account_load(in, j->staff);
	const char *h = json_string_value(json_object_get(acc, "hash"));
	int locked = json_integer_value(json_object_get(acc, "locked_until_ms")) > j->now;
	size_t pl = strlen(password);
	/* the same work whether the account exists, is locked or not */
	const char *check = h && !locked ? h : s_dummy;
	int ok = crypto_pwhash_str_verify(check, password, pl) == 0;
	j->pw_ok = ok && check != s_dummy;
	snprintf(j->hash, sizeof j->hash, "%s", h ? h : "");
	json_decref(acc);
	if (j->pw_ok &&
	    crypto_pwhash_str_needs_rehash(j->hash, (unsigned long long)sc->pwhash_ops,
					   (size_t)sc->pwhash_mem_kib * 1024u) != 0 &&
	    intake_staff_hash(sc->pwhash_ops, sc->pwhash_mem_kib, password, j->rehash))
		j->rehash[0] = '\0';
	randombytes_buf(j->sid, sizeof j->sid);
	crypto_hash_sha256(j->key, j->sid, sizeof j->sid);
	uint8_t csrf[32];
	randombytes_buf(csrf, sizeof csrf);
	sodium_bin2hex(j->csrf, sizeof j->csrf, csrf, sizeof csrf);
	return s_submit(in, j);
}

int intake_logout(struct intake *in, struct qf_http_req *r,
		  const struct intake_session *s, intake_login_done done, void *arg)
{
	struct login_job *j = s_job(in, r, s->staff, done, arg);
	if (!j)
		return QF_ERR_NOMEM;
	j->kind = LOGOUT;
	memcpy(j->key, s->key, 32);
	return s_submit(in, j);
}

int intake_account_set(struct intake *in, struct qf_http_req *r, const char *staff_id,
		       const char *password, const char *by, intake_login_done done,
		       void *arg)
{
	const struct intake_staff_conf *sc = &in->conf->staff;
	struct login_job *j = s_job(in, r, staff_id, done, arg);
	if (!j)
		return QF_ERR_NOMEM;
	j->kind = SET;
	snprintf(j->by, sizeof j->by, "%s", by);
	if (intake_staff_hash(sc->pwhash_ops, sc->pwhash_mem_kib, password, j->hash)) {
		free(j);
		return QF_ERR_NOMEM;
	}
	return s_submit(in, j);
}
