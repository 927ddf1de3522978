/* fuzz_qfctl_receipt: the receipt parser of `qfctl audit receipt`
 * (tools/qfctl/receipt.c), which reads text a resident pastes or a file of
 * unknown origin. Properties: any input is parsed or refused with a reason,
 * never a crash or a leak; a receipt that parses, written back as JSON the
 * way intake writes it, parses to the same receipt (with or without the
 * opening, with or without the commitment). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qf_event.h"
#include "qf_id.h"
#include "qf_note.h"
#include "receipt.h"

static char *s_again(const struct qfctl_receipt *r)
{
	char nonce[65], id[129], c[65];
	json_t *o = json_pack("{s:s, s:s, s:s}", "type", qf_event_type_name(r->type),
			      "case_id", r->case_id, "producer", r->producer);
	if (!o)
		return NULL;
	if (r->has_opening) {
		char *priv = qf_b64_encode(r->priv, r->priv_len);
		json_object_set_new(o, "nonce", json_string(qf_hex(r->nonce, 32, nonce)));
		json_object_set_new(o, "private", json_string(priv ? priv : ""));
		free(priv);
	}
	if (r->has_commitment)
		json_object_set_new(o, "commitment",
				    json_string(qf_hex(r->commitment, 32, c)));
	if (r->event_id_len)
		json_object_set_new(
		    o, "event_id", json_string(qf_hex(r->event_id, r->event_id_len, id)));
	if (r->has_leaf)
		json_object_set_new(o, "leaf_index",
				    json_integer((json_int_t)r->leaf_index));
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qfctl_receipt r, r2;
	char err[256];
	if (qfctl_receipt_parse((const char *)data, size, &r, err, sizeof err)) {
		if (!err[0])
			abort(); /* every refusal says why */
		return 0;
	}
	if (!qf_event_type_name(r.type) || r.has_opening != (r.priv && r.priv_len) ||
	    (!r.has_leaf && !r.event_id_len && !r.case_id[0]))
		abort();
	char *again = s_again(&r);
	if (!again)
		abort();
	if (qfctl_receipt_parse(again, strlen(again), &r2, err, sizeof err))
		abort();
	if (r2.type != r.type || strcmp(r2.case_id, r.case_id) ||
	    strcmp(r2.producer, r.producer) || r2.has_opening != r.has_opening ||
	    memcmp(r2.nonce, r.nonce, 32) || r2.priv_len != r.priv_len ||
	    (r.priv_len && memcmp(r2.priv, r.priv, r.priv_len)) ||
	    r2.has_commitment != r.has_commitment ||
	    memcmp(r2.commitment, r.commitment, 32) ||
	    r2.event_id_len != r.event_id_len ||
	    memcmp(r2.event_id, r.event_id, r.event_id_len) ||
	    r2.has_leaf != r.has_leaf || r2.leaf_index != r.leaf_index)
		abort();
	free(again);
	qfctl_receipt_free(&r2);
	qfctl_receipt_free(&r);
	qfctl_receipt_free(&r); /* safe twice */
	return 0;
}
