/* qf_note.h: C2SP signed notes with Ed25519 keys, and the C2SP
 * tlog-checkpoint body they carry.
 *
 * A note is UTF-8 text ending in a newline, a blank line, then signature
 * lines "— <name> <base64(key hash || signature)>\n". The key hash is the
 * first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key); the
 * signature is Ed25519 over the text (up to and including its last
 * newline). Key encodings are those of the Go sumdb note package, so keys
 * made here work with existing transparency-log tools and back:
 *   verifier key  <name>+<hex key hash>+<base64(0x01 || public key)>
 *   signer key    PRIVATE+KEY+<name>+<hex key hash>+<base64(0x01 || seed)>
 *
 * A checkpoint body is "<origin>\n<tree size>\n<base64 root hash>\n" plus
 * optional extension lines.
 *
 * Errors: QF_ERR_INVAL for malformed text or keys, QF_ERR_CRYPTO for a bad
 * signature, QF_ERR_NOTFOUND when no known key signed a note.
 */
#ifndef QF_NOTE_H
#define QF_NOTE_H

#include <stddef.h>
#include <stdint.h>

#define QF_NOTE_MAX_NAME 255
#define QF_NOTE_MAX_SIGS 100

struct qf_note_signer {
	char name[QF_NOTE_MAX_NAME + 1];
	uint8_t hash[4];
	uint8_t pk[32];
	uint8_t sk[64]; /* libsodium secret key (seed || public key) */
};

struct qf_note_verifier {
	char name[QF_NOTE_MAX_NAME + 1];
	uint8_t hash[4];
	uint8_t pk[32];
};

/* A key name: non-empty UTF-8, no spaces or control characters, no '+'. */
int qf_note_name_valid(const char *name);
/* Note text: valid UTF-8 without control characters other than newline,
 * ending with a newline. */
int qf_note_text_valid(const char *text, size_t len);
void qf_note_key_hash(const char *name, const uint8_t pk[32], uint8_t out[4]);

/* Make a fresh Ed25519 key pair named `name`. Returns 0 or QF_ERR_INVAL. */
int qf_note_signer_generate(struct qf_note_signer *s, const char *name);
/* Parse a signer key (surrounding whitespace allowed). */
int qf_note_signer_parse(struct qf_note_signer *s, const char *skey);
/* The signer key text (malloc'd, no newline), or NULL when out of memory. */
char *qf_note_signer_format(const struct qf_note_signer *s);
/* The verifier of a signer. */
void qf_note_signer_verifier(const struct qf_note_signer *s, struct qf_note_verifier *v);
/* Parse a verifier key (surrounding whitespace allowed). */
int qf_note_verifier_parse(struct qf_note_verifier *v, const char *vkey);
/* The verifier key text (malloc'd, no newline), or NULL. */
char *qf_note_verifier_format(const struct qf_note_verifier *v);

/* Read the first key line of a file (lines starting with '#' and blank
 * lines are skipped) into buf. Returns 0, QF_ERR_IO or QF_ERR_INVAL. */
int qf_note_read_key_file(const char *path, char *buf, size_t n);

/* Sign text (qf_note_text_valid) into a note: *out is malloc'd and
 * NUL-terminated, length in *out_len. */
int qf_note_sign(const struct qf_note_signer *s, const char *text, size_t len, char **out,
		 size_t *out_len);
/* Check a note: its shape, and every signature by a known verifier (name and
 * key hash match). Signatures by unknown keys are ignored, but at least one
 * known key must have signed (QF_ERR_NOTFOUND otherwise); a known key's
 * signature that does not verify is QF_ERR_CRYPTO. On success *text_len is
 * the length of the signed text (note[0..text_len)). */
int qf_note_open(const char *note, size_t len, const struct qf_note_verifier *v,
		 size_t nv, size_t *text_len);

/* ------------------------------------------------------------ checkpoints */

struct qf_checkpoint {
	char origin[QF_NOTE_MAX_NAME + 1];
	uint64_t size;
	uint8_t root[32];
	unsigned extensions; /* extension lines present (not interpreted) */
};

/* Parse a checkpoint body (the signed text of a note). Strict: decimal size
 * without leading zeros, canonical base64 of exactly 32 bytes, every line
 * non-empty. Returns 0 or QF_ERR_INVAL. */
int qf_checkpoint_parse(const char *text, size_t len, struct qf_checkpoint *c);
/* The body of a checkpoint (malloc'd, NUL-terminated), or NULL when the
 * origin is not a valid line or out of memory. */
char *qf_checkpoint_format(const char *origin, uint64_t size, const uint8_t root[32]);

/* Standard base64 with padding (what notes and checkpoints use). The
 * decoder is strict: no whitespace, canonical padding. */
char *qf_b64_encode(const void *data, size_t len); /* malloc'd */
int qf_b64_decode(const char *s, size_t slen, uint8_t *out, size_t max, size_t *out_len);

#endif
