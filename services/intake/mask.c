/* mask.c: the masking context of one case's free text (intake.h, "mask.c"
 * section): the petitioner's surname, their full name, and the names
 * learned from the case's own texts.
 *
 * Why: staff notes, feedback comments and findings quote residents by name
 * ("已电话联系王秀兰"). qf_privacy masks [consent] text on its way into the
 * public part, but it knows nothing of the case; the board masks with the
 * case's names, so without them the log's leaf was weaker than the board.
 * Intake therefore masks every text it puts into an event with the case's
 * context first, and hands the same context to qf_privacy.
 *
 * Design: names are kept only as keyed hashes (qf_mask.h: BLAKE2b-128 of the
 * name's UTF-8 under a key derived from intake's contact key), in the case
 * record's sealed part ("mask_names", hex). The full name, read from the
 * sealed contact, is given to the masker as a known name
 * (qf_mask_opts.known_names), so it is masked wherever it stands, cue or
 * not, in whatever script or spacing. */
#include "intake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_id.h"

static int s_known(const struct intake_mask *m, const unsigned char *h)
{
	for (unsigned i = 0; i < m->nm.n; i++)
		if (!memcmp(m->hash[i], h, QF_MASK_HASH))
			return 1;
	return 0;
}

static void s_add(struct intake_mask *m, const unsigned char *h)
{
	if (m->nm.n < INTAKE_MASK_NAMES && !s_known(m, h))
		memcpy(m->hash[m->nm.n++], h, QF_MASK_HASH);
}

void intake_mask_init(struct intake_mask *m, const uint8_t key[32],
		      const char *name_masked, const char *full_name, const json_t *names)
{
	memset(m, 0, sizeof *m);
	memcpy(m->key, key, 32);
	m->nm.key = m->key;
	m->nm.hash = m->hash;
	m->nm.cap = INTAKE_MASK_NAMES;
	/* the full name tells a compound surname (欧阳) that the masked name
	   ("欧**") does not */
	qf_mask_surname(full_name && *full_name ? full_name : name_masked ? name_masked : "",
			m->surname, sizeof m->surname);
	m->mo.surname = m->surname[0] ? m->surname : NULL;
	m->mo.names = &m->nm;
	size_t i;
	json_t *v;
	json_array_foreach(names, i, v)
	{
		unsigned char h[QF_MASK_HASH];
		const char *x = json_string_value(v);
		if (x && strlen(x) == 2 * QF_MASK_HASH && !qf_unhex(x, h, QF_MASK_HASH))
			s_add(m, h);
	}
	m->stored = m->nm.n;
	if (full_name && *full_name) {
		snprintf(m->full_name, sizeof m->full_name, "%s", full_name);
		m->known[0] = m->full_name;
		m->mo.known_names = m->known;
		m->mo.nknown_names = 1;
	}
	m->nm.learned = 0;
}

int intake_mask_case(struct intake *in, struct qf_txn *t, const json_t *rec,
		     struct intake_mask *m)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_t *c = id ? intake_contact_get(in, t, in->db.contact, id) : NULL;
	intake_mask_init(m, in->keys.names,
			 json_string_value(json_object_get(rec, "name_masked")),
			 json_string_value(json_object_get(c, "name")),
			 json_object_get(rec, "mask_names"));
	json_decref(c);
	return QF_OK;
}

char *intake_mask_text(struct intake_mask *m, const char *s)
{
	return qf_mask_text(s ? s : "", s ? strlen(s) : 0, &m->mo);
}

int intake_mask_save(const struct intake_mask *m, json_t *rec)
{
	if (m->nm.n == m->stored && !m->nm.learned)
		return 0;
	json_t *a = json_array();
	for (unsigned i = 0; a && i < m->nm.n; i++) {
		char hex[2 * QF_MASK_HASH + 1];
		json_array_append_new(a, json_string(qf_hex(m->hash[i], QF_MASK_HASH, hex)));
	}
	json_object_set_new(rec, "mask_names", a ? a : json_array());
	return 1;
}
