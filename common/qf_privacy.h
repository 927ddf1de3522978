/* qf_privacy.h: what of an event is public. The one decision.
 *
 * Every field of every event message carries a visibility word in
 * proto/qingfeng/v1/events.proto; the build turns those words into the
 * table below (tools/gen/visibility.awk), and this module applies it with
 * the case's context: did the petitioner consent to public display, and is
 * the category sensitive (an integrity report)? Producers emit the whole
 * message through qf_privacy_emit(); the envelope (the log's leaf, the
 * public stream, everything a public surface reads) gets the public part,
 * and the whole message travels beside it on the internal bus only, as the
 * private part (qf_bus.h). No service builds public fields its own way.
 *
 * The public part is the same message type with fields left out, and with
 * [consent] text passed through the masker (common/qf_mask) on its way out,
 * made by filtering the producer's own encoding: what is kept is byte for
 * byte what the producer wrote. A field the table does not know is left
 * out (private by default).
 */
#ifndef QF_PRIVACY_H
#define QF_PRIVACY_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "qf_bus.h"

enum qf_vis {
	QF_VIS_UNKNOWN = 0,     /* not in the table: treated as private */
	QF_VIS_PUBLIC,          /* always public */
	QF_VIS_PRIVATE,         /* never public */
	QF_VIS_CONSENT,         /* public with consent on a non-sensitive case */
	QF_VIS_NONSENSITIVE,    /* public unless the case is sensitive */
};

/* One row of the generated table (build/gen/qf_visibility.c). */
struct qf_vis_field {
	const char *message; /* full name, "qingfeng.v1.PetitionSubmitted" */
	const char *field;
	unsigned number;
	enum qf_vis vis;
};
extern const struct qf_vis_field qf_vis_fields[];
extern const unsigned qf_vis_nfields;

struct qf_mask_opts;

/* The context of one event. A NULL context is the strictest: no consent,
 * sensitive. */
struct qf_privacy {
	int consent;   /* the petitioner agreed to public display */
	int sensitive; /* sensitive category (struct qf_category.sensitive) */
	const struct qf_mask_opts *mask; /* masking of [consent] text that goes
					    public (the case's known names);
					    NULL: the masker's defaults */
};

/* Whether a field of class v is public in context c. */
int qf_privacy_shows(enum qf_vis v, const struct qf_privacy *c);
/* The class of field `number` of message d (QF_VIS_UNKNOWN if none). */
enum qf_vis qf_privacy_field(const ProtobufCMessageDescriptor *d, unsigned number);
/* Check that every field of every catalogue message (and of the messages
 * they contain) has a class. 0, or QF_ERR_INVAL with the first missing
 * field named in err. */
int qf_privacy_check(char *err, size_t n);

/* The public part of a packed message of descriptor d: *out is malloc'd
 * (the caller frees), *out_len may be 0. *differs is set to 1 when it is
 * not the whole message (the event then has a private part). Returns 0,
 * QF_ERR_PROTO for a malformed encoding, QF_ERR_NOMEM. */
int qf_privacy_public(const ProtobufCMessageDescriptor *d, const uint8_t *full,
		      size_t len, const struct qf_privacy *c, uint8_t **out,
		      size_t *out_len, int *differs);

/* The partition key of a case's events: its building, or "sensitive" for a
 * sensitive case (the envelope is public, and a building narrows who wrote
 * an integrity report and about whom). Every producer uses this. */
const char *qf_privacy_partition_key(const char *building, int sensitive);

/* Emit an event whose ev->payload holds the whole message: the envelope
 * gets its public part, the private part (if any) the whole. Outputs as
 * qf_bus_emit(). */
int qf_privacy_emit_event(struct qf_bus_producer *p, struct qf_txn *t,
			  const struct qf_bus_event *ev, const struct qf_privacy *c,
			  uint32_t *partition, uint64_t *seq, uint8_t *event_id);
/* Pack msg and emit it as above (the common case). */
int qf_privacy_emit(struct qf_bus_producer *p, struct qf_txn *t,
		    Qingfeng__V1__EventType type, const char *partition_key,
		    const char *case_id, const char *correlation_id,
		    const ProtobufCMessage *msg, const struct qf_privacy *c);

#endif
