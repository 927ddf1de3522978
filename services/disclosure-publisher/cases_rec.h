/* cases_rec.h: the stored case record's layout in memory, shared by the
 * writing side (cases.c: apply, fold, flush) and the reading side
 * (cases_query.c). The record's bytes are described in cases.c. A struct
 * ccase is owned by its arena, or by the caller when made without one
 * (free it with cases_rec_free). */
#ifndef DP_CASES_REC_H
#define DP_CASES_REC_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "cases.h"
#include "qf_buf.h"
#include "qf_mask.h"

#define CASE_NAMES 32
/* derived strings, in record order */
enum {
	F_CAT,
	F_BLD,
	F_HANDLER,
	F_HNAME,
	F_HPOST,
	F_CNAME,
	F_BNAME,
	F_CODE,
	F_PRIO,
	F_OWNER,
	F_REL,
	NFIELDS
};
#define FIELDS_BYTES (80 + 80 + 80 + 160 + 300 + 256 + 256 + 80 + 40 + 80 + 80)

struct centry {
	int64_t at;
	uint64_t seq;
	uint32_t part;
	uint8_t cls;	/* '0' the petition, '1' any other entry */
	uint16_t etype; /* EventType */
	char prod[64];
	uint8_t *b; /* members (crec.h), malloc'd */
	size_t n;
};

/* A case in the transaction's cache. */
struct ccase {
	int stored; /* in the store: h0, f0 are what its index keys say */
	int dirty;
	struct case_head h0, h;
	char *f[NFIELDS]; /* into fmem */
	unsigned nnames;
	int names_loaded, names_dirty;
	uint8_t *base; /* the petition's members, malloc'd */
	size_t nbase;
	struct centry *e;
	unsigned ne, cap;
	struct ccase *next;  /* hash chain */
	struct ccase *dnext; /* list of every cached case */
	struct arena *ar;    /* holds the case, base and entries; NULL: malloc */
	/* from here on not zeroed by s_case_new (three quarters of the case):
	 * written before they are read */
	char id[72];
	char f0[3][80];		 /* stored category, building, tracking code (stored) */
	char fmem[FIELDS_BYTES]; /* derived strings, "" at first */
	unsigned char names[CASE_NAMES][QF_MASK_HASH]; /* dp.case_names (nnames) */
};

/* A new case (zeroed up to id), in arena ar or (ar NULL) malloc'd; NULL
 * when out of memory. */
struct ccase *cases_rec_new(struct arena *ar, const char *id);
void cases_rec_free(struct ccase *c);
/* Decode a stored record (n bytes) into c. Returns 0 or QF_ERR_PROTO /
 * QF_ERR_NOMEM. */
int cases_rec_decode(struct ccase *c, const uint8_t *p, size_t n);
/* An integer as %lld writes it (lists render thousands per second). */
void cases_rec_int(struct qf_buf *b, int64_t v);
/* The first `chars` characters of valid UTF-8 text (dn bytes), on one
 * line, with an ellipsis when cut. out: size >= 16 bytes. */
void cases_rec_excerpt(const char *d, size_t dn, char *out, size_t size, size_t chars);

#endif
