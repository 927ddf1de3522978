/* rcase.c: the case record and its encoding (rcase.h).
 *
 * Layout of an encoded record, version 1: one version byte, the state byte,
 * then every text field as (u8 length, bytes), the parties as (u8 count,
 * count x text), the 32-bit numbers and the 64-bit numbers big-endian, and the
 * two deadlines, then the timeline: partition, count, and the outbox seqs as
 * minimal varints (the first absolute, then strictly positive deltas). The
 * field lists below are X-macros, so encoder and decoder cannot drift apart.
 * A new field means a new version number; the decoder refuses versions it
 * does not know rather than guessing, and refuses non-minimal varints, so
 * every record has exactly one encoding.
 */
#include "rcase.h"
#include "qf_case.h"

#include <string.h>

#include "qf_err.h"
#include "qf_store.h"

#define RT_CASE_VERSION 1

/* clang-format off */
#define STR_FIELDS(X)                                                             \
	X(id) X(tracking) X(category) X(building) X(priority) X(assignee) X(owner) \
	X(concerns) X(escalated_to) X(ext_requester) X(repeat_of) X(related)
#define U32_FIELDS(X)                                                             \
	X(flags) X(respond_h) X(resolve_h) X(ext_hours) X(ext_pending_h)           \
	X(transfer_count) X(reopen_count) X(repeat_count) X(repeat_hits)           \
	X(merged_in) X(rating) X(nevents) X(tl_part)
#define I64_FIELDS(X) \
	X(submitted_ms) X(updated_ms) X(resolved_ms) X(closed_ms) X(timer_ms)
/* clang-format on */

/* The vocabulary is common/qf_case's: one code and one label per state. */
const char *rt_state_name(int state)
{
	return qf_case_state_code(state);
}

const char *rt_state_label(int state)
{
	return qf_case_state_label(state);
}

int rt_state_parse(const char *name)
{
	return qf_case_state_parse(name);
}

int rt_state_open(int state)
{
	return qf_case_state_open(state);
}

int rt_state_final(int state)
{
	return qf_case_state_final(state);
}

void rt_case_init(struct rt_case *k)
{
	memset(k, 0, sizeof *k);
	k->esc_level = -1;
}

int rt_case_has_party(const struct rt_case *k, const char *who)
{
	for (unsigned i = 0; who && *who && i < k->nparties; i++)
		if (strcmp(k->parties[i], who) == 0)
			return 1;
	return 0;
}

void rt_case_add_event(struct rt_case *k, uint32_t partition, uint64_t seq)
{
	if (k->nevents < RT_TL_MAX) {
		k->tl_part = partition;
		k->tl[k->nevents] = seq;
	}
	k->nevents++;
}

int rt_copy(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= cap) {
		dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src ? src : "", n + 1);
	return 0;
}

/* ------------------------------------------------------------ encoding */

struct wr {
	uint8_t *p;
	size_t n, cap;
	int bad;
};

static void w_bytes(struct wr *w, const void *b, size_t n)
{
	if (w->bad || w->n + n > w->cap) {
		w->bad = 1;
		return;
	}
	memcpy(w->p + w->n, b, n);
	w->n += n;
}

static void w_u8(struct wr *w, unsigned v)
{
	uint8_t b = (uint8_t)v;
	w_bytes(w, &b, 1);
}

static void w_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4];
	qf_be32_put(b, v);
	w_bytes(w, b, 4);
}

static void w_i64(struct wr *w, int64_t v)
{
	uint8_t b[8];
	qf_be64_put(b, (uint64_t)v);
	w_bytes(w, b, 8);
}

static void w_var(struct wr *w, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;
	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	w_bytes(w, b, n);
}

static void w_str(struct wr *w, const char *s)
{
	size_t n = strlen(s);
	w_u8(w, (unsigned)n); /* every field is shorter than 256 bytes */
	w_bytes(w, s, n);
}

