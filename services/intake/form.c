/* form.c: collect form fields and uploaded files into a JSON object and
 * upload list (form.h).
 *
 * Design: a part is complete when the next one starts (offset 0) or the
 * walk ends; text parts are checked for UTF-8 only once complete, because a
 * chunk boundary may split a character. Limits are enforced while
 * collecting, so an oversize file is refused before it is all in memory
 * twice. */
#include "form.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void intake_form_init(struct intake_form *f)
{
	memset(f, 0, sizeof *f);
	f->fields = json_object();
	f->convert = 1;
}

void intake_form_free(struct intake_form *f)
{
	json_decref(f->fields);
	for (unsigned i = 0; i < f->nuploads; i++) {
		free(f->uploads[i].data);
		free(f->uploads[i].filename);
		free(f->uploads[i].field);
	}
	free(f->key);
	free(f->text);
	memset(f, 0, sizeof *f);
}

static int s_fail(struct intake_form *f)
{
	f->failed = 1;
	return 1;
}

static int s_is(const char *k, const char *name) { return !strcmp(k, name); }

static int s_bool_text(const char *v, int *out)
{
	static const char *const yes[] = {"true", "1", "on", "yes"};
	static const char *const no[] = {"false", "0", "off", "no", ""};
	for (size_t i = 0; i < 4; i++)
		if (!strcasecmp(v, yes[i]))
			return *out = 1, 0;
	for (size_t i = 0; i < 5; i++)
		if (!strcasecmp(v, no[i]))
			return *out = 0, 0;
	return -1;
}

/* Store the finished text part f->key = f->text. */
static int s_commit_text(struct intake_form *f)
{
	const char *k = f->key;
	const char *v = f->text ? f->text : "";
	if (!intake_utf8_valid(v, f->text_len) || strlen(v) != f->text_len) {
		intake_err_set(&f->err, 400, "invalid_utf8", k,
			       "%s 不是有效的 UTF-8 文本", k);
		return s_fail(f);
	}
	json_t *val = NULL;
	if (f->convert && (s_is(k, "anonymous") || s_is(k, "consent_public"))) {
		int b;
		val = s_bool_text(v, &b) ? json_string(v) : json_boolean(b);
	} else if (f->convert && (s_is(k, "lat") || s_is(k, "lng"))) {
		char *end;
		errno = 0;
		double d = strtod(v, &end);
		val = (*v && !*end && !errno && isfinite(d)) ? json_real(d)
							     : json_string(v);
	} else if (f->convert &&
		   (s_is(k, "parties") || s_is(k, "media_url") || s_is(k, "media"))) {
		const char *ak = s_is(k, "parties") ? "parties" : "media";
		json_t *arr = json_object_get(f->fields, ak);
		if (!arr) {
			arr = json_array();
			json_object_set_new(f->fields, ak, arr);
		}
		if (*v)
			json_array_append_new(arr, json_string(v));
		return 0;
	} else {
		val = json_string(v);
	}
	if (!val) {
		intake_err_set(&f->err, 500, "internal", k, "内存不足");
		return s_fail(f);
	}
	if (json_object_get(f->fields, k)) {
		json_decref(val);
		intake_err_set(&f->err, 400, "duplicate_field", k, "字段 %s 重复出现", k);
		return s_fail(f);
	}
	json_object_set_new(f->fields, k, val);
	return 0;
}

/* Close the current part, if any. */
static int s_close(struct intake_form *f)
{
	int rc = 0;
	if (f->key && !f->in_file)
		rc = s_commit_text(f);
	free(f->key);
	free(f->text);
	f->key = NULL;
	f->text = NULL;
	f->text_len = 0;
	f->in_file = 0;
	return rc;
}

