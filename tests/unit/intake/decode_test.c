/* decode_test: the decoders intake applies to what people send: petitions
 * (JSON and form collector), staff actions, disclosure records; with the
 * real community file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <unistd.h>

#include "form.h"
#include "intake.h"
#include "petition.h"
#include "qf_event.h"

static struct qf_community *s_com;

/* config/community.cfg, found from the repository root or below it. */
static int s_setup(void **st)
{
	(void)st;
	static const char *const tries[] = {
	    "config/community.cfg", "../config/community.cfg",
	    "../../config/community.cfg", "../../../config/community.cfg",
	    "../../../../config/community.cfg"};
	struct qf_cfg_errors e;
	for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
		memset(&e, 0, sizeof e);
		if (access(tries[i], R_OK) == 0 &&
		    qf_community_load(tries[i], &s_com, &e) == 0)
			return 0;
	}
	fprintf(stderr,
		"decode_test: config/community.cfg not found (run from the repo)\n");
	return -1;
}

static int s_teardown(void **st)
{
	(void)st;
	qf_community_free(&s_com);
	return 0;
}

static int s_decode(const char *text, struct intake_petition *p, struct intake_err *e)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	assert_non_null(j);
	struct intake_petition_opts o = {s_com, 4, 1024, 0};
	int rc = intake_petition_decode(j, NULL, 0, &o, p, e);
	json_decref(j);
	return rc;
}

#define BASE                                                                             \
	"\"category\":\"facility_repair\",\"building\":\"B03\",\"address\":\"3栋\","    \
	"\"description\":\"灯坏了\",\"channel\":\"app\""

static void t_petition_ok(void **st)
{
	(void)st;
	struct intake_petition p;
	struct intake_err e = {0};
	assert_int_equal(
	    s_decode("{" BASE ",\"name\":\" 王小明 \",\"phone\":\"138-0000-1111\","
		     "\"lat\":30.5,\"lng\":104,\"consent_public\":true,"
		     "\"media\":[\"https://example.org/a.jpg\"],\"expect\":\"x\"}",
		     &p, &e),
	    0);
	assert_string_equal(p.name, "王小明");
	assert_string_equal(p.phone, "13800001111");
	assert_string_equal(p.phone_masked, "138****1111");
	assert_string_equal(p.name_masked, "王**");
	assert_true(p.has_location);
	assert_true(p.consent_public);
	assert_int_equal(p.nmedia, 1);
	assert_int_equal(p.media[0].kind, INTAKE_MEDIA_URL);
	intake_petition_free(&p);
	/* anonymous: no name or phone needed */
	assert_int_equal(s_decode("{" BASE ",\"anonymous\":true}", &p, &e), 0);
	assert_null(p.name);
	assert_string_equal(p.name_masked, "匿名");
	assert_string_equal(p.phone_masked, "");
	intake_petition_free(&p);
}

static void s_bad(const char *text, unsigned status, const char *code, const char *field)
{
	struct intake_petition p;
	struct intake_err e = {0};
	if (s_decode(text, &p, &e) == 0) {
		intake_petition_free(&p);
		fail_msg("accepted: %s", text);
	}
	assert_int_equal(e.status, status);
	assert_string_equal(e.code, code);
	assert_string_equal(e.field, field);
	assert_true(strlen(e.message) > 0);
}