size_t rt_case_encode(const struct rt_case *k, uint8_t *buf, size_t cap)
{
	struct wr w = {buf, 0, cap, 0};
	w_u8(&w, RT_CASE_VERSION);
	w_u8(&w, (unsigned)k->state);
#define X(f) w_str(&w, k->f);
	STR_FIELDS(X)
#undef X
	w_u8(&w, k->nparties);
	for (unsigned i = 0; i < k->nparties; i++)
		w_str(&w, k->parties[i]);
#define X(f) w_u32(&w, k->f);
	U32_FIELDS(X)
#undef X
	w_u32(&w, (uint32_t)k->esc_level);
#define X(f) w_i64(&w, k->f);
	I64_FIELDS(X)
#undef X
	for (int i = 0; i < 2; i++) {
		const struct rt_deadline *d = &k->dl[i];
		w_i64(&w, d->due_ms);
		w_i64(&w, d->met_ms);
		w_i64(&w, d->last_notice_ms);
		w_u32(&w, d->reminders);
		w_u8(&w, d->stage);
		w_u8(&w, d->breached);
	}
	unsigned listed = k->nevents < RT_TL_MAX ? k->nevents : RT_TL_MAX;
	for (unsigned i = 0; i < listed; i++)
		w_var(&w, i ? k->tl[i] - k->tl[i - 1] : k->tl[0]);
	return w.bad ? 0 : w.n;
}

struct rd {
	const uint8_t *p;
	size_t n, off;
	int bad;
};

static const uint8_t *r_take(struct rd *r, size_t n)
{
	if (r->bad || r->off + n > r->n) {
		r->bad = 1;
		return NULL;
	}
	const uint8_t *p = r->p + r->off;
	r->off += n;
	return p;
}

static unsigned r_u8(struct rd *r)
{
	const uint8_t *p = r_take(r, 1);
	return p ? *p : 0;
}

static uint32_t r_u32(struct rd *r)
{
	const uint8_t *p = r_take(r, 4);
	return p ? qf_be32_get(p) : 0;
}

static int64_t r_i64(struct rd *r)
{
	const uint8_t *p = r_take(r, 8);
	return p ? (int64_t)qf_be64_get(p) : 0;
}

/* A minimal varint (a longer encoding of the same value is damage). */
static uint64_t r_var(struct rd *r)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		const uint8_t *p = r_take(r, 1);
		if (!p)
			return 0;
		if (shift == 63 && *p > 1)
			break;
		v |= (uint64_t)(*p & 0x7f) << shift;
		if (!(*p & 0x80)) {
			if (!*p && shift)
				break; /* non-minimal */
			return v;
		}
	}
	r->bad = 1;
	return 0;
}

static void r_str(struct rd *r, char *dst, size_t cap)
{
	unsigned n = r_u8(r);
	const uint8_t *p = r_take(r, n);
	if (!p || n >= cap || memchr(p, 0, n)) {
		r->bad = 1;
		dst[0] = '\0';
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
}

int rt_case_decode(struct rt_case *k, const uint8_t *buf, size_t len)
{
	struct rd r = {buf, len, 0, 0};
	rt_case_init(k);
	if (r_u8(&r) != RT_CASE_VERSION)
		return QF_ERR_PROTO;
	k->state = (int)r_u8(&r);
	if (k->state < RT_SUBMITTED || k->state > RT_STATE_MAX)
		return QF_ERR_PROTO;
#define X(f) r_str(&r, k->f, sizeof k->f);
	STR_FIELDS(X)
#undef X
	k->nparties = r_u8(&r);
	if (k->nparties > RT_MAX_PARTIES)
		return QF_ERR_PROTO;
	for (unsigned i = 0; i < k->nparties; i++)
		r_str(&r, k->parties[i], sizeof k->parties[i]);
#define X(f) k->f = r_u32(&r);
	U32_FIELDS(X)
#undef X
	k->esc_level = (int32_t)r_u32(&r);
#define X(f) k->f = r_i64(&r);
	I64_FIELDS(X)
#undef X
	for (int i = 0; i < 2; i++) {
		struct rt_deadline *d = &k->dl[i];
		d->due_ms = r_i64(&r);
		d->met_ms = r_i64(&r);
		d->last_notice_ms = r_i64(&r);
		uint32_t rem = r_u32(&r);
		if (rem > 0xffff)
			return QF_ERR_PROTO;
		d->reminders = (uint16_t)rem;
		d->stage = (uint8_t)r_u8(&r);
		d->breached = (uint8_t)r_u8(&r);
	}
	unsigned listed = k->nevents < RT_TL_MAX ? k->nevents : RT_TL_MAX;
	for (unsigned i = 0; i < listed && !r.bad; i++) {
		uint64_t v = r_var(&r);
		if (i && (!v || k->tl[i - 1] + v < k->tl[i - 1]))
			return QF_ERR_PROTO; /* seqs strictly ascend */
		k->tl[i] = i ? k->tl[i - 1] + v : v;
	}
	if (r.bad || r.off != r.n || !k->id[0])
		return QF_ERR_PROTO;
	return QF_OK;
}
