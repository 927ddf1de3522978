/* intake.h: the intake service: its configuration, its state, and the
 * functions its modules share.
 *
 * Ownership: struct intake is made by intake_open() and owned by main; it
 * owns the keys, limiters, waiters and the current "world" (community +
 * staff tokens, swapped on SIGHUP; retired worlds stay alive until
 * intake_destroy so a handler holding one never sees it freed). The store,
 * group-commit queue, producer and clock belong to struct qf_svc.
 *
 * Threads: HTTP handlers run on libmicrohttpd's pool and only read the store
 * (qf_store_read) and submit group-commit jobs; every write and every event
 * emitted runs on the core thread (job apply functions, consumer apply).
 */
#ifndef INTAKE_H
#define INTAKE_H

#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>

#include "keys.h"
#include "petition.h"
#include "qf_access.h"
#include "qf_community.h"
#include "qf_http.h"
#include "qf_mask.h"
#include "qf_metrics.h"
#include "qf_privacy.h"
#include "qf_store.h"
#include "qf_svc.h"
#include "qf_tokens.h"
#include "spam.h"
#include "spamdup.h"
#include "staff.h"

#define INTAKE_MAX_PROXIES  16
#define INTAKE_MAX_API_KEYS 16

struct intake_strlist {
	char *v[INTAKE_MAX_PROXIES];
	unsigned n;
};

#define INTAKE_MAX_TRUSTED_HOSTS 8

struct intake_api_key {
	char *client;	    /* name of the Open311 client ("city-app") */
	uint8_t sha256[32]; /* hash of the key */
	int trusted;	    /* trust = "trusted": its own links are not spam */
	char *hosts[INTAKE_MAX_TRUSTED_HOSTS]; /* its own hosts (and subdomains) */
	unsigned nhosts;
};

struct intake_api_keys {
	struct intake_api_key k[INTAKE_MAX_API_KEYS];
	unsigned n;
};

struct intake_conf {
	struct qf_svc_conf svc;
	/* intake.* */
	char *tokens_file;	  /* staff tokens (relative to this file) */
	char *tracking_prefix;	  /* "" : the community code */
	char *replica_code;	  /* one Crockford character, or "" */
	char *pseudonym_key_file; /* "" : development key in data_dir */
	char *contact_key_file;	  /* "" : development key in data_dir */
	struct intake_recipients_conf seal_to;
	int action_wait_ms;	 /* wait for the router's verdict */
	int offline_needs_staff; /* counter/patrol/phone need a staff token */
	int max_media;
	int64_t max_media_bytes;
	int64_t petition_max_body;
	int idempotency_ttl_h;
	int locate_within_m;	 /* nearest building point counted for coordinates */
	int upload_ttl_h;	 /* how long an upload token is valid */
	char *notifier_url;	 /* the notifier's HTTP API, for SMS follows from the
				    follow page; "": not offered */
	char *board_url;	 /* the disclosure board, for links to its pages;
				    "": none */
	int visit_quota;	 /* households a month (the pace on /staff/visits;
				    router.cfg's duty counts the same) */
	/* spam.* */
	struct intake_spam_conf spam;
	/* ratelimit.* */
	int rl_ip, rl_ip_window_s;
	int rl_phone, rl_phone_window_s;
	int rl_follow, rl_follow_window_s;
	int rl_slots;
	struct intake_strlist trusted_proxies;
	/* open311.* */
	int o311_enabled;
	char *o311_jurisdiction;
	char *o311_base_url;
	char *o311_contact;
	int o311_max_page;
	struct intake_api_keys o311_keys;
	/* staff.* (staff.h) */
	struct intake_staff_conf staff;
};

/* Custom configuration parsers (conf.c). */
int intake_conf_parse_strlist(const struct qf_cfg_setting *def, config_setting_t *s,
			      void *conf, struct qf_cfg_errors *errs);
int intake_conf_parse_api_keys(const struct qf_cfg_setting *def, config_setting_t *s,
			       void *conf, struct qf_cfg_errors *errs);
/* Cross-setting checks and key files; check_only: no development keys are
 * made. Adds errors; returns 0 or QF_ERR_CONFIG. */
int intake_conf_check(struct intake_conf *c, int check_only, struct qf_cfg_errors *errs);
/* Free what the custom parsers allocated. */
void intake_conf_free_extra(struct intake_conf *c);

/* Databases in intake's store (opened by intake_open). */
struct intake_db {
	MDB_dbi cases;	      /* case id -> case record (JSON) */
	MDB_dbi contact;      /* case id -> secretbox(contact JSON) */
	MDB_dbi codes;	      /* tracking code -> case id, or hold id while held */
	MDB_dbi timeline;     /* case id (27) || be32 n -> timeline entry (JSON) */
	MDB_dbi idem;	      /* sha256(scope, key) -> idempotency record */
	MDB_dbi idem_exp;     /* be64 expiry ms || key hash -> "" */
	MDB_dbi cmds;	      /* command id -> command record (JSON) */
	MDB_dbi media;	      /* sha256 (32 bytes) || owner -> sealed(type || bytes) */
	MDB_dbi uploads;      /* upload id -> upload record (JSON) */
	MDB_dbi holds;	      /* hold id -> held submission (JSON, no contact) */
	MDB_dbi hold_contact; /* hold id -> secretbox(contact JSON) */
	MDB_dbi visits;	      /* visit id -> visit record (JSON) */
	MDB_dbi disc;	      /* record id || be32 version -> disclosure (JSON) */
	MDB_dbi views;	      /* case id || be64 ms || staff id -> view (JSON) */
	MDB_dbi spam_terms;   /* community \x1f rule \x1f term -> be32 released
				 || be32 dismissed (spamadj.c) */
	MDB_dbi accounts;     /* staff id -> account (JSON: Argon2id hash, lock) */
	MDB_dbi sessions;     /* sha256(session id) -> session (JSON) */
	MDB_dbi alerts;	      /* be64 at ms || be64 audit leaf -> audit alert
				 (JSON; the newest 1000, alerts.c) */
};

