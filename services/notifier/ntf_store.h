/* ntf_store.h: the notifier's databases in its LMDB store and the records
 * kept in them.
 *
 *   ntf.deliveries  delivery id -> delivery record (JSON)
 *   ntf.due         channel \0 be64(due ms) id -> ""   (the send schedule)
 *   ntf.dead        be64(dead ms) id -> ""               (dead letters)
 *   ntf.by_case     case id \0 be64(created ms) id -> "" (a case's messages)
 *   ntf.expire      be64(expiry ms) kind key -> ""       (retention)
 *   ntf.cases       case id -> case record (JSON): what later events lack,
 *                   including the petitioner's contact exactly as sealed
 *   ntf.tracking    tracking code -> case id
 *   ntf.subs        follow id -> follow record (JSON, address sealed)
 *   ntf.sub_target  target \0 follow id -> ""
 *   vault.keys      (qf_vault) one key per case
 *
 * What a record holds about a case's people is sealed under the case's
 * vault key (qf_vault.h, subject = the case id) in a "box" member: a
 * delivery's rendered subject, text, markdown, masked recipient and last
 * error; a case's sealed contact, masked phone and pseudonym; a case
 * follow's address, signing secret and masked address. The get and put
 * functions open and seal the box, so callers see plain fields; once the
 * case's key is forgotten (PRIVATE_EXPIRED) every copy of those fields,
 * wherever LMDB left it in the file, is ciphertext nobody can open.
 *
 * Records are JSON so that an operator can read them with mdb_dump and a
 * field can be added without a migration. Every function here runs inside
 * a caller's transaction and has no effect outside it. Strings in records
 * are malloc'd and owned by the record (ntf_*_clear frees them).
 */
#ifndef NTF_STORE_H
#define NTF_STORE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "qf_store.h"

#define NTF_ID_LEN       32 /* hex characters of a delivery id */
#define NTF_TRACKING_MAX 64 /* longer tracking codes are not indexed */

struct qf_vault;

struct ntf_db {
	MDB_dbi deliveries, due, dead, by_case, expire, cases, tracking, subs, sub_target;
	struct qf_vault *vault; /* the store's vault (owned: ntf_db_close) */
};

/* Open (create) every database and the vault. Returns 0 or an error. */
int ntf_db_open(struct qf_store *s, struct ntf_db *db);
/* Release what ntf_db_open made. Safe twice. */
void ntf_db_close(struct ntf_db *db);
/* Forget a subject's private data (PRIVATE_EXPIRED), inside t: its vault
 * key, and the follows of the case it names. Returns 0 or a store error. */
int ntf_db_forget(struct qf_txn *t, const struct ntf_db *db, const char *subject);

/* ------------------------------------------------------------ deliveries */

enum ntf_state {
	NTF_ST_PENDING = 0, /* scheduled, in ntf.due */
	NTF_ST_DELIVERED,   /* the receiver accepted it */
	NTF_ST_DEAD,	    /* attempts exhausted or refused: in ntf.dead */
	NTF_ST_SKIPPED,	    /* no address for this channel (nothing to retry) */
	NTF_ST_CANCELLED,   /* the follower left before it was sent */
	NTF_ST_COUNT
};
const char *ntf_state_name(int st);
int ntf_state_parse(const char *s);

/* Who a delivery goes to, which decides where its address comes from. */
enum ntf_to {
	NTF_TO_PETITIONER = 0, /* the case's sealed contact */
	NTF_TO_STAFF,	       /* staff contacts in the configuration */
	NTF_TO_FOLLOWER,       /* a follow record (address sealed) */
	NTF_TO_GROUP,	       /* the channel itself (robot group, webhook) */
	NTF_TO_COUNT
};

struct ntf_delivery {
	char id[NTF_ID_LEN + 1];
	int state;
	int to;	     /* enum ntf_to */
	int fmt;     /* enum ntf_fmt */
	int confirm; /* a follow confirmation, not an event's */
	int urgent;  /* bypasses quiet hours */
	int quiet;   /* subject to quiet hours (residents) */
	int attempts;
	char *channel; /* channel name (limits, endpoint) */
	char *rk;      /* recipient kind for outcomes ("assignee") */
	char *rid;     /* staff id, follow id or channel name */
	char *rdisp;   /* recipient as outcomes show it (masked) */
	char *case_id, *tracking_code, *pkey, *rule, *event;
	uint8_t event_id[16];
	int has_event_id;
	char *subject, *text, *markdown;
	char **mentions; /* staff ids to mention (robot groups) */
	unsigned nmentions;
	char *last_err;
	int64_t created, due, last_ms, done_ms;
	/* the private fields as stored (subject, text, markdown, rdisp,
	   last_err), sealed under the case's key; NULL after get */
	uint8_t *box;
	size_t box_len;
	int expired; /* get: the box could not be opened (retention forgot
			the case): the private fields are NULL */
};

void ntf_delivery_clear(struct ntf_delivery *d);
/* Encode as JSON (malloc'd, caller frees) / decode (fills d; returns 0 or
 * QF_ERR_PROTO for a malformed record). Pure: the box is carried as it is,
 * neither opened nor made. */
char *ntf_delivery_encode(const struct ntf_delivery *d, size_t *len);
int ntf_delivery_decode(const void *data, size_t len, struct ntf_delivery *d);
/* The record as an operator sees it over HTTP (new reference). */
struct json_t;
struct json_t *ntf_delivery_json(const struct ntf_delivery *d);

/* Load (QF_ERR_NOTFOUND when absent; QF_ERR_PROTO when malformed or its
 * box does not authenticate; d->expired when the box's key was forgotten)
 * / store a delivery record, a case's private fields sealed under the
 * case's key (once that key is forgotten, they are dropped: the record is
 * stored without them). */
