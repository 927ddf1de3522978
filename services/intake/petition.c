/* petition.c: decode and validate a petition (petition.h).
 *
 * Design: one strict decoder for every way a petition arrives (JSON, form,
 * Open311, a visit finding, a released spam hold), so the rules cannot
 * drift apart. Unknown members are ignored (clients may send more than we
 * read), wrong types and bad values are refused with the field named. */
#include "petition.h"
#include "locate.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_id.h"

static const char *const s_channels[] = {"app",	   "web",   "counter",
					 "patrol", "phone", "open311"};

int intake_json_str(const json_t *obj, const char *key, int required, size_t max,
		    int multiline, char **out, struct intake_err *e)
{
	*out = NULL;
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		if (required)
			return intake_err_set(e, 400, "missing_field", key,
					      "缺少必填项 %s", key);
		return 0;
	}
	if (!json_is_string(v))
		return intake_err_set(e, 400, "invalid_type", key, "%s 必须是字符串",
				      key);
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return intake_err_set(e, 400, "invalid_text", key, "%s 含有空字符", key);
	char *t = intake_trim_dup(s);
	if (!t)
		return intake_err_set(e, 500, "internal", key, "内存不足");
	if (!*t) {
		free(t);
		if (required)
			return intake_err_set(e, 400, "missing_field", key, "%s 不能为空",
					      key);
		return 0;
	}
	if (intake_has_control(t, multiline)) {
		free(t);
		return intake_err_set(e, 400, "invalid_text", key, "%s 含有控制字符",
				      key);
	}
	size_t n = intake_utf8_len(t);
	if (n > max) {
		free(t);
		return intake_err_set(e, 400, "too_long", key,
				      "%s 过长（%zu 字，最多 %zu 字）", key, n, max);
	}
	*out = t;
	return 0;
}

int intake_json_bool(const json_t *obj, const char *key, int def, int *out,
		     struct intake_err *e)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		*out = def;
		return 0;
	}
	if (!json_is_boolean(v))
		return intake_err_set(e, 400, "invalid_type", key,
				      "%s 必须是 true 或 false", key);
	*out = json_is_true(v);
	return 0;
}

int intake_json_int(const json_t *obj, const char *key, int required, long long min,
		    long long max, long long def, long long *out, struct intake_err *e)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		if (required)
			return intake_err_set(e, 400, "missing_field", key,
					      "缺少必填项 %s", key);
		*out = def;
		return 0;
	}
	if (!json_is_integer(v))
		return intake_err_set(e, 400, "invalid_type", key, "%s 必须是整数", key);
	long long x = json_integer_value(v);
	if (x < min || x > max)
		return intake_err_set(e, 400, "out_of_range", key,
				      "%s 必须在 %lld 到 %lld 之间", key, min, max);
	*out = x;
	return 0;
}