int intake_form_feed(void *arg, const char *key, const char *filename,
		     const char *content_type, const char *data, uint64_t off,
		     size_t size)
{
	(void)content_type;
	struct intake_form *f = arg;
	if (f->failed)
		return 1;
	if (!key)
		key = "";
	if (off == 0) {
		if (s_close(f))
			return 1;
		if (++f->nfields > INTAKE_FORM_MAX_FIELDS) {
			intake_err_set(&f->err, 400, "too_many_fields", NULL,
				       "表单字段过多");
			return s_fail(f);
		}
		if (!intake_utf8_valid(key, strlen(key)) || strlen(key) > 64 || !*key) {
			intake_err_set(&f->err, 400, "invalid_field_name", NULL,
				       "表单字段名不合法");
			return s_fail(f);
		}
		f->key = strdup(key);
		if (!f->key) {
			intake_err_set(&f->err, 500, "internal", NULL, "内存不足");
			return s_fail(f);
		}
		if (filename) {
			/* a file input left empty sends an empty part without a name */
			if (!*filename && size == 0) {
				f->in_file = 1;
				free(f->key);
				f->key = NULL;
				return 0;
			}
			if (f->nuploads >= f->max_files) {
				intake_err_set(&f->err, 422, "too_many_media", "media",
					       "最多上传 %u 个图片", f->max_files);
				return s_fail(f);
			}
			struct intake_upload *u = &f->uploads[f->nuploads++];
			u->filename = strdup(filename);
			u->field = strdup(key);
			if (!u->filename || !u->field) {
				intake_err_set(&f->err, 500, "internal", NULL,
					       "内存不足");
				return s_fail(f);
			}
			f->in_file = 1;
		}
	}
	if (!f->key) /* the rest of an ignored empty file part */
		return 0;
	if (f->in_file) {
		struct intake_upload *u = &f->uploads[f->nuploads - 1];
		if (off != u->len || u->len + size > f->max_file) {
			char field[32];
			snprintf(field, sizeof field, "media[%u]", f->nuploads - 1);
			if (off != u->len)
				intake_err_set(&f->err, 400, "malformed_form", field,
					       "表单文件数据不连续");
			else
				intake_err_set(&f->err, 413, "media_too_large", field,
					       "%s 过大（最多 %llu 字节）", field,
					       (unsigned long long)f->max_file);
			return s_fail(f);
		}
		char *nd = realloc(u->data, u->len + size + 1);
		if (!nd) {
			intake_err_set(&f->err, 500, "internal", NULL, "内存不足");
			return s_fail(f);
		}
		u->data = nd;
		memcpy(u->data + u->len, data, size);
		u->len += size;
		return 0;
	}
	if (off != f->text_len || f->text_len + size > INTAKE_FORM_MAX_TEXT) {
		intake_err_set(&f->err, 400,
			       off != f->text_len ? "malformed_form" : "too_long", f->key,
			       "字段 %s 过长或数据不连续", f->key);
		return s_fail(f);
	}
	char *nt = realloc(f->text, f->text_len + size + 1);
	if (!nt) {
		intake_err_set(&f->err, 500, "internal", NULL, "内存不足");
		return s_fail(f);
	}
	f->text = nt;
	memcpy(f->text + f->text_len, data, size);
	f->text_len += size;
	f->text[f->text_len] = '\0';
	return 0;
}

int intake_form_finish(struct intake_form *f, struct intake_err *e)
{
	if (!f->failed)
		s_close(f);
	if (f->failed) {
		*e = f->err;
		return -1;
	}
	return 0;
}

static int s_read(struct qf_http_req *r, struct intake_form *f, uint64_t max_file,
		  unsigned max_files, int convert, struct intake_err *e)
{
	f->max_file = max_file;
	f->max_files = max_files < INTAKE_MAX_MEDIA ? max_files : INTAKE_MAX_MEDIA;
	f->convert = convert;
	if (!f->fields)
		return intake_err_set(e, 500, "internal", NULL, "内存不足");
	int rc = qf_http_form_each(r, intake_form_feed, f);
	if (f->failed)
		return intake_form_finish(f, e);
	if (rc)
		return intake_err_set(e, 400, "malformed_form", NULL, "表单格式错误");
	return intake_form_finish(f, e);
}

int intake_form_read(struct qf_http_req *r, struct intake_form *f, uint64_t max_file,
		     unsigned max_files, struct intake_err *e)
{
	return s_read(r, f, max_file, max_files, 1, e);
}

int intake_form_read_raw(struct qf_http_req *r, struct intake_form *f, uint64_t max_file,
			 unsigned max_files, struct intake_err *e)
{
	return s_read(r, f, max_file, max_files, 0, e);
}
