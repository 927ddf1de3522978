/* fuzz_audit_note: what qfctl audit verify reads from a server it does not
 * trust: signed notes (with a known key, so the signature path runs),
 * checkpoint bodies and verifier keys. Properties: a checkpoint that parses
 * formats back to the same text when it has no extension lines; a note
 * opens only when its known signature verifies. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct qf_note_signer s;
	static struct qf_note_verifier v;
	static int init;
	if (!init) {
		qf_note_signer_parse(&s, "PRIVATE+KEY+PeterNeumann+c74f20a3+"
					 "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz");
		qf_note_signer_verifier(&s, &v);
		init = 1;
	}
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	size_t tl;
	int rc = qf_note_open(text, size, &v, 1, &tl);
	if (rc == QF_OK && tl > size)
		abort();
	struct qf_checkpoint c;
	if (qf_checkpoint_parse(text, size, &c) == QF_OK && c.extensions == 0) {
		char *again = qf_checkpoint_format(c.origin, c.size, c.root);
		if (!again || strlen(again) != size || memcmp(again, text, size))
			abort();
		free(again);
	}
	struct qf_note_verifier v2;
	if (qf_note_verifier_parse(&v2, text) == QF_OK) {
		char *f = qf_note_verifier_format(&v2);
		struct qf_note_verifier v3;
		if (!f || qf_note_verifier_parse(&v3, f) || memcmp(v2.pk, v3.pk, 32))
			abort();
		free(f);
	}
	struct qf_note_signer s2;
	qf_note_signer_parse(&s2, text);
	/* signing any valid text gives a note that opens */
	if (qf_note_text_valid(text, size)) {
		char *note;
		size_t nl;
		if (qf_note_sign(&s, text, size, &note, &nl) == QF_OK) {
			if (qf_note_open(note, nl, &v, 1, &tl) != QF_OK || tl != size)
				abort();
			free(note);
		}
	}
	free(text);
	return 0;
}