const char *intake_media_sniff(const void *data, size_t len)
{
	const unsigned char *d = data;
	if (len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
		return "image/jpeg";
	static const unsigned char png[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
	if (len >= 8 && !memcmp(d, png, 8))
		return "image/png";
	return NULL;
}

int intake_filename_safe(const char *name)
{
	size_t l = strlen(name);
	if (l == 0 || l > INTAKE_FILENAME_MAX || name[0] == '.')
		return 0;
	if (!intake_utf8_valid(name, l) || intake_has_control(name, 0))
		return 0;
	if (strchr(name, '/') || strchr(name, '\\') || strstr(name, "..") ||
	    strchr(name, ':'))
		return 0;
	return 1;
}

void intake_media_free(struct intake_media *m)
{
	free(m->data);
	free(m->url);
	memset(m, 0, sizeof *m);
}

/* Sniff, size-check and hash bytes into m (takes ownership of data). */
static int s_media_bytes(char *data, size_t len, const char *field, uint64_t max_bytes,
			 struct intake_media *m, struct intake_err *e)
{
	if (len == 0) {
		free(data);
		return intake_err_set(e, 400, "invalid_media", field, "%s 是空文件",
				      field);
	}
	if (len > max_bytes) {
		free(data);
		return intake_err_set(e, 413, "media_too_large", field,
				      "%s 过大（%zu 字节，最多 %llu 字节）", field, len,
				      (unsigned long long)max_bytes);
	}
	const char *ct = intake_media_sniff(data, len);
	if (!ct) {
		free(data);
		return intake_err_set(e, 415, "unsupported_media_type", field,
				      "%s 不是 JPEG 或 PNG 图片", field);
	}
	uint8_t h[32];
	crypto_hash_sha256(h, (const uint8_t *)data, len);
	m->kind = INTAKE_MEDIA_UPLOAD;
	qf_hex(h, 32, m->sha256);
	m->content_type = ct;
	m->size = len;
	m->data = data;
	return 0;
}

int intake_media_from_upload(struct intake_upload *u, const char *field,
			     uint64_t max_bytes, struct intake_media *m,
			     struct intake_err *e)
{
	char *data = u->data;
	u->data = NULL;
	if (u->filename && !intake_filename_safe(u->filename)) {
		free(data);
		return intake_err_set(e, 400, "bad_filename", field,
				      "%s 的文件名不合法（不能包含路径）", field);
	}
	return s_media_bytes(data, u->len, field, max_bytes, m, e);
}

static int s_hex64(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

int intake_media_item_decode(const json_t *item, const char *field, uint64_t max_bytes,
			     struct intake_media *m, struct intake_err *e)
{
	memset(m, 0, sizeof *m);
	const char *url = NULL;
	if (json_is_string(item))
		url = json_string_value(item);
	else if (!json_is_object(item))
		return intake_err_set(e, 400, "invalid_media", field,
				      "%s 必须是链接或对象 {data|url|sha256}", field);
	else if (json_is_string(json_object_get(item, "url")))
		url = json_string_value(json_object_get(item, "url"));
	if (url) {
		if (!intake_url_valid(url))
			return intake_err_set(e, 400, "invalid_media", field,
					      "%s 不是有效的 http(s) 链接", field);
		m->kind = INTAKE_MEDIA_URL;
		m->url = strdup(url);
		return m->url ? 0 : intake_err_set(e, 500, "internal", field, "内存不足");
	}
	json_t *sha = json_object_get(item, "sha256");
	if (sha) {
		if (!json_is_string(sha) || !s_hex64(json_string_value(sha)))
			return intake_err_set(e, 400, "invalid_media", field,
					      "%s.sha256 必须是 64 位小写十六进制",
					      field);
		m->kind = INTAKE_MEDIA_REF;
		memcpy(m->sha256, json_string_value(sha), 65);
		json_t *tok = json_object_get(item, "upload_token");
		if (tok && !json_is_null(tok)) {
			const char *tv = json_is_string(tok) ? json_string_value(tok) : NULL;
			size_t tl = tv ? strlen(tv) : 0;
			int ok = tl >= 3 && tl < sizeof m->token;
			for (size_t i = 0; ok && i < tl; i++)
				ok = (tv[i] >= '0' && tv[i] <= '9') ||
				     (tv[i] >= 'A' && tv[i] <= 'Z') || tv[i] == '.';
			if (!ok) {
				char f[64];
				snprintf(f, sizeof f, "%.40s.upload_token", field);
				return intake_err_set(
				    e, 400, "invalid_media", f,
				    "%s.upload_token 不是 POST /v1/media 给出的上传凭证",
				    field);
			}
			memcpy(m->token, tv, tl + 1);
		}
		return 0;
	}
	json_t *data = json_object_get(item, "data");
	if (!json_is_string(data))
		return intake_err_set(e, 400, "invalid_media", field,
				      "%s 需要 data（base64）、url 或 sha256", field);
	const char *b64 = json_string_value(data);
	size_t bl = json_string_length(data);
	if (!strncmp(b64, "data:", 5)) { /* data URL: data:image/png;base64,.... */
		const char *comma = memchr(b64, ',', bl);
		if (!comma)
			return intake_err_set(e, 400, "invalid_media", field,
					      "%s 的 data URL 不完整", field);
		bl -= (size_t)(comma + 1 - b64);
		b64 = comma + 1;
	}
	/* decoded size bound before allocating: 3 bytes per 4 characters */
	if (bl / 4 * 3 > max_bytes + 3)
		return intake_err_set(e, 413, "media_too_large", field,
				      "%s 过大（最多 %llu 字节）", field,
				      (unsigned long long)max_bytes);
	size_t cap = bl / 4 * 3 + 3;
	char *bin = malloc(cap ? cap : 1);
	if (!bin)
		return intake_err_set(e, 500, "internal", field, "内存不足");
	size_t blen = 0;
	const char *end = NULL;
	int ok = sodium_base642bin((unsigned char *)bin, cap, b64, bl, " \r\n", &blen,
				   &end, sodium_base64_VARIANT_ORIGINAL) == 0 &&
		 end == b64 + bl;
	if (!ok)
		ok = sodium_base642bin((unsigned char *)bin, cap, b64, bl, " \r\n", &blen,
				       &end,
				       sodium_base64_VARIANT_ORIGINAL_NO_PADDING) == 0 &&
		     end == b64 + bl;
	if (!ok) {
		free(bin);
		return intake_err_set(e, 400, "invalid_media", field,
				      "%s.data 不是有效的 base64", field);
	}
	return s_media_bytes(bin, blen, field, max_bytes, m, e);
}

static int s_channel_ok(const char *c, int open311)
{
	for (size_t i = 0; i < sizeof s_channels / sizeof s_channels[0]; i++)
		if (!strcmp(c, s_channels[i]))
			return strcmp(c, "open311") || open311;
	return 0;
}

/* No building named: the one the coordinates or the address point to, or
 * "" (unlocated: the petition waits for the dispatcher). */
static int s_locate(const struct intake_petition_opts *o, struct intake_petition *p)
{
	const struct qf_building *b = NULL;
	if (p->has_location) {
		b = intake_locate_point(o->community, p->lat, p->lng, o->locate_within_m);
		p->located_by = b ? INTAKE_LOCATED_POINT : 0;
	}
	if (!b && (b = intake_locate_address(o->community, p->address)))
		p->located_by = INTAKE_LOCATED_ADDRESS;
	if (!b)
		p->located_by = INTAKE_UNLOCATED;
	p->building = strdup(b ? b->id : "");
	return p->building ? 0 : -1;
}

static int s_location(const json_t *obj, struct intake_petition *p, struct intake_err *e)
{
	json_t *la = json_object_get(obj, "lat"), *lo = json_object_get(obj, "lng");
	if (la && json_is_null(la))
		la = NULL;
	if (lo && json_is_null(lo))
		lo = NULL;
	if (!la && !lo)
		return 0;
	if (!la || !lo)
		return intake_err_set(e, 400, "invalid_location", la ? "lng" : "lat",
				      "经纬度 lat 和 lng 必须同时提供");
	if (!json_is_number(la))
		return intake_err_set(e, 400, "invalid_location", "lat",
				      "lat 必须是数字");
	if (!json_is_number(lo))
		return intake_err_set(e, 400, "invalid_location", "lng",
				      "lng 必须是数字");
	double a = json_number_value(la), o = json_number_value(lo);
	if (!isfinite(a) || a < -90 || a > 90)
		return intake_err_set(e, 400, "invalid_location", "lat",
				      "lat 必须在 -90 到 90 之间");
	if (!isfinite(o) || o < -180 || o > 180)
		return intake_err_set(e, 400, "invalid_location", "lng",
				      "lng 必须在 -180 到 180 之间");
	p->has_location = 1;
	p->lat = a;
	p->lng = o;
	return 0;
}

static int s_staff_ref(const struct qf_community *c, const char *id, const char *field,
		       struct intake_err *e)
{
	if (!qf_community_staff(c, id))
		return intake_err_set(e, 422, "unknown_staff", field,
				      "没有编号为 %s 的工作人员", id);
	return 0;
}

int intake_media_decode(const json_t *obj, struct intake_upload *up, unsigned nup,
			unsigned max, uint64_t max_bytes, struct intake_media *out,
			unsigned *n, struct intake_err *e)
{
	json_t *arr = json_object_get(obj, "media");
	size_t nj = 0;
	*n = 0;
	if (arr && !json_is_null(arr)) {
		if (!json_is_array(arr))
			return intake_err_set(e, 400, "invalid_type", "media",
					      "media 必须是数组");
		nj = json_array_size(arr);
	}
	if (max > INTAKE_MAX_MEDIA)
		max = INTAKE_MAX_MEDIA;
	if (nj + nup > max)
		return intake_err_set(e, 422, "too_many_media", "media",
				      "最多上传 %u 个图片或链接（收到 %zu 个）", max,
				      nj + nup);
	char field[32];
	for (unsigned i = 0; i < nup; i++) {
		snprintf(field, sizeof field, "media[%u]", *n);
		if (intake_media_from_upload(&up[i], field, max_bytes, &out[*n], e))
			return -1;
		(*n)++;
	}
	for (size_t i = 0; i < nj; i++) {
		snprintf(field, sizeof field, "media[%u]", *n);
		if (intake_media_item_decode(json_array_get(arr, i), field, max_bytes,
					     &out[*n], e))
			return -1;
		(*n)++;
	}
	/* the same photo twice is one photo */
	for (unsigned i = 0; i < *n; i++)
		for (unsigned k = i + 1; k < *n; k++)
			if (out[i].kind != INTAKE_MEDIA_URL && out[k].kind != INTAKE_MEDIA_URL &&
			    !strcmp(out[i].sha256, out[k].sha256))
				return intake_err_set(e, 422, "duplicate_media", "media",
						      "同一张图片上传了两次");
	return 0;
}

int intake_petition_decode(const json_t *obj, struct intake_upload *up, unsigned nup,
			   const struct intake_petition_opts *o,
			   struct intake_petition *p, struct intake_err *e)
{
	memset(p, 0, sizeof *p);
	int rc = -1;
	if (!json_is_object(obj)) {
		intake_err_set(e, 400, "not_an_object", NULL, "请求体必须是 JSON 对象");
		goto out;
	}
	if (intake_json_str(obj, "category", 1, 64, 0, &p->category, e) ||
	    intake_json_str(obj, "building", 0, 64, 0, &p->building, e) ||
	    intake_json_str(obj, "address", 1, INTAKE_ADDRESS_MAX, 0, &p->address, e) ||
	    intake_json_str(obj, "description", 1, INTAKE_DESCRIPTION_MAX, 1,
			    &p->description, e) ||
	    intake_json_str(obj, "channel", 1, 16, 0, &p->channel, e))
		goto out;
	if (!s_channel_ok(p->channel, o->open311)) {
		intake_err_set(e, 400, "invalid_channel", "channel",
			       "channel 必须是 app、web、counter、patrol 或 phone 之一");
		goto out;
	}
	if (intake_json_bool(obj, "anonymous", 0, &p->anonymous, e) ||
	    intake_json_bool(obj, "consent_public", 0, &p->consent_public, e))
		goto out;
	if (intake_json_str(obj, "name", !p->anonymous, INTAKE_NAME_MAX, 0, &p->name, e))
		goto out;
	/* a named petitioner leaves a phone number; an Open311 client may give
	   an e-mail address instead (FixMyStreet's sends a phone only when it
	   has one) */
	const char *em = json_string_value(json_object_get(obj, "email"));
	int need_phone = !p->anonymous && !(o->open311 && em && *em);
	char *phone = NULL;
	if (intake_json_str(obj, "phone", need_phone, 32, 0, &phone, e))
		goto out;
	if (phone) {
		char norm[40];
		if (intake_phone_norm(phone, norm, sizeof norm)) {
			free(phone);
			intake_err_set(
			    e, 400, "invalid_phone", "phone",
			    "电话号码格式不正确（手机 11 位，或带区号的固定电话）");
			goto out;
		}
		free(phone);
		p->phone = strdup(norm);
		if (!p->phone) {
			intake_err_set(e, 500, "internal", NULL, "内存不足");
			goto out;
		}
		intake_phone_mask(p->phone, p->phone_masked, sizeof p->phone_masked);
	}
	if (intake_json_str(obj, "email", 0, 254, 0, &p->email, e))
		goto out;
	if (p->email && !intake_email_valid(p->email)) {
		intake_err_set(e, 400, "invalid_email", "email", "电子邮箱格式不正确");
		goto out;
	}
	if (p->anonymous || !p->name)
		snprintf(p->name_masked, sizeof p->name_masked, "匿名");
	else
		intake_name_mask(p->name, p->name_masked, sizeof p->name_masked);
	if (s_location(obj, p, e))
		goto out;
	if (!qf_community_category(o->community, p->category)) {
		intake_err_set(e, 422, "unknown_category", "category",
			       "没有这个诉求类别：%s", p->category);
		goto out;
	}
	if (p->building && !qf_community_building(o->community, p->building)) {
		intake_err_set(e, 422, "unknown_building", "building", "没有这个楼栋：%s",
			       p->building);
		goto out;
	}
	if (!p->building && s_locate(o, p)) {
		intake_err_set(e, 500, "internal", NULL, "内存不足");
		goto out;
	}
	if (intake_json_str(obj, "concerns_staff", 0, 32, 0, &p->concerns_staff, e))
		goto out;
	if (p->concerns_staff) {
		if (strcmp(p->category, "integrity_report")) {
			intake_err_set(
			    e, 422, "concerns_staff_not_allowed", "concerns_staff",
			    "只有作风问题举报（integrity_report）可以指明被举报人");
			goto out;
		}
		if (s_staff_ref(o->community, p->concerns_staff, "concerns_staff", e))
			goto out;
	}
	json_t *parties = json_object_get(obj, "parties");
	if (parties && !json_is_null(parties)) {
		if (!json_is_array(parties) ||
		    json_array_size(parties) > INTAKE_MAX_PARTIES) {
			intake_err_set(e, 400, "invalid_type", "parties",
				       "parties 必须是最多 %d 个工作人员编号的数组",
				       INTAKE_MAX_PARTIES);
			goto out;
		}
		for (size_t i = 0; i < json_array_size(parties); i++) {
			json_t *v = json_array_get(parties, i);
			if (!json_is_string(v)) {
				intake_err_set(e, 400, "invalid_type", "parties",
					       "parties 的每一项必须是字符串");
				goto out;
			}
			if (s_staff_ref(o->community, json_string_value(v), "parties", e))
				goto out;
			p->parties[p->nparties] = strdup(json_string_value(v));
			if (!p->parties[p->nparties++]) {
				intake_err_set(e, 500, "internal", NULL, "内存不足");
				goto out;
			}
		}
	}
	if (intake_media_decode(obj, up, nup, o->max_media, o->max_media_bytes, p->media,
				&p->nmedia, e))
		goto out;
	rc = 0;
out:
	for (unsigned i = 0; i < nup; i++) {
		free(up[i].data);
		up[i].data = NULL;
	}
	if (rc)
		intake_petition_free(p);
	return rc;
}

void intake_petition_free(struct intake_petition *p)
{
	free(p->category);
	free(p->building);
	free(p->address);
	free(p->description);
	free(p->channel);
	free(p->name);
	if (p->phone)
		sodium_memzero(p->phone, strlen(p->phone));
	free(p->phone);
	free(p->email);
	free(p->concerns_staff);
	for (unsigned i = 0; i < p->nparties; i++)
		free(p->parties[i]);
	for (unsigned i = 0; i < p->nmedia; i++)
		intake_media_free(&p->media[i]);
	memset(p, 0, sizeof *p);
}
