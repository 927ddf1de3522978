/* ntf_channel.h: the wire formats of the five channels, as pure functions.
 *
 * ntf_request_build() turns one delivery (struct ntf_job) into exactly the
 * bytes to send: URL, headers and body for the generic webhook (JSON, signed
 * with HMAC-SHA256 over "timestamp.body"), the WeCom and DingTalk group
 * robots (their JSON; DingTalk's signed URL), SMS through a gateway request
 * template, and an RFC 5322 message for SMTP (RFC 2047 subject, base64 UTF-8
 * body, Message-ID = delivery id). ntf_response_classify() reads the answer:
 * delivered, worth retrying, or refused for good. No I/O happens here: the
 * sender thread does the transfer, and tests check the bytes.
 */
#ifndef NTF_CHANNEL_H
#define NTF_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "ntf_conf.h"
#include "ntf_keys.h"
#include "ntf_store.h"

enum ntf_outcome {
	NTF_OUT_OK = 0,	   /* delivered */
	NTF_OUT_TRANSIENT, /* retry later */
	NTF_OUT_PERMANENT, /* refused: dead letter at once */
	NTF_OUT_SKIP,	   /* no address on this channel: nothing to retry */
	NTF_OUT_CANCEL,	   /* the follower is gone */
};
const char *ntf_outcome_name(int o);

/* One attempt of one delivery, self-contained: the sender thread needs
 * nothing else. Every pointer is owned by the job (ntf_job_free). */
struct ntf_job {
	char id[NTF_ID_LEN + 1];
	int fmt;			   /* enum ntf_fmt */
	int to;				   /* enum ntf_to */
	const struct ntf_channel_conf *ch; /* immutable configuration */
	char *url;			   /* follower's own URL (NULL: the channel's) */
	char *subject, *text, *markdown;
	char *event, *event_id, *case_id, *tracking_code, *rule, *rk, *rid;
	char *to_addr;	 /* staff e-mail or phone (not resident data) */
	char **mentions; /* phones to mention in robot groups */
	unsigned nmentions;
	uint8_t *sealed; /* petitioner: contact box from intake;
			    follower: address sealed to us */
	size_t sealed_len;
	uint8_t *sealed_secret; /* follower's signing secret, sealed to us */
	size_t sealed_secret_len;
	char *unsubscribe; /* follower: one-step unsubscribe URL */
	char *masked;	   /* recipient for outcomes, when known */
	int attempt;	   /* this attempt, from 1 */
	int64_t created;
	/* result, filled by the sender */
	int outcome;		/* enum ntf_outcome */
	char err[160];		/* short reason; never contact details */
	long status;		/* HTTP or SMTP reply code */
	int64_t retry_after_ms; /* from a Retry-After header, or 0 */
	double seconds;		/* transfer time */
	struct ntf_job *next;
	void *priv; /* the sender's transfer state */
};
void ntf_job_free(struct ntf_job *j);

/* The request for one attempt. Owned strings; ntf_request_wipe frees them
 * (zeroing: the body may hold a phone number or an address). */
struct ntf_request {
	char *url;
	const char *method; /* "POST", "GET" or "PUT" */
	char **headers;	    /* "Name: value" */
	unsigned nheaders;
	char *body;
	size_t body_len;
	int smtp; /* body is a mail; envelope below */
	char *mail_from, *rcpt;
	char masked[96]; /* the recipient as outcomes may show it */
};
void ntf_request_wipe(struct ntf_request *r);

/* Build the request of job j at time now_ms (signatures use it). The
 * petitioner's contact is opened here with keys (and wiped before return);
 * a follower's address too. Returns NTF_OUT_OK with *r filled,
 * NTF_OUT_SKIP / NTF_OUT_PERMANENT / NTF_OUT_TRANSIENT with a reason in
 * err, or QF_ERR_NOMEM. */
int ntf_request_build(const struct ntf_job *j, const struct ntf_keys *keys,
		      int64_t now_ms, struct ntf_request *r, char *err, size_t n);

/* Classify an answer. transport_err: 0 when an answer arrived (status is
 * its code), else a short transport failure text in `transport` and a
 * transient/permanent verdict in transport_err (NTF_OUT_*). body is the
 * start of the answer (may be NULL). Returns NTF_OUT_* with a reason. */
int ntf_response_classify(int fmt, int transport_err, const char *transport, long status,
			  const char *body, size_t len, const char *ok_contains,
			  char *err, size_t n);

/* Pieces exposed for tests. */
/* "sha256=" + hex HMAC-SHA256(secret, ts "." body) into out (>= 72). */
void ntf_webhook_signature(const char *secret, const char *ts, const char *body,
			   size_t len, char *out, size_t n);
/* DingTalk: URL-encoded base64 HMAC-SHA256(secret, ts "\n" secret). */
char *ntf_dingtalk_sign(const char *secret, const char *ts_ms);
/* RFC 2047 encoded-words (B encoding, UTF-8) for a header value, folded
 * so that no encoded word exceeds 75 characters. Plain ASCII is left as is. */
char *ntf_rfc2047(const char *s);

#endif
