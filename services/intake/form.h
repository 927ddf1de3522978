/* form.h: form bodies (multipart/form-data with photos, or
 * application/x-www-form-urlencoded) turned into the same JSON object the
 * native API takes, plus the uploaded files, so one validator serves both.
 *
 * libmicrohttpd's post processor splits the body (qf_http_form_each); this
 * module collects what it hands over: text fields (valid UTF-8, at most
 * 64 KiB each, at most 64 of them), files (bounded count and size), and
 * converts the known typed fields (anonymous, consent_public: booleans;
 * lat, lng: numbers; parties, media_url: repeatable).
 */
#ifndef INTAKE_FORM_H
#define INTAKE_FORM_H

#include <jansson.h>
#include <stdint.h>

#include "petition.h"
#include "qf_http.h"
#include "text.h"

#define INTAKE_FORM_MAX_FIELDS 64
#define INTAKE_FORM_MAX_TEXT   65536

struct intake_form {
	json_t *fields; /* object of the text fields (converted) */
	struct intake_upload uploads[INTAKE_MAX_MEDIA];
	unsigned nuploads;
	/* limits and collector state */
	uint64_t max_file;
	unsigned max_files;
	int convert; /* convert the petition's typed fields */
	unsigned nfields;
	char *key;  /* current part's name */
	char *text; /* current text value */
	size_t text_len;
	int in_file;
	int failed;
	struct intake_err err;
};

void intake_form_init(struct intake_form *f);
void intake_form_free(struct intake_form *f);
/* Walk r's body into f (convert: petition field types). Returns 0, or -1
 * with the verdict in e. */
int intake_form_read(struct qf_http_req *r, struct intake_form *f, uint64_t max_file,
		     unsigned max_files, struct intake_err *e);
int intake_form_read_raw(struct qf_http_req *r, struct intake_form *f, uint64_t max_file,
			 unsigned max_files, struct intake_err *e);

/* The collector itself (a qf_http_form_fn), for fuzzing and unit tests:
 * feed parts as the post processor would, then finish. */
int intake_form_feed(void *arg, const char *key, const char *filename,
		     const char *content_type, const char *data, uint64_t off,
		     size_t size);
int intake_form_finish(struct intake_form *f, struct intake_err *e);

#endif
