/* crec.c: the compact binary members of a case (crec.h): varint TLV
 * writing and reading, and rendering to JSON with sorted member names.
 * Rendering is the only place jansson sees a case, and only on read. */
#include "crec.h"
#include "cstate.h"
#include "dp.h"

#include "qf_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CREC_NAME(name, text) text,
static const char *const s_names[K_COUNT] = {CREC_KEYS(CREC_NAME)};
#undef CREC_NAME

const char *crec_key_name(unsigned key) { return key < K_COUNT ? s_names[key] : ""; }

/* ------------------------------------------------------------ writing */

void crec_varint(struct qf_buf *b, uint64_t v)
{
	uint8_t t[10];
	size_t n = 0;
	while (v >= 0x80) {
		t[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	t[n++] = (uint8_t)v;
	qf_buf_add(b, t, n);
}

static void s_head(struct qf_buf *b, unsigned key, unsigned type)
{
	uint8_t h[2] = {(uint8_t)key, (uint8_t)type};
	qf_buf_add(b, h, 2);
}

void crec_strn(struct qf_buf *b, unsigned key, const char *s, size_t n)
{
	if (!s || !n || !dp_utf8_ok(s, n))
		return;
	s_head(b, key, CT_STR);
	crec_varint(b, n);
	qf_buf_add(b, s, n);
}

void crec_str(struct qf_buf *b, unsigned key, const char *s)
{
	if (s)
		crec_strn(b, key, s, strlen(s));
}

void crec_int(struct qf_buf *b, unsigned key, int64_t v)
{
	s_head(b, key, CT_INT);
	crec_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void crec_bool(struct qf_buf *b, unsigned key, int v)
{
	s_head(b, key, v ? CT_TRUE : CT_FALSE);
}

void crec_null(struct qf_buf *b, unsigned key) { s_head(b, key, CT_NULL); }

void crec_real(struct qf_buf *b, unsigned key, double v)
{
	s_head(b, key, CT_REAL);
	qf_buf_add(b, &v, sizeof v);
}

void crec_small(struct qf_buf *b, unsigned key, unsigned type, uint64_t v)
{
	s_head(b, key, type);
	crec_varint(b, v);
}

void crec_nested(struct qf_buf *b, unsigned key, unsigned type, const void *body, size_t n)
{
	s_head(b, key, type);
	crec_varint(b, n);
	qf_buf_add(b, body, n);
}

/* ------------------------------------------------------------ reading */

int crec_get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t r = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (p >= end)
			return -1;
		uint8_t c = *p++;
		r |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = r;
			*pp = p;
			return 0;
		}
	}
	return -1;
}

void crec_it_init(struct crec_it *it, const void *p, size_t n, int array)
{
	it->p = p;
	it->end = (const uint8_t *)p + n;
	it->array = array;
}

int crec_next(struct crec_it *it, struct crec_v *v)
{
	if (it->p >= it->end)
		return 0;
	const uint8_t *p = it->p, *start = p;
	uint64_t x;
	memset(v, 0, sizeof *v);
	if (!it->array) {
		v->key = *p++;
		if (p >= it->end)
			return -1;
	}
	v->type = *p++;
	switch (v->type) {
	case CT_STR:
	case CT_OBJ:
	case CT_ARR:
		if (crec_get_varint(&p, it->end, &x) || x > (uint64_t)(it->end - p))
			return -1;
		v->s = (const char *)p;
		v->n = (size_t)x;
		p += x;
		break;
	case CT_INT:
		if (crec_get_varint(&p, it->end, &x))
			return -1;
		v->i = (int64_t)(x >> 1) ^ -(int64_t)(x & 1);
		break;
	case CT_ETYPE:
	case CT_STATE:
		if (crec_get_varint(&p, it->end, &x))
			return -1;
		v->i = (int64_t)x;
		break;
	case CT_REAL:
		if (it->end - p < (ptrdiff_t)sizeof v->r)
			return -1;
		memcpy(&v->r, p, sizeof v->r);
		p += sizeof v->r;
		break;
	case CT_TRUE:
	case CT_FALSE:
	case CT_NULL:
	case CT_SAME:
		break;
	default:
		return -1;
	}
	if (v->key >= K_COUNT)
		return -1;
	v->at = start;
	v->size = (size_t)(p - start);
	it->p = p;
	return 1;
}

