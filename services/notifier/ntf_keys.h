/* ntf_keys.h: the notifier's secrets and what is done with them.
 *
 * Petitioners' contacts arrive sealed (crypto_box_seal) to the notifier's
 * public key; they are stored exactly as sealed and opened only by the
 * sender thread, just before sending, into memory that is wiped after use.
 * Followers' addresses are sealed the same way to our own public key, so no
 * address is ever in the store in clear. Follow ids and the tokens of
 * confirm/unsubscribe links are keyed hashes (BLAKE2b keyed with a key
 * derived from the secret key), so they reveal nothing and need no storage.
 */
#ifndef NTF_KEYS_H
#define NTF_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define NTF_TOKEN_LEN	  32 /* hex characters of a follow token */
#define NTF_FOLLOW_ID_LEN 25 /* "F" + 24 hex */

struct ntf_keys {
	uint8_t pk[crypto_box_PUBLICKEYBYTES];
	uint8_t sk[crypto_box_SECRETKEYBYTES];
	uint8_t mac[crypto_generichash_KEYBYTES]; /* ids and tokens */
	int ready; /* set (release) once the keys above are loaded; a
		      notifier may start before its key file exists */
};

/* True once keys are loaded (acquire: the key bytes are visible). */
int ntf_keys_ready(const struct ntf_keys *k);

/* Load the secret key (64 hex) from file (relative to base_file); derive
 * the public key and the MAC key. Returns 0 or QF_ERR_CONFIG with err. */
int ntf_keys_load(struct ntf_keys *k, const char *base_file, const char *file, char *err,
		  size_t n);
/* Build keys from raw secret key bytes (tests, fuzzing). */
void ntf_keys_from_secret(struct ntf_keys *k,
			  const uint8_t sk[crypto_box_SECRETKEYBYTES]);
void ntf_keys_wipe(struct ntf_keys *k);

/* A petitioner's contact, opened. Strings are malloc'd; ntf_contact_wipe
 * zeroes and frees them. */
struct ntf_contact {
	char *name, *phone, *email;
};
/* Open a sealed contact box into c. Returns 0, QF_ERR_CRYPTO (not sealed to
 * us or tampered) or QF_ERR_PROTO (not the expected JSON). */
int ntf_contact_open(const struct ntf_keys *k, const uint8_t *box, size_t len,
		     struct ntf_contact *c);
void ntf_contact_wipe(struct ntf_contact *c);

/* Seal text to our own public key (*box malloc'd). Returns 0 or error. */
int ntf_keys_seal(const struct ntf_keys *k, const char *text, uint8_t **box, size_t *len);
/* Open a box sealed with ntf_keys_seal: *text malloc'd, wipe after use. */
int ntf_keys_open(const struct ntf_keys *k, const uint8_t *box, size_t len, char **text);

/* Follow id of (target, format, normalised address). */
void ntf_keys_follow_id(const struct ntf_keys *k, const char *target, const char *fmt,
			const char *address, char out[NTF_FOLLOW_ID_LEN + 1]);
/* Token of a follow's confirm and unsubscribe links. */
void ntf_keys_follow_token(const struct ntf_keys *k, const char *follow_id,
			   char out[NTF_TOKEN_LEN + 1]);
/* A follow's one-step link: base_url "/v1/follows/" id "/" action
 * "?token=" its token (action "confirm" or "unsubscribe"). malloc'd, the
 * caller frees; NULL when out of memory. */
char *ntf_keys_follow_link(const struct ntf_keys *k, const char *base_url,
			   const char *follow_id, const char *action);
/* Constant-time check of a presented token. */
int ntf_keys_token_ok(const struct ntf_keys *k, const char *follow_id, const char *token);

/* jansson allocator that zeroes memory before freeing it, so that the
 * copies jansson makes while parsing an opened contact do not linger. Call
 * once at start, before any jansson use. */
void ntf_keys_wiping_json_alloc(void);

#endif
