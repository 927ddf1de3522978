/* qf_privacy.c: the public part of an event, made by filtering the
 * producer's protobuf encoding field by field with the generated
 * visibility table (qf_privacy.h).
 *
 * Working on the wire format, not on unpacked messages, keeps every kept
 * field byte for byte as the producer encoded it, allocates nothing but the
 * output, and drops anything the table does not know (a field added to the
 * proto without a class never reaches the public part). */
#include "qf_privacy.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_mask.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DESCS 64
#define MAX_DEPTH 8

/* Classes per descriptor, indexed by field index, resolved once. */
struct desc_vis {
	const ProtobufCMessageDescriptor *d;
	enum qf_vis *vis;
};
static struct desc_vis s_descs[MAX_DESCS];
static unsigned s_ndescs;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void s_add_desc(const ProtobufCMessageDescriptor *d)
{
	for (unsigned i = 0; i < s_ndescs; i++)
		if (s_descs[i].d == d)
			return;
	if (s_ndescs == MAX_DESCS)
		return; /* qf_privacy_check reports the fields it could not see */
	enum qf_vis *v = calloc(d->n_fields ? d->n_fields : 1, sizeof *v);
	if (!v)
		return;
	s_descs[s_ndescs++] = (struct desc_vis){d, v};
	for (unsigned f = 0; f < d->n_fields; f++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[f];
		for (unsigned k = 0; k < qf_vis_nfields; k++)
			if (qf_vis_fields[k].number == fd->id &&
			    !strcmp(qf_vis_fields[k].message, d->name) &&
			    !strcmp(qf_vis_fields[k].field, fd->name)) {
				v[f] = qf_vis_fields[k].vis;
				break;
			}
		if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
			s_add_desc(fd->descriptor);
	}
}

static void s_init(void)
{
	const ProtobufCMessageDescriptor *d;
	for (unsigned i = 0; (d = qf_event_catalogue(i, NULL)); i++)
		s_add_desc(d);
}

static const struct desc_vis *s_find(const ProtobufCMessageDescriptor *d)
{
	pthread_once(&s_once, s_init);
	for (unsigned i = 0; i < s_ndescs; i++)
		if (s_descs[i].d == d)
			return &s_descs[i];
	return NULL;
}

int qf_privacy_shows(enum qf_vis v, const struct qf_privacy *c)
{
	int consent = c ? c->consent : 0, sensitive = c ? c->sensitive : 1;
	switch (v) {
	case QF_VIS_PUBLIC:
		return 1;
	case QF_VIS_CONSENT:
		return consent && !sensitive;
	case QF_VIS_NONSENSITIVE:
		return !sensitive;
	default:
		return 0;
	}
}

enum qf_vis qf_privacy_field(const ProtobufCMessageDescriptor *d, unsigned number)
{
	const struct desc_vis *dv = s_find(d);
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(d, number);
	if (!dv || !f)
		return QF_VIS_UNKNOWN;
	return dv->vis[f - d->fields];
}

int qf_privacy_check(char *err, size_t n)
{
	pthread_once(&s_once, s_init);
	const ProtobufCMessageDescriptor *d;
	for (unsigned i = 0; (d = qf_event_catalogue(i, NULL)); i++)
		if (!s_find(d)) {
			snprintf(err, n, "message %s is not in the visibility table", d->name);
			return QF_ERR_INVAL;
		}
	for (unsigned i = 0; i < s_ndescs; i++)
		for (unsigned f = 0; f < s_descs[i].d->n_fields; f++)
			if (s_descs[i].vis[f] == QF_VIS_UNKNOWN) {
				snprintf(err, n, "field %s.%s has no visibility",
					 s_descs[i].d->name, s_descs[i].d->fields[f].name);
				return QF_ERR_INVAL;
			}
	return QF_OK;
}

const char *qf_privacy_partition_key(const char *building, int sensitive)
{
	if (sensitive)
		return "sensitive";
	return building ? building : "";
}

/* ------------------------------------------------------------ wire filter */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static int s_put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		while (nc < b->len + n)
			nc *= 2;
		uint8_t *np = realloc(b->p, nc);
		if (!np)
			return QF_ERR_NOMEM;
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	return QF_OK;
}

static int s_put_varint(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t k = 0;
	do {
		tmp[k] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[k] |= 0x80;
		k++;
	} while (v);
	return s_put(b, tmp, k);
}

static int s_get_varint(const uint8_t *d, size_t n, size_t *i, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*i >= n)
			return QF_ERR_PROTO;
		uint8_t b = d[(*i)++];
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return QF_OK;
	}
	return QF_ERR_PROTO;
}