/* Community and tokens, replaced together on SIGHUP. */
struct intake_world {
	struct qf_community *community;
	struct qf_tokens *tokens;
	struct intake_world *retired_next;
};

struct intake_waiters;

struct intake_counters {
	struct qf_metric *accepted, *held, *unlocated, *released, *invalid, *limited,
	    *idem_replay;
	struct qf_metric *actions, *action_timeouts, *results, *contact_views;
	struct qf_metric *visits, *disclosures, *events_applied, *feedback;
};

struct intake {
	struct intake_conf *conf;
	struct qf_svc *svc;
	struct qf_store *store;
	struct qf_vault *vault; /* personal data sealed per subject */
	struct qf_gc *gc;
	struct qf_bus_producer *prod;
	struct qf_clock *clock;
	struct qf_metrics *metrics;
	struct intake_world *world;   /* current; read with intake_world_get */
	struct intake_world *retired; /* older worlds, freed at destroy */
	struct intake_keys keys;
	struct intake_db db;
	struct intake_limiter *lim_ip, *lim_phone, *lim_follow;
	struct intake_spamdup *spamdup; /* recent texts (duplicate signal) */
	struct intake_waiters *waiters;
	char prefix[16]; /* tracking code prefix ("LSJ") */
	char replica;	 /* replica character or '\0' */
	int64_t next_key_retry_ms, next_sweep_ms;
	struct intake_counters m;
	/* consumer: results committed in the open transaction (consume.c) */
	struct intake_done *pending;
};

/* ------------------------------------------------------------ intake.c */
/* Allocate the service state (before qf_svc_open, whose hooks need it). */
int intake_new(struct intake **out, struct intake_conf *conf);
/* Finish it on the opened qf_svc (store, producer): open the databases,
 * load community, tokens and keys, make the limiters. Logs and returns an
 * error (then intake_destroy). */
int intake_open(struct intake *in, struct qf_svc *svc);
void intake_destroy(struct intake **in);
/* The current world (never NULL after open; valid until intake_destroy). */
const struct intake_world *intake_world_get(struct intake *in);
/* SIGHUP: reload community and tokens (keep the old ones on error). */
void intake_reload(void *app);
/* Core-thread timer: waiter deadlines, key retries, idempotency sweep.
 * Returns ms until it wants to run again. */
int intake_tick(void *app);
/* /readyz */
int intake_ready(void *app);
/* /healthz detail: seal keys, waiting commands, community size. */
void intake_health(void *app, json_t *obj);
/* Before qf_svc_destroy: answer every request still waiting. */
void intake_shutdown(struct intake *in);
/* The route table (api.c); n in *n. */
const struct qf_http_route *intake_routes(struct intake *in, size_t *n);
/* The route table with each route's action (--routes). */
void intake_routes_print(FILE *out);
/* Consumer callbacks (consume.c). */
int intake_consume(void *app, struct qf_txn *t, const struct qf_bus_msg *m);
/* alerts.c: keep one AUDIT_ALERT of the audit's stream (inside the
 * consumer's transaction t; other producers' are ignored). */
int intake_alert_apply(struct intake *in, struct qf_txn *t,
		       const Qingfeng__V1__Envelope *env, const uint8_t *priv,
		       size_t priv_len);
int intake_on_incarnation(void *app, struct qf_txn *t, const char *producer,
			  uint64_t old_epoch, uint64_t new_epoch);

/* ------------------------------------------------------------ track.c */
/* The follow view of a case (what GET /v1/track/:code answers) for code and
 * secret: 1 with *view (new reference), 0 for an unknown code or a wrong
 * secret, -1 for a malformed code. No rate limit: the caller's. */
int intake_track_view(struct intake *in, const char *code, const char *secret,
		      json_t **view);
/* The case of tracking code `code` when secret is its own: a new record
 * (its id into case_id), or NULL with 404 not_found in e (unknown code and
 * wrong secret alike). */
json_t *intake_track_case(struct intake *in, struct qf_txn *t, const char *code,
			  const char *secret, char *case_id, size_t n, struct intake_err *e);
/* Called once the feedback is committed (e NULL) or refused (e set); it
 * replies to r itself. */
typedef void (*intake_feedback_done)(struct qf_http_req *r, const struct intake_err *e,
				     void *arg);
/* Queue the petitioner's feedback on a resolved case (POST
 * /v1/track/:code/feedback's path): comment (malloc'd or NULL) is taken.
 * done NULL: the answer waits for the router's verdict (the API). Returns
 * 0 (queued), -1 with the verdict in e (nothing queued, not replied), -2
 * (answered 503: shutting down). */
int intake_feedback_queue(struct intake *in, struct qf_http_req *r, const char *code,
			  const char *secret, unsigned rating, char *comment,
			  intake_feedback_done done, void *done_arg, struct intake_err *e);
/* How a petitioner's command (feedback, supplement) ends once its job ran:
 * rc a store failure (503), else refused (when its code is set) or, accepted,
 * the router's verdict awaited under cmd; done (or NULL) answers instead
 * of the API. Returns 1 when accepted. */
int intake_petitioner_answer(struct intake *in, struct qf_http_req *r, int rc,
			     const struct intake_err *refused, const char *cmd,
			     intake_feedback_done done, void *done_arg);

