/* fuzz_notifier_records: everything the notifier parses that is not an
 * event: its own store records (delivery, case, follow) as read back from
 * LMDB, templates (strict and lenient), robot and gateway answers, and a
 * petitioner's contact after opening (the input sealed to a test key).
 * Nothing may crash or leak; a record that decodes must encode and decode
 * to the same thing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ntf_channel.h"
#include "ntf_keys.h"
#include "ntf_store.h"
#include "ntf_tmpl.h"
#include "ntf_util.h"

static struct ntf_keys s_keys;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	uint8_t sk[32];
	memset(sk, 7, sizeof sk);
	ntf_keys_from_secret(&s_keys, sk);
	return 0;
}

static void s_delivery(const uint8_t *data, size_t size)
{
	struct ntf_delivery d, back;
	if (ntf_delivery_decode(data, size, &d))
		return;
	size_t len;
	char *s = ntf_delivery_encode(&d, &len);
	if (!s)
		abort();
	if (ntf_delivery_decode(s, len, &back))
		abort(); /* what we write we must read */
	if (strcmp(d.id, back.id) || d.state != back.state ||
	    d.attempts != back.attempts || d.nmentions != back.nmentions ||
	    d.due != back.due)
		abort();
	free(s);
	struct json_t *j = ntf_delivery_json(&d);
	if (!j)
		abort();
	json_decref((json_t *)j);
	ntf_delivery_clear(&back);
	ntf_delivery_clear(&d);
}

static void s_case(const uint8_t *data, size_t size)
{
	struct ntf_case c, back;
	if (ntf_case_decode(data, size, &c))
		return;
	size_t len;
	char *s = ntf_case_encode(&c, &len);
	if (!s)
		abort();
	if (ntf_case_decode(s, len, &back) || back.sealed_len != c.sealed_len ||
	    (c.sealed_len && memcmp(back.sealed, c.sealed, c.sealed_len)))
		abort();
	free(s);
	ntf_case_clear(&back);
	ntf_case_clear(&c);
}

static void s_sub(const uint8_t *data, size_t size)
{
	struct ntf_sub f, back;
	if (ntf_sub_decode(data, size, &f))
		return;
	size_t len;
	char *s = ntf_sub_encode(&f, &len);
	if (!s || ntf_sub_decode(s, len, &back) || back.state != f.state ||
	    back.fmt != f.fmt)
		abort();
	free(s);
	ntf_sub_clear(&back);
	ntf_sub_clear(&f);
}

static void s_templates(const char *text)
{
	struct ntf_tmpl *t;
	char err[160];
	const char *vals[NTF_PH_COUNT];
	for (int i = 0; i < NTF_PH_COUNT; i++)
		vals[i] = (i % 3) ? "值{x}" : NULL;
	if (ntf_tmpl_parse(text, &t, err, sizeof err) == 0) {
		char *s = ntf_tmpl_render(t, vals);
		if (!s)
			abort();
		free(s);
		ntf_tmpl_free(&t);
	}
	static const char *const names[] = {"to", "text", "id"};
	if (ntf_tmpl_parse_names(text, names, 3, &t, err, sizeof err) == 0) {
		char *s = ntf_tmpl_render(t, vals);
		free(s);
		ntf_tmpl_free(&t);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	s_delivery(data, size);
	s_case(data, size);
	s_sub(data, size);
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	s_templates(text);
	char err[160];
	for (int fmt = 0; fmt < NTF_FMT_COUNT; fmt++)
		ntf_response_classify(fmt, 0, NULL, 200, (const char *)data, size, "OK",
				      err, sizeof err);
	/* an opened contact: whatever JSON the box holds */
	if (size < 4096) {
		uint8_t *box = malloc(size + crypto_box_SEALBYTES);
		crypto_box_seal(box, data, size, s_keys.pk);
		struct ntf_contact c;
		if (ntf_contact_open(&s_keys, box, size + crypto_box_SEALBYTES, &c) == 0)
			ntf_contact_wipe(&c);
		ntf_contact_open(&s_keys, data, size, &c); /* not a box */
		free(box);
	}
	ntf_utf8_clean(text);
	if (!ntf_text_valid(text, strlen(text))) {
		/* cleaning leaves valid UTF-8; only control characters remain */
		for (const unsigned char *p = (const unsigned char *)text; *p; p++)
			if (*p >= 0x80)
				goto utf8_ok;
	}
utf8_ok:
	free(text);
	return 0;
}
