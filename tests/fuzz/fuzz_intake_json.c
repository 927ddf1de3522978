/* fuzz_intake_json: intake's JSON decoders (petition, staff action,
 * disclosure) and its form collector, on arbitrary bytes. The first byte
 * picks the decoder; the rest is the body. Invariants: a decoder either
 * refuses with a complete verdict (status, code, message) or returns a
 * value whose personal data is masked; a petition's masking context
 * (mask.c) gives valid text and keeps its names; nothing crashes or
 * leaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "form.h"
#include "intake.h"
#include "petition.h"

static struct qf_community *s_com;

static void s_init(void)
{
	static const char *const tries[] = {
	    "config/community.cfg", "../config/community.cfg",
	    "../../config/community.cfg", "../../../config/community.cfg"};
	for (size_t i = 0; i < sizeof tries / sizeof tries[0] && !s_com; i++) {
		struct qf_cfg_errors e;
		memset(&e, 0, sizeof e);
		if (access(tries[i], R_OK) == 0)
			qf_community_load(tries[i], &s_com, &e);
	}
	if (!s_com) {
		fprintf(stderr, "fuzz_intake_json: config/community.cfg not found\n");
		abort();
	}
}

static void s_check_err(const struct intake_err *e)
{
	if (e->status < 400 || e->status > 599 || !e->code || !e->message[0])
		abort();
}

static void s_petition(const json_t *j)
{
	struct intake_petition p;
	struct intake_err e = {0};
	struct intake_petition_opts o = {s_com, 4, 65536, 1};
	if (intake_petition_decode(j, NULL, 0, &o, &p, &e)) {
		s_check_err(&e);
		return;
	}
	if (!p.category || !p.building || !p.description || !p.address || !p.channel)
		abort();
	if (p.phone && !strchr(p.phone_masked, '*'))
		abort();
	if (p.name && !p.anonymous && !strstr(p.name_masked, "**"))
		abort();
	char *c = intake_contact_json(&p);
	free(c);
	/* the case's masking context (mask.c): valid text out, and the names
	   it keeps come back the same from the record */
	static const uint8_t key[32] = {1, 2, 3};
	struct intake_mask m, m2;
	intake_mask_init(&m, key, p.name_masked, p.name, NULL);
	char *d = intake_mask_text(&m, p.description);
	if (!d || !intake_utf8_valid(d, strlen(d)))
		abort();
	free(d);
	json_t *rec = json_object();
	intake_mask_save(&m, rec);
	intake_mask_init(&m2, key, p.name_masked, p.name, json_object_get(rec, "mask_names"));
	if (m2.nm.n != m.nm.n)
		abort();
	json_decref(rec);
	intake_petition_free(&p);
}

static void s_action(const json_t *j)
{
	struct intake_action a;
	struct intake_err e = {0};
	if (intake_action_decode(j, s_com, "C01JZ0000000000000000000001", 4, 65536, &a,
				 &e)) {
		s_check_err(&e);
		return;
	}
	intake_action_free(&a);
}

static void s_disclosure(const json_t *j)
{
	struct intake_err e = {0};
	json_t *d = intake_disclosure_decode(j, s_com, 0, &e);
	if (!d) {
		s_check_err(&e);
		return;
	}
	json_decref(d);
}

/* Parts separated by 0x00: "key\x01filename\x01data" (filename optional). */
static void s_form(const uint8_t *data, size_t size)
{
	struct intake_form f;
	struct intake_err e = {0};
	intake_form_init(&f);
	f.max_file = 4096;
	f.max_files = 4;
	size_t i = 0;
	while (i < size) {
		const uint8_t *end = memchr(data + i, 0, size - i);
		size_t n = end ? (size_t)(end - (data + i)) : size - i;
		char *part = strndup((const char *)data + i, n);
		char *key = part, *fname = NULL, *val = part + strlen(part);
		char *s1 = strchr(part, 1);
		if (s1) {
			*s1 = '\0';
			val = s1 + 1;
			char *s2 = strchr(val, 1);
			if (s2) {
				*s2 = '\0';
				fname = val;
				val = s2 + 1;
			}
		}
		/* deliver the value in two chunks, as the post processor may */
		size_t vl = strlen(val), half = vl / 2;
		int stop = half ? intake_form_feed(&f, key, fname, NULL, val, 0, half) ||
				      intake_form_feed(&f, key, fname, NULL, val + half,
						       half, vl - half)
				: intake_form_feed(&f, key, fname, NULL, val, 0, vl);
		free(part);
		if (stop)
			break;
		i += n + 1;
	}
	if (intake_form_finish(&f, &e) == 0) {
		struct intake_petition p;
		struct intake_petition_opts o = {s_com, 4, 4096, 0};
		if (intake_petition_decode(f.fields, f.uploads, f.nuploads, &o, &p, &e) ==
		    0)
			intake_petition_free(&p);
		else
			s_check_err(&e);
	} else {
		s_check_err(&e);
	}
	intake_form_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!s_com)
		s_init();
	if (size < 1)
		return 0;
	int which = data[0] % 4;
	data++;
	size--;
	if (which == 3) {
		s_form(data, size);
		return 0;
	}
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!j)
		return 0;
	if (which == 0)
		s_petition(j);
	else if (which == 1)
		s_action(j);
	else
		s_disclosure(j);
	json_decref(j);
	return 0;
}