/* ------------------------------------------------------------ supplement.c */
struct intake_form;
/* Queue the petitioner's supplement to an open case (text and photos from
 * obj, uploads from form; the form is freed here): as feedback, done NULL
 * waits for the router's verdict (the API), else done replies. Returns as
 * intake_feedback_queue. */
int intake_supplement_queue(struct intake *in, struct qf_http_req *r, const char *code,
			    const char *secret, const json_t *obj, struct intake_form *form,
			    intake_feedback_done done, void *done_arg, struct intake_err *e);
void intake_h_supplement(struct qf_http_req *r, void *ctx);
/* Whether a case in state st (or NULL) takes supplements: still being
 * handled (not resolved, closed, rejected, merged, held or dismissed). */
int intake_supplement_open(const char *st);

/* ------------------------------------------------------------ api.c */
/* Reply with a verdict ({code, message, field}). */
void intake_reply_err(struct qf_http_req *r, const struct intake_err *e);
/* Suspend r and queue job for the group commit; its done() answers r. When
 * the writer has stopped (shutdown), answers 503 and returns non-zero: the
 * job was not queued and the caller frees it. */
int intake_queue(struct intake *in, struct qf_http_req *r, struct qf_gc_job *job);
/* The client's address for rate limits: the peer, or, when the peer is a
 * trusted proxy, the rightmost X-Forwarded-For address that is not itself
 * a trusted proxy, read from the whole header and checked with inet_pton.
 * intake_xff_client is the pure part: 0, -1 (header over INTAKE_XFF_MAX
 * bytes), -2 (not an address). intake_client_addr answers 400 for those
 * and returns -1. */
#define INTAKE_XFF_MAX 2048
int intake_xff_client(const char *peer, const char *xff, const struct intake_strlist *tp,
		      char *out, size_t n);
int intake_client_addr(struct intake *in, struct qf_http_req *r, char *out, size_t n);
/* Rate-limit check: 0 to go on, or replied 429 with Retry-After. */
int intake_limit(struct intake *in, struct qf_http_req *r, struct intake_limiter *l,
		 const void *key, size_t klen, const char *what);
/* The same, but the refusal (429 rate_limited, with Retry-After already
 * added) goes to e for the caller to answer in its own format (Open311). */
int intake_limit_err(struct intake *in, struct qf_http_req *r, struct intake_limiter *l,
		     const void *key, size_t klen, const char *what,
		     struct intake_err *e);
/* Parse the body as JSON (replies 400 itself and returns NULL). */
json_t *intake_body_json(struct qf_http_req *r);

/* ------------------------------------------------------------ store.c */
/* Personal data at rest (store.c's header says why): every value holding any
 * is sealed under its subject's key with qf_vault. A record kind names the
 * members kept readable; the rest of a record is sealed. */
struct intake_rec_kind {
	char tag;			   /* binds a sealed box to its database */
	const char *const *clear;	   /* always readable */
	const char *const *nonsensitive;   /* readable unless the case is sensitive */
};
extern const struct intake_rec_kind intake_rec_case, intake_rec_timeline,
    intake_rec_hold, intake_rec_visit, intake_rec_cmd, intake_rec_view,
    intake_rec_contact;
/* Write rec under key in a write transaction: the readable members in clear,
 * the others sealed under subject. When the subject was forgotten
 * (retention), only the readable members are written. 0 or a store error. */
int intake_rec_put(struct intake *in, struct qf_txn *t, MDB_dbi dbi, const void *key,
		   size_t klen, const struct intake_rec_kind *kind, const char *subject,
		   int sensitive, const json_t *rec);
/* Read a record back as one object (a new reference, or NULL when absent).
 * When its sealed part cannot be opened (forgotten), the object holds the
 * readable members and "private_gone": true. Any transaction. */
json_t *intake_rec_get(struct intake *in, struct qf_txn *t, MDB_dbi dbi, const void *key,
		       size_t klen, const struct intake_rec_kind *kind);
/* The same from a value a cursor found. */
json_t *intake_rec_parse(struct intake *in, struct qf_txn *t,
			 const struct intake_rec_kind *kind, const void *key, size_t klen,
			 const void *val, size_t len);
/* Bytes sealed whole under subject (tag as in a record kind). get: *out is
 * malloc'd (zero it when done); QF_ERR_GONE when the subject was forgotten. */
int intake_sealed_put(struct intake *in, struct qf_txn *t, MDB_dbi dbi, const void *key,
		      size_t klen, char tag, const char *subject, const void *data,
		      size_t len);
int intake_sealed_get(struct intake *in, struct qf_txn *t, MDB_dbi dbi, const void *key,
		      size_t klen, char tag, uint8_t **out, size_t *out_len);

/* Case records (the subject is the case id). intake_case_get returns a new
 * JSON object or NULL. */
json_t *intake_case_get(struct intake *in, struct qf_txn *t, const char *case_id);
int intake_case_put(struct intake *in, struct qf_txn *t, const char *case_id,
		    const json_t *rec);
/* Was the case's personal data forgotten (retention)? */
int intake_case_forgotten(const json_t *rec);
/* Is the case sensitive (an integrity report, a sensitive category)? */
int intake_case_sensitive(struct intake *in, const json_t *rec);
/* Remember in rec where an event of the petitioner's was emitted (their
 * receipts, track.c). */
int intake_case_event_add(json_t *rec, int type, uint32_t partition, uint64_t seq,
			  const uint8_t event_id[16]);
/* Remember in rec (sealed) that a photo is stored for the case, so that
 * retention finds its rows. */
int intake_case_media_own(json_t *rec, const char *sha_hex);
/* A contact ({"name","phone","email"}) sealed under subject in dbi (the
 * case's, or a hold's); get: a new object, or NULL when absent or
 * forgotten. */
int intake_contact_put(struct intake *in, struct qf_txn *t, MDB_dbi dbi, const char *id,
		       const char *subject, const char *contact_json);
