/* crec.h: the compact binary form of the case view's members (the values of
 * dp.case), written on apply and rendered as JSON only when read.
 *
 * Design: a member is a tag-length-value: one byte naming the member (an
 * index into one table of every member name the case document uses), one
 * byte for its type, then the value (varints for integers and lengths,
 * UTF-8 bytes for strings, a nested TLV run for objects). Event types and
 * case states are small numbers rendered as their codes. Rendering sorts
 * members by name, so the JSON is what a document written with sorted keys
 * gives back. Nothing here knows about cases: cases.c decides the members.
 *
 * Memory: writers append to a struct qf_buf (buf.h); readers point into the
 * bytes they are given and copy nothing.
 */
#ifndef DP_CREC_H
#define DP_CREC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "qf_buf.h"

/* Member names, in strcmp order (crec_key_name). */
#define CREC_KEYS(X)                                                                     \
	X(ACTOR, "actor")                                                                \
	X(ADDRESS, "address")                                                            \
	X(ANONYMOUS, "anonymous")                                                        \
	X(ASSIGNEE, "assignee")                                                          \
	X(ASSIGNEE_NAME, "assignee_name")                                                \
	X(ASSIGNEE_POST, "assignee_post")                                                \
	X(AT_MS, "at_ms")                                                                \
	X(BREACHED, "breached")                                                          \
	X(BUILDING, "building")                                                          \
	X(BUILDING_NAME, "building_name")                                                \
	X(CATEGORY, "category")                                                          \
	X(CATEGORY_NAME, "category_name")                                                \
	X(CAUSE, "cause")                                                                \
	X(CHANNEL, "channel")                                                            \
	X(CLOSED_MS, "closed_ms")                                                        \
	X(CLOSED_WITHOUT_FEEDBACK, "closed_without_feedback")                            \
	X(COMMENT, "comment")                                                            \
	X(CONSENT_PUBLIC, "consent_public")                                              \
	X(CONTENT_TYPE, "content_type")                                                  \
	X(DESCRIPTION, "description")                                                    \
	X(DUE_MS, "due_ms")                                                              \
	X(ENTERED_BY, "entered_by")                                                      \
	X(ESCALATED, "escalated")                                                        \
	X(ESCALATED_TO, "escalated_to")                                                  \
	X(ESCALATION_ROLE, "escalation_role")                                            \
	X(EXTENSION_APPROVED, "extension_approved")                                      \
	X(EXTENSION_HOURS, "extension_hours")                                            \
	X(FIRST_RESPONSE_MS, "first_response_ms")                                        \
	X(FROM, "from")                                                                  \
	X(HANDLER, "handler")                                                            \
	X(ID, "id")                                                                      \
	X(K, "k")                                                                        \
	X(KIND, "kind")                                                                  \
	X(LAT, "lat")                                                                    \
	X(LNG, "lng")                                                                    \
	X(LOCATION, "location")                                                          \
	X(MEDIA, "media")                                                                \
	X(NAME, "name")                                                                  \
	X(OWNER, "owner")                                                                \
	X(PERMILLE, "permille")                                                          \
	X(PETITION, "petition")                                                          \
	X(PHONE, "phone")                                                                \
	X(POST, "post")                                                                  \
	X(PREVIOUS_ASSIGNEE, "previous_assignee")                                        \
	X(PRIORITY, "priority")                                                          \
	X(PROGRESS, "progress")                                                          \
	X(RATING, "rating")                                                              \
	X(REASON, "reason")                                                              \
	X(REJECT_REASON, "reject_reason")                                                \
	X(RELATED_CASE, "related_case")                                                  \
	X(REMINDER, "reminder")                                                          \
	X(REOPEN_COUNT, "reopen_count")                                                  \
	X(REPEAT_COUNT, "repeat_count")                                                  \
	X(RESOLVE_DUE_MS, "resolve_due_ms")                                              \
	X(RESOLVED_MS, "resolved_ms")                                                    \
	X(RESPOND_DUE_MS, "respond_due_ms")                                              \
	X(RESULT, "result")                                                              \
	X(ROLE, "role")                                                                  \
	X(SENSITIVE, "sensitive")                                                        \
	X(SHA256, "sha256")                                                              \
	X(STAFF_ID, "staff_id")                                                          \
	X(STATE, "state")                                                                \
	X(STATE_NAME, "state_name")                                                      \
	X(SUBMITTED_MS, "submitted_ms")                                                  \
	X(TIMELINE, "timeline")                                                          \
	X(TO, "to")                                                                      \
	X(TRACKING_CODE, "tracking_code")                                                \
	X(TRANSFER_COUNT, "transfer_count")                                              \
	X(TYPE, "type")                                                                  \
	X(URL, "url")                                                                    \
	X(WITHHELD, "withheld")