int crec_find(const void *p, size_t n, unsigned key, struct crec_v *v)
{
	struct crec_it it;
	crec_it_init(&it, p, n, 0);
	while (crec_next(&it, v) > 0)
		if (v->key == key)
			return 1;
	return 0;
}

const char *crec_get_str(const void *p, size_t len, unsigned key, char *out, size_t n)
{
	struct crec_v v;
	out[0] = '\0';
	if (crec_find(p, len, key, &v) && v.type == CT_STR && v.n < n) {
		memcpy(out, v.s, v.n);
		out[v.n] = '\0';
	}
	return out;
}

/* ------------------------------------------------------------ JSON */

static json_t *s_array_json(const char *p, size_t n);

json_t *crec_value_json(const struct crec_v *v)
{
	switch (v->type) {
	case CT_STR:
		return json_stringn(v->s, v->n);
	case CT_INT:
		return json_integer(v->i);
	case CT_TRUE:
		return json_true();
	case CT_FALSE:
		return json_false();
	case CT_NULL:
		return json_null();
	case CT_REAL:
		return json_real(v->r);
	case CT_OBJ:
		return crec_object_json(v->s, v->n, NULL, NULL, 0);
	case CT_ARR:
		return s_array_json(v->s, v->n);
	case CT_ETYPE: {
		const char *t = qf_event_type_name((int)v->i);
		return json_string(t ? t : "");
	}
	case CT_STATE:
		return json_string(case_state_code((unsigned)v->i));
	default:
		return NULL;
	}
}

static json_t *s_array_json(const char *p, size_t n)
{
	json_t *a = json_array();
	struct crec_it it;
	struct crec_v v;
	int r;
	crec_it_init(&it, p, n, 1);
	while (a && (r = crec_next(&it, &v)) > 0) {
		json_t *x = crec_value_json(&v);
		if (x)
			json_array_append_new(a, x);
	}
	return a;
}

struct member {
	unsigned key;
	json_t *val;
};

static int s_member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	return strcmp(s_names[x->key], s_names[y->key]);
}

json_t *crec_object_json(const void *p, size_t n, const unsigned *extra_keys,
			 json_t **extra, unsigned nextra)
{
	struct member m[K_COUNT + 8];
	unsigned nm = 0;
	struct crec_it it;
	struct crec_v v;
	int r;
	crec_it_init(&it, p, n, 0);
	while ((r = crec_next(&it, &v)) > 0 && nm < K_COUNT) {
		json_t *x = crec_value_json(&v);
		if (!x)
			continue;
		/* a key given twice: the last wins, as json_object_set does */
		unsigned k;
		for (k = 0; k < nm && m[k].key != v.key; k++)
			;
		if (k < nm) {
			json_decref(m[k].val);
			m[k].val = x;
		} else {
			m[nm++] = (struct member){v.key, x};
		}
	}
	for (unsigned i = 0; i < nextra; i++) {
		if (!extra[i])
			continue;
		unsigned k;
		for (k = 0; k < nm && m[k].key != extra_keys[i]; k++)
			;
		if (k < nm) {
			json_decref(m[k].val);
			m[k].val = extra[i];
		} else if (nm < K_COUNT + 8) {
			m[nm++] = (struct member){extra_keys[i], extra[i]};
		} else {
			json_decref(extra[i]);
		}
	}
	qsort(m, nm, sizeof m[0], s_member_cmp);
	json_t *o = json_object();
	for (unsigned i = 0; i < nm; i++) {
		if (o)
			json_object_set_new_nocheck(o, s_names[m[i].key], m[i].val);
		else
			json_decref(m[i].val);
	}
	if (r < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

void crec_json_str(struct qf_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	qf_buf_putc(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = NULL;
		char u[7];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		qf_buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
			e = "\\\"";
			break;
		case '\\':
			e = "\\\\";
			break;
		case '\b':
			e = "\\b";
			break;
		case '\f':
			e = "\\f";
			break;
		case '\n':
			e = "\\n";
			break;
		case '\r':
			e = "\\r";
			break;
		case '\t':
			e = "\\t";
			break;
		default:
			u[0] = '\\';
			u[1] = 'u';
			u[2] = '0';
			u[3] = '0';
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			e = u;
		}
		qf_buf_puts(b, e);
	}
	qf_buf_add(b, s + run, n - run);
	qf_buf_putc(b, '"');
}