json_t *intake_contact_get(struct intake *in, struct qf_txn *t, MDB_dbi dbi,
			   const char *id);
/* Resolve a tracking code to its target (case or hold id) into out. */
int intake_code_get(struct intake *in, struct qf_txn *t, const char *code, char *out,
		    size_t n);
/* A random tracking code (not yet reserved). */
void intake_code_random(struct intake *in, char *code, size_t n);
/* Reserve a fresh tracking code for target (retries on collisions). */
int intake_code_alloc(struct intake *in, struct qf_txn *t, const char *target, char *code,
		      size_t n);
/* Photos are stored per owner: a case id, a hold id ("H..."), a visit id
 * ("V...") or an upload id ("U..."), sealed under the owner's subject
 * (intake_media_subject: the case id, "hold:<id>", "visit:<id>",
 * "upload:<id>"). put stores an UPLOAD item's bytes (idempotent). */
void intake_media_subject(const char *owner, char *out, size_t n);
int intake_media_put(struct intake *in, struct qf_txn *t, const struct intake_media *m,
		     const char *owner);
/* The bytes of a photo stored for owner: *data malloc'd; QF_ERR_NOTFOUND,
 * QF_ERR_GONE (forgotten). */
int intake_media_get(struct intake *in, struct qf_txn *t, const char *sha_hex,
		     const char *owner, uint8_t **data, size_t *len, const char **ctype);
int intake_media_del(struct intake *in, struct qf_txn *t, const char *sha_hex,
		     const char *owner);
/* Call fn for each owner of a photo until it returns other than
 * QF_ERR_NOTFOUND; returns that, or QF_ERR_NOTFOUND. */
int intake_media_owners(struct intake *in, struct qf_txn *t, const char *sha_hex,
			int (*fn)(void *arg, const char *owner), void *arg);
/* Attach a photo referenced by hash (a REF item) to owner: allowed only when
 * the owner has it already, one of `from` (NULL-terminated owner ids, may be
 * NULL) has it, or m->token is the upload token POST /v1/media gave for
 * these bytes. Copies the bytes to the owner and fills m's type and size.
 * QF_ERR_NOTFOUND when not allowed (the same answer as an unknown photo).
 * Other kinds: nothing to do. */
int intake_media_attach(struct intake *in, struct qf_txn *t, struct intake_media *m,
			const char *owner, const char *const *from);
/* The event attachments of media[0..n) into att, pointers into attp (n
 * each; they point into media); returns n. */
size_t intake_media_attachments(const struct intake_media *media, unsigned n,
				Qingfeng__V1__Attachment *att, Qingfeng__V1__Attachment **attp);
/* An upload (POST /v1/media): the photo stored under a new upload id, and
 * its token ("<id>.<secret>", only the secret's hash is kept) into token. */
int intake_upload_put(struct intake *in, struct qf_txn *t, const struct intake_media *m,
		      const struct qf_staff *staff, int64_t now, char owner[40],
		      char token[64]);
/* Delete uploads past intake.upload_ttl_h (at most max); returns the count. */
int intake_upload_sweep(struct intake *in, struct qf_txn *t, int64_t now_ms, unsigned max);
/* Append a timeline entry to a case (updates rec's "timeline_n"): the
 * readable members as intake_rec_timeline says, the notes sealed. */
int intake_timeline_add(struct intake *in, struct qf_txn *t, const char *case_id,
			json_t *rec, const json_t *entry);
/* The timeline of a case as a new JSON array. */
json_t *intake_timeline_get(struct intake *in, struct qf_txn *t, const char *case_id);
/* Read-only transaction helper: run fn(t, arg) (any thread). */
int intake_read(struct intake *in, int (*fn)(struct qf_txn *t, void *arg), void *arg);
/* Put/get a JSON value under a key (records without personal data). */
int intake_json_put(struct qf_txn *t, MDB_dbi dbi, const void *key, size_t klen,
		    const json_t *v, unsigned flags);
json_t *intake_json_get(struct qf_txn *t, MDB_dbi dbi, const void *key, size_t klen);

/* Idempotency. A record binds (scope, key) to the body's hash and either a
 * stored answer (status + body, encrypted at rest) or a command id. */
struct intake_idem {
	int present;	  /* the caller sent an Idempotency-Key */
	uint8_t key[32];  /* sha256(scope || 0 || key) */
	uint8_t body[32]; /* sha256(body) */
};
/* From the request's Idempotency-Key header: 0 (present or not), or -1
 * after replying 400 for a malformed key. */
int intake_idem_from_request(struct qf_http_req *r, const char *scope,
			     struct intake_idem *id);
enum intake_idem_found { INTAKE_IDEM_NONE = 0, INTAKE_IDEM_SAME, INTAKE_IDEM_OTHER };
/* Look up: NONE, SAME (the answer: status and a malloc.d body; or a command id in
 * cmd), or OTHER (same key, another body). */
int intake_idem_find(struct intake *in, struct qf_txn *t, const struct intake_idem *id,
		     unsigned *status, char **body, char *cmd, size_t cmdn);
int intake_idem_put(struct intake *in, struct qf_txn *t, const struct intake_idem *id,
		    unsigned status, const char *body, const char *cmd);
/* The same for an answer holding personal data (a receipt): sealed under
 * subject, so that forgetting the case forgets it. */
int intake_idem_put_sealed(struct intake *in, struct qf_txn *t,
			   const struct intake_idem *id, unsigned status, const char *body,
			   const char *subject);
/* The same in two steps, so the encoding (and its encryption) can be done
 * outside the writer: *out is malloc'd. */