int ntf_delivery_get(struct qf_txn *t, const struct ntf_db *db, const char *id,
		     struct ntf_delivery *d);
int ntf_delivery_put(struct qf_txn *t, const struct ntf_db *db,
		     const struct ntf_delivery *d);
/* Schedule index keys. */
size_t ntf_due_key(uint8_t *k, size_t cap, const char *channel, int64_t due,
		   const char *id);
int ntf_due_put(struct qf_txn *t, const struct ntf_db *db, const char *channel,
		int64_t due, const char *id);
int ntf_due_del(struct qf_txn *t, const struct ntf_db *db, const char *channel,
		int64_t due, const char *id);
int ntf_dead_put(struct qf_txn *t, const struct ntf_db *db, int64_t at, const char *id);
int ntf_dead_del(struct qf_txn *t, const struct ntf_db *db, int64_t at, const char *id);
int ntf_by_case_put(struct qf_txn *t, const struct ntf_db *db, const char *case_id,
		    int64_t created, const char *id);
int ntf_by_case_del(struct qf_txn *t, const struct ntf_db *db, const char *case_id,
		    int64_t created, const char *id);
/* Retention: kind 'd' delivery, 'c' case, 's' follow. */
int ntf_expire_put(struct qf_txn *t, const struct ntf_db *db, int64_t at, char kind,
		   const char *key);

/* The stable id: hex of the first 16 bytes of SHA-256(event id 0 recipient
 * 0 channel). Same inputs, same id, in every process and every run. */
void ntf_delivery_id(const uint8_t *event_id, size_t id_len, const char *recipient,
		     const char *channel, char out[NTF_ID_LEN + 1]);

/* ------------------------------------------------------------ cases */

struct ntf_case {
	char *case_id, *tracking_code, *category, *building, *priority;
	char *assignee, *assignee_name, *concerns_staff, *phone_masked, *pseudonym;
	uint8_t *sealed; /* the petitioner's contact, as sealed by intake */
	size_t sealed_len;
	int petition_seen; /* PETITION_SUBMITTED applied */
	int state;	   /* CaseState */
	int consent;	   /* the petitioner consented to public display */
	int sensitive;	   /* an integrity report or a sensitive category */
	int64_t respond_due, resolve_due, updated_ms, closed_ms;
	/* the private fields as stored (sealed, phone_masked, pseudonym) */
	uint8_t *box;
	size_t box_len;
	int expired; /* get: retention forgot them (the fields are NULL) */
};

void ntf_case_clear(struct ntf_case *c);
char *ntf_case_encode(const struct ntf_case *c, size_t *len);
int ntf_case_decode(const void *data, size_t len, struct ntf_case *c);
/* Load / store a case record, its private fields sealed under the case's
 * key, exactly as ntf_delivery_get/put. */
int ntf_case_get(struct qf_txn *t, const struct ntf_db *db, const char *case_id,
		 struct ntf_case *c);
int ntf_case_put(struct qf_txn *t, const struct ntf_db *db, const struct ntf_case *c);
/* Case id of a tracking code (copied into out, n bytes). */
int ntf_tracking_get(struct qf_txn *t, const struct ntf_db *db, const char *code,
		     char *out, size_t n);

/* ------------------------------------------------------------ follows */

enum ntf_sub_state { NTF_SUB_PENDING = 0, NTF_SUB_ACTIVE, NTF_SUB_REMOVED };
const char *ntf_sub_state_name(int st);

struct ntf_sub {
	char *id, *target, *masked;
	int fmt;       /* email, webhook, wecom, dingtalk */
	uint8_t *addr; /* address sealed to the notifier's own key */
	size_t addr_len;
	uint8_t *secret; /* signing secret, sealed likewise (optional) */
	size_t secret_len;
	int state;
	int confirms; /* confirmation messages sent */
	/* sms follows: the keyed hash of the code last sent (confirmation by
	   code, not by link) and the wrong codes tried against it */
	uint8_t code_hash[32];
	int has_code, code_tries;
	int64_t created, confirmed, confirm_sent, removed;
	/* a case follow's addr, secret and masked as stored, sealed under the
	   case's key */
	uint8_t *box;
	size_t box_len;
};

void ntf_sub_clear(struct ntf_sub *s);
char *ntf_sub_encode(const struct ntf_sub *s, size_t *len);
int ntf_sub_decode(const void *data, size_t len, struct ntf_sub *s);
/* Load / store a follow; a case follow's private fields are sealed under
 * the case's key. get answers QF_ERR_NOTFOUND for a case follow whose key
 * was forgotten (the follow ended with the case's retention); put answers
 * QF_ERR_GONE for one, writing nothing. */
int ntf_sub_get(struct qf_txn *t, const struct ntf_db *db, const char *id,
		struct ntf_sub *s);
int ntf_sub_put(struct qf_txn *t, const struct ntf_db *db, const struct ntf_sub *s);
int ntf_sub_target_put(struct qf_txn *t, const struct ntf_db *db, const char *target,
		       const char *id);
int ntf_sub_target_del(struct qf_txn *t, const struct ntf_db *db, const char *target,
		       const char *id);
/* Call fn for each follow id of a target (in id order) until it returns
 * nonzero (returned). */
int ntf_sub_target_each(struct qf_txn *t, const struct ntf_db *db, const char *target,
			int (*fn)(void *arg, const char *id), void *arg);

/* Entries in a database (for gauges). */
uint64_t ntf_db_count(struct qf_txn *t, MDB_dbi dbi);

#endif