#define CREC_ENUM(name, text) K_##name,
enum crec_key { CREC_KEYS(CREC_ENUM) K_COUNT };
#undef CREC_ENUM

enum crec_type {
	CT_STR = 1, /* varint length, UTF-8 bytes */
	CT_INT,	    /* zigzag varint */
	CT_TRUE,
	CT_FALSE,
	CT_NULL,
	CT_REAL,  /* 8 bytes, native double */
	CT_OBJ,	  /* varint length, a TLV run */
	CT_ARR,	  /* varint length, elements: type byte + value (no key) */
	CT_ETYPE, /* varint EventType, rendered as its name */
	CT_STATE, /* varint CaseState, rendered as its code */
	CT_SAME,  /* (stored entries only) the previous entry's member */
};

/* The member name of a key ("" when out of range). */
const char *crec_key_name(unsigned key);

/* ------------------------------------------------------------ writing */
void crec_varint(struct qf_buf *b, uint64_t v);
/* A string member; skipped when s is NULL, empty, or not valid UTF-8
 * (what a JSON document could not hold either). */
void crec_str(struct qf_buf *b, unsigned key, const char *s);
void crec_strn(struct qf_buf *b, unsigned key, const char *s, size_t n);
void crec_int(struct qf_buf *b, unsigned key, int64_t v);
void crec_bool(struct qf_buf *b, unsigned key, int v);
void crec_null(struct qf_buf *b, unsigned key);
void crec_real(struct qf_buf *b, unsigned key, double v);
void crec_small(struct qf_buf *b, unsigned key, unsigned type,
		uint64_t v); /* ETYPE, STATE */
/* An object or array member whose encoded body is `body` (n bytes). */
void crec_nested(struct qf_buf *b, unsigned key, unsigned type, const void *body, size_t n);

/* ------------------------------------------------------------ reading */
struct crec_v {
	unsigned key, type;
	int64_t i;	   /* INT, ETYPE, STATE */
	double r;	   /* REAL */
	const char *s;	   /* STR: bytes (not NUL-terminated); OBJ/ARR: body */
	size_t n;	   /* length of s */
	const uint8_t *at; /* where the member starts, and its encoded size */
	size_t size;
};
struct crec_it {
	const uint8_t *p, *end;
	int array; /* elements carry no key */
};
void crec_it_init(struct crec_it *it, const void *p, size_t n, int array);
/* The next member: 1, 0 at the end, -1 when malformed. */
int crec_next(struct crec_it *it, struct crec_v *v);
int crec_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);
/* Find a member of a run by key: 1 found (v filled), 0 not. */
int crec_find(const void *p, size_t n, unsigned key, struct crec_v *v);
/* A string member copied into out (n bytes, NUL-terminated); "" if absent. */
const char *crec_get_str(const void *p, size_t len, unsigned key, char *out, size_t n);

/* ------------------------------------------------------------ JSON */
/* The JSON value of one member (new reference; NULL for CT_SAME). */
json_t *crec_value_json(const struct crec_v *v);
/* Render a run as a JSON object with its members sorted by name; `extra`
 * (may be NULL) are members added by the caller (their references are
 * stolen) under the given keys. NULL when malformed or out of memory. */
json_t *crec_object_json(const void *p, size_t n, const unsigned *extra_keys,
			 json_t **extra, unsigned nextra);

/* A JSON string literal escaped exactly as jansson's json_dumps does. */
void crec_json_str(struct qf_buf *b, const char *s, size_t n);

#endif