int intake_idem_encode(struct intake *in, const struct intake_idem *id, unsigned status,
		       const char *body, const char *cmd, uint8_t **out, size_t *out_len);
int intake_idem_put_raw(struct intake *in, struct qf_txn *t, const struct intake_idem *id,
			const uint8_t *val, size_t len);
/* Delete idempotency records past their expiry (at most max); returns the
 * count deleted. */
int intake_idem_sweep(struct intake *in, struct qf_txn *t, int64_t now_ms, unsigned max);
/* Reply to a duplicate found by intake_idem_find (SAME or OTHER). */
void intake_idem_reply(struct qf_http_req *r, int found, unsigned status, char *body);

/* Names of router case states ("accepted"), and of event types for the
 * timeline ("accepted", "progress"...). */
const char *intake_state_name(int state);
int intake_state_open(const char *state);

/* ------------------------------------------------------------ mask.c */
/* The masking context of a case's free text: the petitioner's surname and
 * full name and the names learned from the case's texts, as keyed hashes
 * (mask.c says why). Holds pointers into itself: do not copy once made. */
#define INTAKE_MASK_NAMES 32
struct intake_mask {
	struct qf_mask_opts mo; /* for qf_mask_text and struct qf_privacy.mask */
	struct qf_mask_names nm;
	unsigned char hash[INTAKE_MASK_NAMES][QF_MASK_HASH];
	unsigned char key[32];
	char surname[16];
	char full_name[128];      /* the petitioner's, from the sealed contact */
	const char *known[1];     /* mo.known_names: the full name */
	unsigned stored; /* hashes the record held */
};
/* From the parts (pure): key (intake_keys.names), the masked name ("张**"),
 * the full name (may be NULL), the stored hashes (a JSON array of hex, may
 * be NULL). */
void intake_mask_init(struct intake_mask *m, const uint8_t key[32],
		      const char *name_masked, const char *full_name, const json_t *names);
/* From a case record read with intake_case_get and its sealed contact. */
int intake_mask_case(struct intake *in, struct qf_txn *t, const json_t *rec,
		     struct intake_mask *m);
/* Mask s (NULL: "") with the context, learning names after cues: malloc'd,
 * NULL when out of memory. */
char *intake_mask_text(struct intake_mask *m, const char *s);
/* Store the known names in rec ("mask_names", sealed with the record) when
 * there are new ones; returns 1 if rec changed. */
int intake_mask_save(const struct intake_mask *m, json_t *rec);

/* ------------------------------------------------------------ submit.c */
enum intake_reply_fmt {
	INTAKE_FMT_NATIVE = 0,
	INTAKE_FMT_O311_JSON,
	INTAKE_FMT_O311_XML
};

struct intake_sub;
/* Something else written in the same transaction as a petition (a visit
 * record, a released hold). Runs after the case is written. */
typedef int (*intake_sub_extra)(struct qf_txn *t, struct intake_sub *s);

struct intake_sub_opts {
	enum intake_reply_fmt fmt;
	const struct qf_staff *entered_by; /* staff entering it, or NULL */
	const char *client;		   /* "native" or the Open311 client */
	const char *source_visit_id;	   /* made from a visit finding */
	const char *released_hold_id;	   /* released from the spam hold */
	const char *dispatched_from_id;	   /* assigned from the dispatch queue */
	int64_t received_ms; /* > 0: when the petition was received (a dispatched
				one): its submitted_ms, so deadlines count from then */
	const char *spam_text; /* read by the spam check instead of the description
				  (a trusted client's own links removed, trust.h);
				  needed only during intake_submit() */
	int skip_spam;			   /* released holds and staff entries */
	int skip_limits;
	intake_sub_extra extra;
	/* Runs first in the transaction, before anything is written: nonzero
	 * refuses the submission with the verdict it put in e. */
	int (*check)(struct qf_txn *t, struct intake_sub *s, struct intake_err *e);
	void *extra_arg;
	void (*extra_free)(void *extra_arg);
	const struct intake_idem *idem;
	/* for released holds: keep the code and secret hash the hold had */
	const char *keep_code;
	const char *keep_secret_hash;
	/* Answer in another form than fmt (the resident's web page): called
	 * once, from any thread, with the status and JSON answer fmt NATIVE
	 * would send (answer non-NULL), or the refusal (e non-NULL). The hook
	 * replies to r itself; reply_arg is the hook's and outlives the call. */
	void (*reply)(struct qf_http_req *r, unsigned status, const char *answer,
		      const struct intake_err *e, void *reply_arg);
	void *reply_arg;
};

/* The spam judgement of a submission (spamadj.c): score its description
 * and address, count the description in the recent-texts table, switch off
 * the terms the supervisor keeps releasing in this community (a read
 * transaction), and decide; v gets the verdict. 1 (hold: rule and detail
 * set) or 0. */
int intake_spam_judge(struct intake *in, const char *description, const char *address,
		      struct intake_spam_verdict *v, char *rule, size_t rn, char *detail,
		      size_t dn);
/* The verdict's hits as a hold record keeps them: [{rule, term, weight}]
 * (a new reference; NULL when out of memory). */
json_t *intake_spam_signals_json(const struct intake_spam_verdict *v);
/* Count a review decision (released 1: released, 0: dismissed) for every
 * signal of hold record h ("signals") in write transaction t. 0 or a store
 * error. */
int intake_spam_review_count(struct intake *in, struct qf_txn *t, const json_t *h,
			     int released);

/* Take a validated petition (ownership moves in) and carry it through spam
 * check, rate limits, the group commit and the reply. Always replies. */
void intake_submit(struct intake *in, struct qf_http_req *r, struct intake_petition *p,
		   const struct intake_sub_opts *o);