static void t_petition_bad(void **st)
{
	(void)st;
	s_bad("{" BASE "}", 400, "missing_field", "name");
	s_bad("{" BASE ",\"name\":\"x\"}", 400, "missing_field", "phone");
	s_bad("{" BASE ",\"name\":\"x\",\"phone\":\"123\"}", 400, "invalid_phone",
	      "phone");
	s_bad("{\"category\":\"nope\",\"building\":\"B03\",\"address\":\"a\","
	      "\"description\":"
	      "\"d\",\"channel\":\"app\",\"anonymous\":true}",
	      422, "unknown_category", "category");
	s_bad("{\"category\":\"facility_repair\",\"building\":\"X\",\"address\":\"a\","
	      "\"description\":\"d\",\"channel\":\"app\",\"anonymous\":true}",
	      422, "unknown_building", "building");
	s_bad("{" BASE ",\"anonymous\":\"yes\"}", 400, "invalid_type", "anonymous");
	s_bad("{" BASE ",\"anonymous\":true,\"lat\":1}", 400, "invalid_location", "lng");
	s_bad("{" BASE ",\"anonymous\":true,\"media\":[1]}", 400, "invalid_media",
	      "media[0]");
	s_bad("{" BASE ",\"anonymous\":true,\"media\":[{\"sha256\":\"ABC\"}]}", 400,
	      "invalid_media", "media[0]");
	s_bad("{" BASE ",\"anonymous\":true,\"media\":[\"https://a/1\",\"https://a/2\","
	      "\"https://a/3\",\"https://a/4\",\"https://a/5\"]}",
	      422, "too_many_media", "media");
	s_bad("{" BASE ",\"anonymous\":true,\"media\":[{\"data\":\"R0lGODlh\"}]}", 415,
	      "unsupported_media_type", "media[0]");
	s_bad("{" BASE ",\"anonymous\":true,\"email\":\"x\"}", 400, "invalid_email",
	      "email");
	s_bad("{" BASE ",\"anonymous\":true,\"concerns_staff\":\"s04\"}", 422,
	      "concerns_staff_not_allowed", "concerns_staff");
	s_bad("[1]", 400, "not_an_object", "");
}

static void t_media_bytes(void **st)
{
	(void)st;
	struct intake_media m;
	struct intake_err e = {0};
	/* a 1200-byte JPEG in base64: over the 1024 limit of s_decode */
	unsigned char jpg[1200] = {0xFF, 0xD8, 0xFF};
	char b64[2000];
	sodium_bin2base64(b64, sizeof b64, jpg, sizeof jpg,
			  sodium_base64_VARIANT_ORIGINAL);
	json_t *item = json_pack("{s:s}", "data", b64);
	assert_int_equal(intake_media_item_decode(item, "media[0]", 1024, &m, &e), -1);
	assert_int_equal(e.status, 413);
	assert_int_equal(intake_media_item_decode(item, "media[0]", 4096, &m, &e), 0);
	assert_string_equal(m.content_type, "image/jpeg");
	assert_int_equal(m.size, 1200);
	assert_int_equal(strlen(m.sha256), 64);
	intake_media_free(&m);
	json_decref(item);
	assert_true(intake_filename_safe("照片 1.jpg"));
	assert_false(intake_filename_safe("../a.jpg"));
	assert_false(intake_filename_safe("a/b.jpg"));
	assert_false(intake_filename_safe("a\\b.jpg"));
	assert_false(intake_filename_safe(".bashrc"));
	assert_false(intake_filename_safe("C:boot.ini"));
	assert_false(intake_filename_safe(""));
	assert_false(intake_filename_safe("a\x01.jpg"));
	assert_string_equal(intake_media_sniff("\x89PNG\r\n\x1a\n..", 10), "image/png");
	assert_null(intake_media_sniff("\x89PNG", 4));
}

