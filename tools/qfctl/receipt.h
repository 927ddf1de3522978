/* receipt.h: a petitioner's receipt (docs/API.md, "Receipts"), the JSON
 * intake hands out with a new petition and its follow view:
 *
 *   {"case_id": "C...", "producer": "intake", "type": "PETITION_SUBMITTED",
 *    "event_id": "<hex>", "nonce": "<64 hex>", "private": "<base64>",
 *    "commitment": "<64 hex>", "leaf_index": 42}
 *
 * "private" is the whole payload message (PrivatePart.payload), "nonce" the
 * opening of the leaf's commitment; both are absent when the event was all
 * public or its private part was deleted (then event_id or leaf_index must
 * be there). event_id, leaf_index and commitment are optional (without the
 * first two, the case's history is searched for the commitment); other
 * members (intake's partition, seq, private_expired) are ignored. This
 * module only parses; `qfctl audit receipt` checks it against the log. */
#ifndef QFCTL_RECEIPT_H
#define QFCTL_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#define QFCTL_RECEIPT_MAX (1u << 20) /* bytes of receipt text accepted */

struct qfctl_receipt {
	char case_id[200]; /* "" when absent */
	char producer[64]; /* "" when absent */
	int type;	   /* event type number (qf_event) */
	uint8_t event_id[64];
	size_t event_id_len; /* 0: absent */
	int has_opening;     /* nonce and private given */
	uint8_t nonce[32];
	uint8_t *priv; /* the whole payload, malloc'd (NULL without opening) */
	size_t priv_len;
	int has_commitment; /* "commitment" given */
	uint8_t commitment[32];
	int has_leaf;
	uint64_t leaf_index;
};

/* Parse len bytes of receipt text into r. Returns 0, or -1 with a Chinese
 * reason in err (n bytes) for anything malformed or missing; r then holds
 * nothing to free. On success free it with qfctl_receipt_free. */
int qfctl_receipt_parse(const char *text, size_t len, struct qfctl_receipt *r, char *err,
			size_t n);
/* Accepts a zeroed or freed receipt; safe twice. */
void qfctl_receipt_free(struct qfctl_receipt *r);

#endif