/* The case id and tracking code a finished submission got (for extras). */
const char *intake_sub_case_id(const struct intake_sub *s);
const char *intake_sub_code(const struct intake_sub *s);
void *intake_sub_extra_arg(const struct intake_sub *s);
/* The masking context of the submission's case (its names). */
struct intake_mask *intake_sub_mask(struct intake_sub *s);
struct intake *intake_sub_intake(const struct intake_sub *s);
/* Handlers: POST /v1/petitions. */
void intake_h_petition(struct qf_http_req *r, void *ctx);
/* The body of a petition request (JSON, or a form with photos) as the JSON
 * object the decoder takes (*obj: new reference) and the form's uploads
 * (form: intake_form_free after, also on -1: the fields read before the
 * fault stay in form->fields). Returns 0; -1 with the verdict in e; -2
 * when it has replied itself (a malformed JSON body). */
struct intake_form;
int intake_petition_read(struct intake *in, struct qf_http_req *r, json_t **obj,
			 struct intake_form *form, struct intake_err *e);
/* Decode obj (with form's uploads, consumed) as a petition from this
 * request and submit it with the options so (fmt, reply hook; entered_by,
 * client and skip_limits are set here from the request's staff token).
 * Always replies, refusals through so's format or hook. */
void intake_petition_submit(struct intake *in, struct qf_http_req *r, const json_t *obj,
			    struct intake_form *form, const struct intake_idem *idem,
			    const struct intake_sub_opts *so);
/* Build the petitioner's contact JSON ({"name","phone","email"}). */
char *intake_contact_json(const struct intake_petition *p);

/* The receipt of one of the petitioner's events (track.c): pos is an
 * element of the case record's "events" ({type, partition, seq, event_id});
 * read from the outbox in t: {case_id, producer, type, partition, seq,
 * event_id, commitment, nonce, private} (hex, private in base64), or with
 * "private_expired": true once retention forgot it. A new object. */
json_t *intake_receipt(struct intake *in, struct qf_txn *t, const char *case_id,
		       const json_t *pos);
/* Every receipt of a case record (a new array). */
json_t *intake_receipts(struct intake *in, struct qf_txn *t, const json_t *rec);
/* The case as the petitioner (and staff) see it, no contact (track.c). */
json_t *intake_case_view(struct intake *in, struct qf_txn *t, const json_t *rec,
			 int with_timeline);
/* Decode a disclosure body into the normalised DisclosureSubmitted JSON
 * (disclosure.c; pure). correction: correction_reason required. */
json_t *intake_disclosure_decode(const json_t *obj, const struct qf_community *c,
				 int correction, struct intake_err *e);
/* A disclosure record from a page (staffsec.c): obj (not taken) through
 * POST /v1/disclosures/<kind>'s path; reply runs with 201 and the API's
 * answer, or with the refusal e (e->field: the API's field). */
typedef void (*intake_disc_reply)(struct qf_http_req *r, unsigned status,
				  const char *answer, const struct intake_err *e,
				  void *arg);
void intake_disclosure_start(struct intake *in, struct qf_http_req *r, const char *kind,
			     json_t *obj, intake_disc_reply reply, void *arg);
/* Answer a submission in an Open311 format (open311.c). */
void intake_o311_reply_submit(struct qf_http_req *r, enum intake_reply_fmt fmt,
			      unsigned status, const char *answer,
			      const struct intake_err *err);


/* ------------------------------------------------------------ other handlers */
/* Tracking codes and secrets as the petitioner types them (track.c):
 * normalise a code ("lsj-a1b2c3" -> "LSJ-A1B2C3"; 0, or -1 if malformed);
 * check a secret against its stored hash in constant time (1 if right). */
int intake_track_code_norm(const char *in, char *out, size_t n);
int intake_track_secret_ok(const char *typed, const char *hash_hex);
void intake_h_export_get(struct qf_http_req *r, void *ctx);
void intake_h_export_post(struct qf_http_req *r, void *ctx);
void intake_h_track_get(struct qf_http_req *r, void *ctx);
void intake_h_track_post(struct qf_http_req *r, void *ctx);
void intake_h_feedback(struct qf_http_req *r, void *ctx);
void intake_h_action(struct qf_http_req *r, void *ctx);
void intake_h_command(struct qf_http_req *r, void *ctx);
void intake_h_case(struct qf_http_req *r, void *ctx);
void intake_h_cases(struct qf_http_req *r, void *ctx);
void intake_h_contact(struct qf_http_req *r, void *ctx);
void intake_h_media_post(struct qf_http_req *r, void *ctx);
void intake_h_media_get(struct qf_http_req *r, void *ctx);
void intake_h_visit_post(struct qf_http_req *r, void *ctx);
void intake_h_visits_get(struct qf_http_req *r, void *ctx);
/* The visit log of staff (NULL: everyone's) in month ("YYYY-MM", NULL: all):
 * GET /v1/visits' answer {visits, count, households, distinct_households}
 * (distinct: by building and unit). Caller owns it. */
json_t *intake_visits_list(struct intake *in, const char *staff, const char *month);
/* The household a visit counts for (building and unit) as 64 hex digits of
 * SHA-256: VisitRecorded.household_key, private, so the router's duty
 * counts distinct households without keeping an address. */
void intake_visit_household_key(const char *building, const char *unit, char out[65]);
/* Record a visit (no petition) from obj through POST /v1/visits' path:
 * 0 when queued (done answers r: visit_id, or NULL with the verdict), -1
 * with the verdict in e (the caller answers), or 1 when it could not be
 * queued and r was answered (done is not called). */
typedef void (*intake_visit_done)(void *arg, struct qf_http_req *r, const char *visit_id,
				  const struct intake_err *e);
int intake_visit_start(struct intake *in, struct qf_http_req *r, const json_t *obj,
		       intake_visit_done done, void *arg, struct intake_err *e);
