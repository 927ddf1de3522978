/* qf_event.h: the event catalogue at run time: names, payload descriptors,
 * and a generic envelope -> JSON decoder (protobuf-c reflection), for qfctl
 * watch, the audit log's case history and anything else that shows events
 * to people. Unknown types decode to their number and the payload in hex.
 */
#ifndef QF_EVENT_H
#define QF_EVENT_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "qingfeng/v1/envelope.pb-c.h"
#include "qingfeng/v1/events.pb-c.h"

/* "PETITION_SUBMITTED", or NULL for an unknown type. */
const char *qf_event_type_name(int type);
/* Type number for a name (as above), or -1. */
int qf_event_type_parse(const char *name);
/* The payload message of a type, or NULL (unknown). */
const ProtobufCMessageDescriptor *qf_event_payload_descriptor(int type);
/* The i-th entry of the catalogue (type number in *type), or NULL past the
 * end: for code that must visit every payload message (the privacy table's
 * check, docs). */
const ProtobufCMessageDescriptor *qf_event_catalogue(unsigned i, int *type);
/* Decode the public payload: a protobuf-c message to free with
 * protobuf_c_message_free_unpacked(m, NULL), or NULL if unknown/malformed.
 * This is all a public surface may read. */
ProtobufCMessage *qf_event_payload(const Qingfeng__V1__Envelope *env);
/* Decode the whole payload: the private part when one came with the event
 * (priv, priv_len: struct qf_bus_msg's), else the public one. Internal
 * consumers only. Free as above. */
ProtobufCMessage *qf_event_payload_full(const Qingfeng__V1__Envelope *env,
					const uint8_t *priv, size_t priv_len);
/* Any protobuf-c message as a JSON object (new reference; bytes as hex,
 * enums as names, 64-bit integers as numbers). */
json_t *qf_message_json(const ProtobufCMessage *m);
/* Build a message of descriptor d from a JSON object (the inverse of
 * qf_message_json: bytes and fixed64 as hex, enums by name or number).
 * Returns a message to free with protobuf_c_message_free_unpacked(m, NULL),
 * or NULL with a reason in err (unknown field, wrong type). */
ProtobufCMessage *qf_message_from_json(const ProtobufCMessageDescriptor *d,
				       const json_t *obj, char *err, size_t n);
/* Envelope header plus decoded public payload ("payload": {...} or
 * "payload_hex"). */
json_t *qf_event_json(const Qingfeng__V1__Envelope *env);
/* The same with the whole payload when the private part is given (priv as
 * in struct qf_bus_msg; then "whole": true is set and "public" holds the
 * public payload). For internal tools. */
json_t *qf_event_json_full(const Qingfeng__V1__Envelope *env, const uint8_t *priv,
			   size_t priv_len);

#endif