static void t_form(void **st)
{
	(void)st;
	struct intake_form f;
	struct intake_err e = {0};
	intake_form_init(&f);
	f.max_file = 100;
	f.max_files = 2;
	assert_int_equal(intake_form_feed(&f, "category", NULL, NULL, "facility", 0, 8),
			 0);
	assert_int_equal(intake_form_feed(&f, "category", NULL, NULL, "_repair", 8, 7),
			 0);
	assert_int_equal(intake_form_feed(&f, "anonymous", NULL, NULL, "on", 0, 2), 0);
	assert_int_equal(intake_form_feed(&f, "lat", NULL, NULL, "30.25", 0, 5), 0);
	assert_int_equal(intake_form_feed(&f, "parties", NULL, NULL, "s04", 0, 3), 0);
	assert_int_equal(intake_form_feed(&f, "parties", NULL, NULL, "s05", 0, 3), 0);
	assert_int_equal(
	    intake_form_feed(&f, "media", "a.jpg", "image/jpeg", "\xff\xd8", 0, 2), 0);
	assert_int_equal(
	    intake_form_feed(&f, "media", "a.jpg", "image/jpeg", "\xff", 2, 1), 0);
	assert_int_equal(
	    intake_form_feed(&f, "media", "", "application/octet-stream", "", 0, 0),
	    0); /* an empty file input */
	assert_int_equal(intake_form_finish(&f, &e), 0);
	assert_string_equal(json_string_value(json_object_get(f.fields, "category")),
			    "facility_repair");
	assert_true(json_is_true(json_object_get(f.fields, "anonymous")));
	assert_true(json_is_real(json_object_get(f.fields, "lat")));
	assert_int_equal(json_array_size(json_object_get(f.fields, "parties")), 2);
	assert_int_equal(f.nuploads, 1);
	assert_int_equal(f.uploads[0].len, 3);
	intake_form_free(&f);
	/* a text field split inside a UTF-8 character is fine */
	intake_form_init(&f);
	f.max_file = 100;
	f.max_files = 1;
	const char *lou = "楼";
	assert_int_equal(intake_form_feed(&f, "address", NULL, NULL, lou, 0, 1), 0);
	assert_int_equal(intake_form_feed(&f, "address", NULL, NULL, lou + 1, 1, 2), 0);
	assert_int_equal(intake_form_finish(&f, &e), 0);
	assert_string_equal(json_string_value(json_object_get(f.fields, "address")),
			    "楼");
	intake_form_free(&f);
	/* too big, too many, bad UTF-8, gaps */
	intake_form_init(&f);
	f.max_file = 4;
	f.max_files = 1;
	assert_int_equal(intake_form_feed(&f, "media", "a.jpg", NULL, "12345", 0, 5), 1);
	assert_int_equal(intake_form_finish(&f, &e), -1);
	assert_int_equal(e.status, 413);
	intake_form_free(&f);
	intake_form_init(&f);
	f.max_file = 4;
	f.max_files = 1;
	assert_int_equal(intake_form_feed(&f, "media", "a.jpg", NULL, "1", 0, 1), 0);
	assert_int_equal(intake_form_feed(&f, "media", "b.jpg", NULL, "1", 0, 1), 1);
	assert_int_equal(intake_form_finish(&f, &e), -1);
	assert_string_equal(e.code, "too_many_media");
	intake_form_free(&f);
	intake_form_init(&f);
	assert_int_equal(intake_form_feed(&f, "name", NULL, NULL, "\xff", 0, 1), 0);
	assert_int_equal(intake_form_finish(&f, &e), -1);
	assert_string_equal(e.code, "invalid_utf8");
	intake_form_free(&f);
	intake_form_init(&f);
	assert_int_equal(intake_form_feed(&f, "name", NULL, NULL, "ab", 0, 2), 0);
	assert_int_equal(intake_form_feed(&f, "name", NULL, NULL, "cd", 5, 2), 1);
	assert_int_equal(intake_form_finish(&f, &e), -1);
	assert_string_equal(e.code, "malformed_form");
	intake_form_free(&f);
}

static int s_action(const char *text, struct intake_action *a, struct intake_err *e)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	int rc =
	    intake_action_decode(j, s_com, "C01JZ0000000000000000000001", 4, 1024, a, e);
	json_decref(j);
	return rc;
}