void intake_h_disclosure_ledger(struct qf_http_req *r, void *ctx);
void intake_h_disclosure_balance(struct qf_http_req *r, void *ctx);
void intake_h_disclosure_notice(struct qf_http_req *r, void *ctx);
void intake_h_disclosure_list(struct qf_http_req *r, void *ctx);
void intake_h_disclosure_roster(struct qf_http_req *r, void *ctx);
void intake_h_disclosure_correct(struct qf_http_req *r, void *ctx);
void intake_h_disclosure_get(struct qf_http_req *r, void *ctx);
/* Forget a reviewed hold's texts, contact and photos and store h (the hold
 * as read, with its new status) in their place; the hold's readable members
 * stay. Inside the writer's transaction. */
int intake_hold_forget(struct intake *in, struct qf_txn *t, const char *hold_id,
		       json_t *h);
/* Read hold id: its record and its contact (each NULL when absent; the
 * caller decrefs both). */
void intake_hold_read(struct intake *in, const char *id, json_t **rec, json_t **contact);
/* The petition a hold (rec, contact as read) keeps, its contact merged back
 * and, when building is not NULL, that building; decoded as at submission
 * into p. 0, or -1 with e set. */
int intake_hold_petition(struct intake *in, const json_t *rec, const json_t *contact,
			 const char *building, struct intake_petition *p,
			 struct intake_err *e);
/* Submit a reviewed hold's petition p (consumed) as a case: so gives the
 * hooks; the rest (the hold's client, code and secret, no spam check, no
 * rate limits) is filled in from rec here. */
void intake_hold_submit(struct intake *in, struct qf_http_req *r, const json_t *rec,
			struct intake_petition *p, struct intake_sub_opts *so);
void intake_h_holds_get(struct qf_http_req *r, void *ctx);
void intake_h_hold_release(struct qf_http_req *r, void *ctx);
void intake_h_hold_dismiss(struct qf_http_req *r, void *ctx);

/* The resident's words (Chinese) for a case state or a follow status
 * ("accepted" -> 已受理); "" for an unknown one. Static storage. */
const char *intake_state_text(const char *st);

/* ------------------------------------------------------------ dispatch.c */

void intake_h_dispatch_list(struct qf_http_req *r, void *ctx);
void intake_h_dispatch_assign(struct qf_http_req *r, void *ctx);
void intake_h_community(struct qf_http_req *r, void *ctx);
void intake_h_o311_discovery(struct qf_http_req *r, void *ctx);
void intake_h_o311_services(struct qf_http_req *r, void *ctx);
void intake_h_o311_service(struct qf_http_req *r, void *ctx);
void intake_h_o311_requests_get(struct qf_http_req *r, void *ctx);
void intake_h_o311_requests_post(struct qf_http_req *r, void *ctx);
void intake_h_o311_request_get(struct qf_http_req *r, void *ctx);
void intake_h_o311_token_get(struct qf_http_req *r, void *ctx);

/* Helpers of open311.c shared with o311_updates.c. Reply with j (stolen) as
 * JSON or, when xml, as XML under the element root. */
void intake_o311_reply(struct qf_http_req *r, int xml, unsigned status, const char *root,
		       json_t *j);
/* Reply with the spec's error list [{code, description}]. */
void intake_o311_error(struct qf_http_req *r, int xml, unsigned status, const char *desc);
/* The :fmt route parameter: 0 json, 1 xml; -1 after replying 404. */
int intake_o311_fmt(struct qf_http_req *r);
/* Open311 enabled and jurisdiction_id (if given) ours: 0; else -1 after
 * replying 404. */
int intake_o311_gate(struct intake *in, struct qf_http_req *r, int xml);
/* Open311 status of an intake case state: "open" or "closed". */
const char *intake_o311_status(const char *state);

/* ------------------------------------------------------------ o311_updates.c */

void intake_h_o311_updates_get(struct qf_http_req *r, void *ctx);

/* ------------------------------------------------------------ actions.c */
/* Waiters: requests parked until the router answers a command. */
int intake_waiters_new(struct intake_waiters **out);
void intake_waiters_destroy(struct intake_waiters **w);
/* A committed result for a command (called on the core thread after the
 * consumer's commit): replies to its waiter, if any. result is the command
 * record (JSON). */
void intake_waiters_complete(struct intake *in, const char *cmd, const json_t *record);
/* Requests parked now. */
int intake_waiters_pending(struct intake *in);
/* Answer waiters whose time is up with 202; returns ms to the next
 * deadline (or -1 when none). */
int intake_waiters_expire(struct intake *in, int64_t now_mono_ms, int all);
/* Reply to a command poll or a finished wait from its record. */
void intake_command_reply(struct qf_http_req *r, const json_t *record, int waited);
/* Park r for command cmd (deadline action_wait_ms from now); the caller has
 * already suspended r. kind: "staff" (ACTION_RESULT only) or "feedback". */
void intake_waiters_add(struct intake *in, struct qf_http_req *r, const char *cmd,
			int feedback);
/* Make the waiter of cmd a page's: answered by a 303 to the case page
 * /staff/cases/<case_id>?cmd=<cmd> (verdict or timeout alike). */
void intake_waiters_page(struct intake *in, const char *cmd, const char *case_id);
/* Start a staff action on case_id from obj (the JSON of POST
 * /v1/cases/:id/actions) as qf_access_staff(r): the same decoding, command
 * and wait for both the API and the pages (page 1: answered by a redirect
 * to the case page, a refusal by intake_staff_act_refused). 1 when r is
 * answered or queued; -1 with the refusal in e (the caller answers).
 * ups: photos sent as files (a page's form; their data is consumed), or
 * NULL. */
