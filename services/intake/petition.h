/* petition.h: a petition as intake accepts it, and the decoder that turns a
 * JSON object (native API, or built from a form or an Open311 request) into
 * one, refusing anything invalid with a precise verdict.
 *
 * The decoder is pure: it needs the community (categories, buildings,
 * staff) and the uploaded files, nothing else, so the fuzzers and unit tests
 * drive it directly. It never looks at the spam rules (spam.h) or the store.
 */
#ifndef INTAKE_PETITION_H
#define INTAKE_PETITION_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "qf_community.h"
#include "text.h"

#define INTAKE_MAX_MEDIA       8 /* hard ceiling; the configured limit is lower */
#define INTAKE_MAX_PARTIES     8
#define INTAKE_ADDRESS_MAX     200 /* characters */
#define INTAKE_DESCRIPTION_MAX 4000
#define INTAKE_NAME_MAX	       32
#define INTAKE_FILENAME_MAX    255

/* An uploaded file (multipart part, or a base64 "data" in JSON). */
struct intake_upload {
	char *data; /* malloc'd bytes; ownership moves to the petition */
	size_t len;
	char *filename; /* as sent (multipart), or NULL */
	char *field;	/* form field name, or NULL */
};

enum intake_media_kind {
	INTAKE_MEDIA_UPLOAD = 1, /* bytes to store (data/len) */
	INTAKE_MEDIA_REF,	 /* a sha256 uploaded earlier (POST /v1/media) */
	INTAKE_MEDIA_URL,	 /* a media URL, not fetched */
};

struct intake_media {
	enum intake_media_kind kind;
	char sha256[65];	  /* hex; UPLOAD and REF */
	const char *content_type; /* static: "image/jpeg", "image/png"; REF: set
				     when the store confirms it */
	uint64_t size;
	char *data; /* UPLOAD: owned bytes */
	char *url;  /* URL: owned */
	char token[64]; /* REF: the upload token of POST /v1/media, or "" */
};

struct intake_petition {
	char *category, *building, *address, *description;
	char *channel;
	int anonymous, consent_public;
	int has_location;
	double lat, lng;
	char *name;	       /* NULL when none given */
	char *phone;	       /* normalised, or NULL */
	char *email;	       /* or NULL */
	char name_masked[64];  /* "张**" or "匿名" */
	char phone_masked[32]; /* "138****5678" or "" */
	char *concerns_staff;  /* integrity reports: staff reported, or NULL */
	char *parties[INTAKE_MAX_PARTIES];
	unsigned nparties;
	struct intake_media media[INTAKE_MAX_MEDIA];
	unsigned nmedia;
	int located_by; /* enum intake_located: how building was found */
};

/* How a petition's building was found; INTAKE_UNLOCATED: building is "" and
 * the petition waits for the dispatcher (dispatch.c). */
enum intake_located {
	INTAKE_LOCATED_GIVEN = 0, /* the request named it */
	INTAKE_LOCATED_POINT,	  /* coordinates: footprint or nearest point */
	INTAKE_LOCATED_ADDRESS,	  /* address text: a building's name or alias */
	INTAKE_UNLOCATED,
};

struct intake_petition_opts {
	const struct qf_community *community;
	unsigned max_media;	  /* photos + URLs, e.g. 4 */
	uint64_t max_media_bytes; /* per photo, e.g. 5 MiB */
	int open311;		  /* channel "open311" allowed (Open311 route) */
	double locate_within_m;	  /* nearest building point counted (metres) */
};

/* Decode and validate. On success fills p (free with intake_petition_free)
 * and returns 0; uploads are consumed (their data moves into p or is freed)
 * either way. On failure returns -1 with the verdict in e. */
int intake_petition_decode(const json_t *obj, struct intake_upload *uploads,
			   unsigned nuploads, const struct intake_petition_opts *o,
			   struct intake_petition *p, struct intake_err *e);
void intake_petition_free(struct intake_petition *p);

/* Helpers shared with the other decoders (actions, visits, disclosures).
 * Read member `key` of obj as a trimmed string of at most max characters:
 * returns 0 with *out malloc'd (NULL if absent/null/empty and !required),
 * or -1 with the verdict. */
int intake_json_str(const json_t *obj, const char *key, int required, size_t max,
		    int multiline, char **out, struct intake_err *e);
/* A boolean member (absent: def). */
int intake_json_bool(const json_t *obj, const char *key, int def, int *out,
		     struct intake_err *e);
/* An integer member within [min, max] (absent and !required: def). */
int intake_json_int(const json_t *obj, const char *key, int required, long long min,
		    long long max, long long def, long long *out, struct intake_err *e);
/* Decode one media item ("https://..", {"url"}, {"data","content_type"},
 * {"sha256", "upload_token"?}) into m; field names the item for errors ("media[1]"). */
int intake_media_item_decode(const json_t *item, const char *field, uint64_t max_bytes,
			     struct intake_media *m, struct intake_err *e);
/* Turn an upload into a media item (sniff the type, hash, check size and
 * file name). Consumes u->data. */
int intake_media_from_upload(struct intake_upload *u, const char *field,
			     uint64_t max_bytes, struct intake_media *m,
			     struct intake_err *e);
/* The media of a request: the form's uploads (consumed), then obj's
 * "media" array; at most max in all (and INTAKE_MAX_MEDIA), each photo at
 * most max_bytes, no photo twice. Fills out[0..*n); on -1 the caller frees
 * out[0..*n) (the verdict in e: 413 media_too_large, 422 too_many_media...). */
int intake_media_decode(const json_t *obj, struct intake_upload *up, unsigned nup,
			unsigned max, uint64_t max_bytes, struct intake_media *out,
			unsigned *n, struct intake_err *e);
void intake_media_free(struct intake_media *m);
/* A multipart file name free of path tricks (no '/', '\\', "..", control
 * characters or leading '.'; valid UTF-8; at most 255 bytes). */
int intake_filename_safe(const char *name);
/* The image type of bytes by their magic number, or NULL. */
const char *intake_media_sniff(const void *data, size_t len);

#endif
