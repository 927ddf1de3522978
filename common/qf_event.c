/* qf_event.c: event catalogue names and reflection-based JSON (qf_event.h).
 * The type -> payload table is the one place that pairs EventType values
 * with messages; keep it in step with events.proto. */
#include "qf_event.h"
#include "qf_id.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	int type;
	const ProtobufCMessageDescriptor *desc;
};

#define T(x) QINGFENG__V1__EVENT_TYPE__##x
#define D(x) &qingfeng__v1__##x##__descriptor
static const struct entry s_table[] = {
	{T(PETITION_SUBMITTED), D(petition_submitted)},
	{T(STAFF_ACTION_REQUESTED), D(staff_action_requested)},
	{T(FEEDBACK_GIVEN), D(feedback_given)},
	{T(DISCLOSURE_SUBMITTED), D(disclosure_submitted)},
	{T(CONTACT_VIEWED), D(contact_viewed)},
	{T(VISIT_RECORDED), D(visit_recorded)},
	{T(SPAM_HELD), D(spam_held)},
	{T(SPAM_RELEASED), D(spam_released)},
	{T(DATA_EXPORTED), D(data_exported)},
	{T(PETITION_SUPPLEMENTED), D(petition_supplemented)},
	{T(CASE_ASSIGNED), D(case_transition)},
	{T(CASE_ACCEPTED), D(case_transition)},
	{T(CASE_TRANSFERRED), D(case_transition)},
	{T(CASE_PROGRESS), D(case_transition)},
	{T(CASE_RESOLVED), D(case_transition)},
	{T(CASE_REJECTED), D(case_transition)},
	{T(CASE_REOPENED), D(case_transition)},
	{T(CASE_MERGED), D(case_transition)},
	{T(CASE_CLOSED), D(case_transition)},
	{T(DEADLINE_WARNING), D(deadline_warning)},
	{T(CASE_ESCALATED), D(case_transition)},
	{T(ACTION_RESULT), D(action_result)},
	{T(HOTSPOT_WARNING), D(hotspot_warning)},
	{T(REPEAT_LINKED), D(repeat_linked)},
	{T(EXTENSION_REQUESTED), D(case_transition)},
	{T(EXTENSION_DECIDED), D(case_transition)},
	{T(DUTY_QUOTA), D(duty_quota)},
	{T(CASE_RATED), D(case_transition)},
	{T(PRIVATE_EXPIRED), D(private_expired)},
	{T(DELIVERY_DELIVERED), D(delivery_outcome)},
	{T(DELIVERY_FAILED), D(delivery_outcome)},
	{T(DELIVERY_DEAD_LETTERED), D(delivery_outcome)},
	{T(DELIVERY_RELEASED), D(delivery_outcome)},
	{T(SUBSCRIPTION_CHANGED), D(subscription_changed)},
	{T(SNAPSHOT_PUBLISHED), D(snapshot_published)},
	{T(AUDIT_ALERT), D(audit_alert)},
	{T(AUDIT_CHECKPOINT), D(audit_checkpoint)},
	{T(PRIVATE_READ), D(private_read)},
};
#undef T
#undef D

const char *qf_event_type_name(int type)
{
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(&qingfeng__v1__event_type__descriptor, type);
	return v ? v->name : NULL;
}

int qf_event_type_parse(const char *name)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(
		&qingfeng__v1__event_type__descriptor, name);
	return v ? v->value : -1;
}

const ProtobufCMessageDescriptor *qf_event_payload_descriptor(int type)
{
	for (size_t i = 0; i < sizeof s_table / sizeof s_table[0]; i++)
		if (s_table[i].type == type)
			return s_table[i].desc;
	return NULL;
}

const ProtobufCMessageDescriptor *qf_event_catalogue(unsigned i, int *type)
{
	if (i >= sizeof s_table / sizeof s_table[0])
		return NULL;
	if (type)
		*type = s_table[i].type;
	return s_table[i].desc;
}