struct intake_upload;
int intake_action_start(struct intake *in, struct qf_http_req *r, const char *case_id,
			const json_t *obj, struct intake_upload *ups, unsigned nups,
			int page, struct intake_err *e);
/* The case page answering a refused page action (staffweb.c). */
void intake_staff_act_refused(struct intake *in, struct qf_http_req *r, const char *case_id,
			      const struct intake_err *e);
/* A case as staff s may read it (GET /v1/cases/:id's view, with the notes
 * as written): a new object and *status 200, or NULL with 404 / 403. */
json_t *intake_case_staff_view(struct intake *in, const struct qf_staff *s,
			       const char *case_id, int *status);
/* The petitioner's contact details for a staff page (GET/POST
 * /v1/cases/:id/contact's path: the policy, the view record and its
 * CONTACT_VIEWED event in one commit, before anything is shown): page runs
 * after the commit with the contact (the caller shows it; owned by the
 * job) or the refusal. reason (malloc'd, non-empty, checked) is taken.
 * QF_OK when queued (or answered 503 by intake_queue), QF_ERR_NOMEM /
 * QF_ERR_NOTFOUND when not (the caller answers). */
typedef void (*intake_contact_page)(struct intake *in, struct qf_http_req *r,
				    const char *case_id, const json_t *contact,
				    const struct intake_err *e);
int intake_contact_start(struct intake *in, struct qf_http_req *r, const char *case_id,
			 char *reason, intake_contact_page page);
/* The spam review queue (holds.c), shared by the API and the staff pages:
 * the held submissions of status ("held", "released", "dismissed", "all"),
 * newest first, without the secret's hash (a new array). */
json_t *intake_holds_list(struct intake *in, const char *status);
/* Release hold id (body: {note?, building?}) as qf_access_staff(r): page
 * NULL answers as POST /v1/spam/:id/release; else its reply hook answers.
 * 0 when submitted, -1 with the refusal in e (the caller answers). */
int intake_hold_release_start(struct intake *in, struct qf_http_req *r, const char *id,
			      const json_t *body, struct intake_sub_opts *page,
			      struct intake_err *e);
/* Dismiss hold id (body: {note?} or NULL): page NULL answers as POST
 * /v1/spam/:id/dismiss; else page runs after the commit (e: the refusal,
 * or NULL). 0 when queued (or answered 503), -1 with the refusal in e. */
typedef void (*intake_hold_page)(struct intake *in, struct qf_http_req *r, const char *id,
				 const struct intake_err *e);
int intake_hold_dismiss_start(struct intake *in, struct qf_http_req *r, const char *id,
			      const json_t *body, intake_hold_page page, struct intake_err *e);
/* Call fn for each case record s may read (newest first) until it returns
 * non-zero; in a read transaction (t). */
int intake_cases_each(struct intake *in, struct qf_txn *t, const struct qf_staff *s,
		      int (*fn)(void *arg, struct qf_txn *t, const json_t *rec), void *arg);

/* A decoded staff action (POST /v1/cases/:id/actions). */
struct intake_action {
	const struct action_kind *kind; /* name and ActionKind */
	char *target_staff, *reason, *cause, *progress, *result, *related_case;
	int reject; /* RejectReason */
	const char *reject_name;
	unsigned extension_hours;
	struct intake_media media[INTAKE_MAX_MEDIA];
	unsigned nmedia;
};
/* Decode and validate an action body (pure; the fuzzers call it). case_id
 * (may be NULL) is the case acted on. 0, or -1 with the verdict. */
int intake_action_decode(const json_t *obj, const struct qf_community *c,
			 const char *case_id, unsigned max_media,
			 uint64_t max_media_bytes, struct intake_action *a,
			 struct intake_err *e);
void intake_action_free(struct intake_action *a);
/* A case record read in its own read transaction (new reference or NULL). */
json_t *intake_case_load(struct intake *in, const char *case_id);

/* Access (access.c): the gate's callbacks; a case record's facts for the
 * policy; the policy's decision on a record a handler holds (list rows,
 * photos): 1 allowed. */
void intake_access(struct intake *in, struct qf_access *a);
void intake_case_facts(struct intake *in, const json_t *rec, struct qf_case_facts *f);
int intake_may(struct intake *in, const struct qf_staff *s, enum qf_action a,
	       const json_t *rec);

/* Who viewed a case's contact details, when and why (oldest first): a new
 * JSON array for the petitioner's follow view and export. */
json_t *intake_contact_views(struct intake *in, struct qf_txn *t, const char *id);

/* Actor helpers: JSON {staff_id, role, name} from a staff member. */
json_t *intake_actor_json(const struct qf_staff *s);

/* Emit an event in t: msg is the whole message, pc decides its public part
 * (qf_privacy.h; NULL: the strictest, for events about no case). */
int intake_emit(struct intake *in, struct qf_txn *t, int type, const char *key,
		const char *case_id, const char *correlation,
		const ProtobufCMessage *msg, const struct qf_privacy *pc);
/* The same for an event of the petitioner's (feedback, export): its place
 * in the outbox is added to rec's "events" (their receipts); the caller
 * writes rec afterwards. rec NULL: as intake_emit. */
int intake_emit_for(struct intake *in, struct qf_txn *t, int type, const char *key,
		    const char *case_id, const char *correlation,
		    const ProtobufCMessage *msg, const struct qf_privacy *pc, json_t *rec);
/* The privacy context of a case's events and their partition key, from its
 * record (consent, category, integrity report): key gets at most n bytes.
 * pc->mask is NULL: set it to a case's intake_mask for [consent] text. */
void intake_case_privacy(struct intake *in, const json_t *rec, struct qf_privacy *pc,
			 char *key, size_t n);

#endif