static void t_actions(void **st)
{
	(void)st;
	struct intake_action a;
	struct intake_err e = {0};
	assert_int_equal(s_action("{\"action\":\"transfer\",\"target_staff\":\"s05\","
				  "\"reason\":\"属于5栋\"}",
				  &a, &e),
			 0);
	assert_string_equal(a.target_staff, "s05");
	intake_action_free(&a);
	assert_int_equal(
	    s_action("{\"action\":\"reject\",\"reason\":\"重复\",\"reject_reason\":"
		     "\"duplicate\",\"related_case\":\"C01JZ0000000000000000000002\"}",
		     &a, &e),
	    0);
	assert_string_equal(a.reject_name, "duplicate");
	intake_action_free(&a);
	assert_int_equal(s_action("{\"action\":\"extend_request\",\"reason\":\"等配件\","
				  "\"extension_hours\":48}",
				  &a, &e),
			 0);
	assert_int_equal(a.extension_hours, 48);
	intake_action_free(&a);
	assert_int_equal(s_action("{\"action\":\"merge\",\"related_case\":"
				  "\"C01JZ0000000000000000000001\"}",
				  &a, &e),
			 -1);
	assert_string_equal(e.field, "related_case");
	assert_int_equal(s_action("{\"action\":\"assign\"}", &a, &e), -1);
	assert_string_equal(e.field, "target_staff");
	assert_int_equal(
	    s_action("{\"action\":\"progress\",\"media\":[1,2,3,4,5]}", &a, &e), -1);
}

static json_t *s_disc(const char *text, int correction, struct intake_err *e)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	json_t *out = intake_disclosure_decode(j, s_com, correction, e);
	json_decref(j);
	return out;
}

static void t_disclosures(void **st)
{
	(void)st;
	struct intake_err e = {0};
	json_t *d = s_disc(
	    "{\"kind\":\"ledger\",\"ledger\":{\"date\":\"2026-07-01\","
	    "\"direction\":\"income\",\"amount_fen\":500000,\"reason\":\"上级拨款\","
	    "\"counterparty\":\"街道办\"}}",
	    0, &e);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "kind")),
			    "DISCLOSURE_LEDGER_ENTRY");
	json_t *l = json_object_get(d, "ledger");
	assert_true(json_is_true(json_object_get(l, "income")));
	assert_int_equal(json_integer_value(json_object_get(l, "amount_fen")), 500000);
	/* the normalised JSON builds the protobuf message */
	char err[200];
	json_object_set_new(d, "record_id", json_string("D1"));
	json_object_set_new(d, "version", json_integer(1));
	ProtobufCMessage *m = qf_message_from_json(
	    &qingfeng__v1__disclosure_submitted__descriptor, d, err, sizeof err);
	assert_non_null(m);
	protobuf_c_message_free_unpacked(m, NULL);
	json_decref(d);
	assert_null(s_disc("{\"kind\":\"ledger\",\"ledger\":{\"date\":\"2026-07-01\","
			   "\"direction\":\"income\",\"amount_fen\":5,\"reason\":\"x\","
			   "\"counterparty\":\"y\"}}",
			   1, &e));
	assert_string_equal(e.field, "correction_reason");
	assert_null(
	    s_disc("{\"kind\":\"balance\",\"balance\":{\"quarter\":\"2026-3\"}}", 0, &e));
	assert_null(
	    s_disc("{\"kind\":\"list\",\"list\":{\"title\":\"t\",\"list_kind\":\"k\","
		   "\"period\":\"p\",\"items\":[{\"name\":\"\"}]}}",
		   0, &e));
	assert_string_equal(e.field, "list.items[0].name");
	assert_null(s_disc("{\"kind\":7}", 0, &e));
	assert_string_equal(e.field, "kind");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_petition_ok), cmocka_unit_test(t_petition_bad),
	    cmocka_unit_test(t_media_bytes), cmocka_unit_test(t_form),
	    cmocka_unit_test(t_actions),     cmocka_unit_test(t_disclosures),
	};
	return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