ProtobufCMessage *qf_event_payload(const Qingfeng__V1__Envelope *env)
{
	const ProtobufCMessageDescriptor *d = qf_event_payload_descriptor(env->type);
	if (!d)
		return NULL;
	return protobuf_c_message_unpack(d, NULL, env->payload.len, env->payload.data);
}

ProtobufCMessage *qf_event_payload_full(const Qingfeng__V1__Envelope *env,
					const uint8_t *priv, size_t priv_len)
{
	if (!priv)
		return qf_event_payload(env);
	const ProtobufCMessageDescriptor *d = qf_event_payload_descriptor(env->type);
	if (!d)
		return NULL;
	return protobuf_c_message_unpack(d, NULL, priv_len, priv);
}

static json_t *s_scalar(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_integer(*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
		return json_integer((json_int_t) * (const uint64_t *)p);
	case PROTOBUF_C_TYPE_FIXED64: { /* ids (epochs): hex, exact */
		char hex[17];
		uint8_t b[8];
		uint64_t v = *(const uint64_t *)p;
		for (int i = 7; i >= 0; i--, v >>= 8)
			b[i] = (uint8_t)v;
		return json_string(qf_hex(b, 8, hex));
	}
	case PROTOBUF_C_TYPE_FLOAT:
		return json_real(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return json_real(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
			f->descriptor, *(const int *)p);
		return v ? json_string(v->name) : json_integer(*(const int *)p);
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		json_t *j = json_string(s ? s : "");
		return j ? j : json_string("(invalid UTF-8)");
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		char *hex = malloc(b->len * 2 + 1);
		if (!hex)
			return json_null();
		json_t *j = json_string(qf_hex(b->data, b->len, hex));
		free(hex);
		return j;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
		return m ? qf_message_json(m) : json_null();
	}
	}
	return json_null();
}

static size_t s_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	default:
		return 4;
	}
}

json_t *qf_message_json(const ProtobufCMessage *m)
{
	json_t *o = json_object();
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
			if (!n)
				continue;
			const char *arr = *(char *const *)base;
			json_t *a = json_array();
			for (size_t k = 0; k < n; k++)
				json_array_append_new(a, s_scalar(f, arr + k * s_size(f)));
			json_object_set_new(o, f->name, a);
			continue;
		}
		/* proto3: skip defaults so output stays short */
		json_t *v = s_scalar(f, base);
		if ((json_is_integer(v) && json_integer_value(v) == 0) ||
		    (json_is_real(v) && json_real_value(v) == 0) || json_is_false(v) ||
		    json_is_null(v) || (json_is_string(v) && !json_string_length(v))) {
			json_decref(v);
			continue;
		}
		json_object_set_new(o, f->name, v);
	}
	return o;
}

json_t *qf_event_json(const Qingfeng__V1__Envelope *env)
{
	return qf_event_json_full(env, NULL, 0);
}

json_t *qf_event_json_full(const Qingfeng__V1__Envelope *env, const uint8_t *priv,
			   size_t priv_len)
{
	json_t *o = qf_message_json(&env->base);
	const char *tn = qf_event_type_name(env->type);
	json_object_del(o, "payload");
	json_object_set_new(o, "type", tn ? json_string(tn) : json_integer(env->type));
	/* always show the position, even when zero-valued */
	json_object_set_new(o, "partition", json_integer(env->partition));
	ProtobufCMessage *p = qf_event_payload_full(env, priv, priv_len);
	if (priv) { /* the public part beside the whole */
		ProtobufCMessage *pub = qf_event_payload(env);
		json_object_set_new(o, "whole", json_true());
		if (pub) {
			json_object_set_new(o, "public", qf_message_json(pub));
			protobuf_c_message_free_unpacked(pub, NULL);
		}
	}
	if (p) {
		json_object_set_new(o, "payload", qf_message_json(p));
		protobuf_c_message_free_unpacked(p, NULL);
	} else if (env->payload.len) {
		char *hex = malloc(env->payload.len * 2 + 1);
		if (hex) {
			json_object_set_new(o, "payload_hex",
					    json_string(qf_hex(env->payload.data,
							       env->payload.len, hex)));
			free(hex);
		}
	}
	return o;
}

/* ------------------------------------------------------------ JSON -> pb */