static int s_filter(const ProtobufCMessageDescriptor *d, const uint8_t *in, size_t n,
		    const struct qf_privacy *c, struct buf *out, int depth)
{
	if (depth > MAX_DEPTH)
		return QF_ERR_PROTO;
	const struct desc_vis *dv = s_find(d);
	size_t i = 0;
	while (i < n) {
		size_t start = i;
		uint64_t tag, len = 0;
		if (s_get_varint(in, n, &i, &tag))
			return QF_ERR_PROTO;
		size_t vstart = i;
		switch (tag & 7) {
		case 0:
			if (s_get_varint(in, n, &i, &len))
				return QF_ERR_PROTO;
			break;
		case 1:
			if (n - i < 8)
				return QF_ERR_PROTO;
			i += 8;
			break;
		case 5:
			if (n - i < 4)
				return QF_ERR_PROTO;
			i += 4;
			break;
		case 2:
			if (s_get_varint(in, n, &i, &len) || len > n - i)
				return QF_ERR_PROTO;
			vstart = i;
			i += (size_t)len;
			break;
		default:
			return QF_ERR_PROTO;
		}
		if (tag >> 3 == 0 || tag >> 3 > 0x1fffffff)
			return QF_ERR_PROTO;
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3));
		enum qf_vis v = dv && f ? dv->vis[f - d->fields] : QF_VIS_UNKNOWN;
		if (!qf_privacy_shows(v, c))
			continue;
		int rc;
		if ((tag & 7) == 2 && f->type == PROTOBUF_C_TYPE_MESSAGE) {
			struct buf sub = {0};
			rc = s_filter(f->descriptor, in + vstart, (size_t)len, c, &sub,
				      depth + 1);
			if (!rc && !(rc = s_put_varint(out, tag)) &&
			    !(rc = s_put_varint(out, sub.len)))
				rc = sub.len ? s_put(out, sub.p, sub.len) : QF_OK;
			free(sub.p);
		} else if ((tag & 7) == 2 && f->type == PROTOBUF_C_TYPE_STRING &&
			   v == QF_VIS_CONSENT) {
			char *m = qf_mask_text((const char *)in + vstart, (size_t)len,
					       c ? c->mask : NULL);
			if (!m)
				return QF_ERR_NOMEM;
			size_t ml = strlen(m);
			if (!(rc = s_put_varint(out, tag)) && !(rc = s_put_varint(out, ml)))
				rc = s_put(out, m, ml);
			free(m);
		} else {
			rc = s_put(out, in + start, i - start);
		}
		if (rc)
			return rc;
	}
	return QF_OK;
}

int qf_privacy_public(const ProtobufCMessageDescriptor *d, const uint8_t *full,
		      size_t len, const struct qf_privacy *c, uint8_t **out,
		      size_t *out_len, int *differs)
{
	struct buf b = {0};
	int rc = s_filter(d, full, len, c, &b, 0);
	if (rc) {
		free(b.p);
		return rc;
	}
	if (!b.p && !(b.p = malloc(1)))
		return QF_ERR_NOMEM;
	*out = b.p;
	*out_len = b.len;
	*differs = b.len != len || memcmp(b.p, full, len) != 0;
	return QF_OK;
}

int qf_privacy_emit_event(struct qf_bus_producer *p, struct qf_txn *t,
			  const struct qf_bus_event *ev, const struct qf_privacy *c,
			  uint32_t *partition, uint64_t *seq, uint8_t *event_id)
{
	const ProtobufCMessageDescriptor *d = qf_event_payload_descriptor(ev->type);
	if (!d)
		return QF_ERR_INVAL; /* every event type is in the catalogue */
	uint8_t *pub;
	size_t plen;
	int differs, rc;
	if ((rc = qf_privacy_public(d, ev->payload, ev->payload_len, c, &pub, &plen,
				    &differs)))
		return rc;
	struct qf_bus_event e = *ev;
	e.payload = pub;
	e.payload_len = plen;
	e.private_payload = differs ? ev->payload : NULL;
	e.private_len = differs ? ev->payload_len : 0;
	rc = qf_bus_emit(p, t, &e, partition, seq, event_id);
	free(pub);
	return rc;
}

int qf_privacy_emit(struct qf_bus_producer *p, struct qf_txn *t,
		    Qingfeng__V1__EventType type, const char *partition_key,
		    const char *case_id, const char *correlation_id,
		    const ProtobufCMessage *msg, const struct qf_privacy *c)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint8_t stackbuf[2048];
	uint8_t *buf = len <= sizeof stackbuf ? stackbuf : malloc(len);
	if (!buf)
		return QF_ERR_NOMEM;
	protobuf_c_message_pack(msg, buf);
	struct qf_bus_event ev = {type, partition_key, case_id, correlation_id,
				  buf, len, 0};
	int rc = qf_privacy_emit_event(p, t, &ev, c, NULL, NULL, NULL);
	if (buf != stackbuf)
		free(buf);
	return rc;
}