#include <stdio.h>

static int s_set_scalar(const ProtobufCFieldDescriptor *f, void *p, const json_t *v,
			char *err, size_t n)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (!json_is_integer(v))
			goto bad;
		*(int32_t *)p = (int32_t)json_integer_value(v);
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
		if (!json_is_integer(v))
			goto bad;
		*(int64_t *)p = json_integer_value(v);
		return 0;
	case PROTOBUF_C_TYPE_FIXED64:
		if (json_is_integer(v)) {
			*(uint64_t *)p = (uint64_t)json_integer_value(v);
			return 0;
		}
		if (json_is_string(v) && json_string_length(v) == 16) {
			uint8_t b[8];
			if (qf_unhex(json_string_value(v), b, 8))
				goto bad;
			uint64_t x = 0;
			for (int i = 0; i < 8; i++)
				x = x << 8 | b[i];
			*(uint64_t *)p = x;
			return 0;
		}
		goto bad;
	case PROTOBUF_C_TYPE_FLOAT:
		if (!json_is_number(v))
			goto bad;
		*(float *)p = (float)json_number_value(v);
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		if (!json_is_number(v))
			goto bad;
		*(double *)p = json_number_value(v);
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(v))
			goto bad;
		*(protobuf_c_boolean *)p = json_is_true(v);
		return 0;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev = NULL;
		if (json_is_integer(v)) {
			*(int *)p = (int)json_integer_value(v);
			return 0;
		}
		if (json_is_string(v))
			ev = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor,
									   json_string_value(v));
		if (!ev)
			goto bad;
		*(int *)p = ev->value;
		return 0;
	}
	case PROTOBUF_C_TYPE_STRING: {
		if (!json_is_string(v))
			goto bad;
		char *s = strdup(json_string_value(v));
		if (!s)
			goto bad;
		*(char **)p = s;
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = p;
		if (!json_is_string(v) || json_string_length(v) % 2)
			goto bad;
		size_t len = json_string_length(v) / 2;
		b->data = malloc(len ? len : 1);
		b->len = len;
		if (!b->data || qf_unhex(json_string_value(v), b->data, len)) {
			free(b->data);
			b->data = NULL;
			b->len = 0;
			goto bad;
		}
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		ProtobufCMessage *m = qf_message_from_json(f->descriptor, v, err, n);
		if (!m)
			return -1;
		*(ProtobufCMessage **)p = m;
		return 0;
	}
	}
bad:
	snprintf(err, n, "field '%s' has the wrong type", f->name);
	return -1;
}

ProtobufCMessage *qf_message_from_json(const ProtobufCMessageDescriptor *d,
				       const json_t *obj, char *err, size_t n)
{
	if (!json_is_object(obj)) {
		snprintf(err, n, "%s: a JSON object is expected", d->short_name);
		return NULL;
	}
	ProtobufCMessage *m = calloc(1, d->sizeof_message);
	if (!m)
		return NULL;
	protobuf_c_message_init(d, m);
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)obj, key, v)
	{
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field_by_name(d, key);
		if (!f) {
			snprintf(err, n, "%s has no field '%s'", d->short_name, key);
			goto fail;
		}
		char *base = (char *)m + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			if (!json_is_array(v)) {
				snprintf(err, n, "field '%s' must be an array", key);
				goto fail;
			}
			size_t cnt = json_array_size(v), sz = s_size(f);
			char *arr = calloc(cnt ? cnt : 1, sz);
			if (!arr)
				goto fail;
			*(char **)base = arr;
			size_t *q = (size_t *)((char *)m + f->quantifier_offset);
			for (size_t i = 0; i < cnt; i++) {
				if (s_set_scalar(f, arr + i * sz, json_array_get(v, i), err, n))
					goto fail;
				*q = i + 1;
			}
			continue;
		}
		if (s_set_scalar(f, base, v, err, n))
			goto fail;
		if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
			*(protobuf_c_boolean *)((char *)m + f->quantifier_offset) = 1;
	}
	return m;
fail:
	protobuf_c_message_free_unpacked(m, NULL);
	return NULL;
}
