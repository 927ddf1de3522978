/* mask_test: the masking context of a case (services/intake/mask.c): the
 * petitioner's full name is masked wherever it stands, cue or not (this
 * checks that the hash intake adds is the one qf_mask itself makes, so a
 * change of the masker's hashing fails here, not silently in production);
 * names learned after a cue are kept (as hashes only) and mask later texts
 * of the same case; the surname rule still applies. Names are invented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"

static const uint8_t s_key[32] = {7, 1, 8, 2, 8, 1, 8, 2, 8, 4, 5, 9, 0, 4, 5, 2,
				  3, 5, 3, 6, 0, 2, 8, 7, 4, 7, 1, 3, 5, 2, 6, 6};

static void s_has_not(const char *text, const char *what)
{
	if (strstr(text, what))
		fail_msg("'%s' still in '%s'", what, text);
}

static void t_full_name(void **st)
{
	(void)st;
	struct intake_mask m;
	intake_mask_init(&m, s_key, "欧阳**", "欧阳霁岚", NULL);
	/* no cue, and preceded by a Han character: only the full name's hash
	   can find it */
	char *a = intake_mask_text(&m, "昨天欧阳霁岚来电说灯又坏了");
	assert_non_null(a);
	s_has_not(a, "霁岚");
	assert_non_null(strstr(a, "欧阳**"));
	free(a);
	/* after a weak cue: the surname rule (the 已电话联系王秀兰) */
	intake_mask_init(&m, s_key, "王**", NULL, NULL);
	a = intake_mask_text(&m, "已电话联系王秀兰");
	s_has_not(a, "秀兰");
	free(a);
	/* a compound surname: the masked name keeps only its first character,
	   the full name tells the masker it is 欧阳 (else "欧**岚") */
	intake_mask_init(&m, s_key, "欧**", "欧阳霁岚", NULL);
	a = intake_mask_text(&m, "户主欧阳霁岚家中漏水");
	s_has_not(a, "岚");
	free(a);
	/* the surname alone does not find it there */
	intake_mask_init(&m, s_key, "欧阳**", NULL, NULL);
	a = intake_mask_text(&m, "昨天欧阳霁岚来电说灯又坏了");
	assert_non_null(strstr(a, "霁岚"));
	free(a);
	/* no context at all: that is what leaked before */
	a = intake_event_text("昨天欧阳霁岚来电", NULL);
	assert_non_null(strstr(a, "霁岚"));
	free(a);
}

static void t_learned(void **st)
{
	(void)st;
	struct intake_mask m;
	intake_mask_init(&m, s_key, "匿名", NULL, NULL);
	char *a = intake_mask_text(&m, "联系人卞小川，住在隔壁");
	s_has_not(a, "小川");
	free(a);
	json_t *rec = json_object();
	assert_int_equal(intake_mask_save(&m, rec), 1);
	json_t *names = json_object_get(rec, "mask_names");
	assert_int_equal(json_array_size(names), 1);
	/* only a hash is kept */
	char *dump = json_dumps(rec, 0);
	s_has_not(dump, "卞");
	free(dump);
	/* a later text of the same case, without a cue */
	struct intake_mask m2;
	intake_mask_init(&m2, s_key, "匿名", NULL, names);
	a = intake_mask_text(&m2, "卞小川家的灯也一并修好了");
	s_has_not(a, "小川");
	free(a);
	assert_int_equal(intake_mask_save(&m2, rec), 0); /* nothing new */
	/* the hashes are keyed: another key keeps another hash */
	uint8_t other[32] = {1};
	intake_mask_init(&m2, other, "匿名", NULL, NULL);
	a = intake_mask_text(&m2, "联系人卞小川，住在隔壁");
	free(a);
	json_t *rec2 = json_object();
	assert_int_equal(intake_mask_save(&m2, rec2), 1);
	assert_string_not_equal(json_string_value(json_array_get(names, 0)),
				json_string_value(json_array_get(
				    json_object_get(rec2, "mask_names"), 0)));
	json_decref(rec2);
	/* malformed stored values are ignored */
	json_t *bad = json_pack("[s, i, s]", "zz", 7, "");
	intake_mask_init(&m2, s_key, NULL, NULL, bad);
	assert_int_equal(m2.nm.n, 0);
	json_decref(bad);
	json_decref(rec);
}

static void t_upload_token(void **st)
{
	(void)st;
	struct intake_media m;
	struct intake_err e = {0};
	const char *sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	json_t *ok = json_pack("{s:s, s:s}", "sha256", sha, "upload_token",
			       "U01M8A1AAQ07ERATANNW2C008VF.0GHQBXPGRNNK5S185GSH");
	assert_int_equal(intake_media_item_decode(ok, "media[0]", 1024, &m, &e), 0);
	assert_int_equal(m.kind, INTAKE_MEDIA_REF);
	assert_string_equal(m.token, "U01M8A1AAQ07ERATANNW2C008VF.0GHQBXPGRNNK5S185GSH");
	json_decref(ok);
	const char *bad[] = {"{\"sha256\":\"%s\",\"upload_token\":7}",
			     "{\"sha256\":\"%s\",\"upload_token\":\"a b\"}",
			     "{\"sha256\":\"%s\",\"upload_token\":\"\"}",
			     "{\"sha256\":\"%s\",\"upload_token\":\"U/../x\"}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char buf[256];
		snprintf(buf, sizeof buf, bad[i], sha);
		json_t *j = json_loads(buf, 0, NULL);
		assert_non_null(j);
		assert_int_equal(intake_media_item_decode(j, "media[1]", 1024, &m, &e), -1);
		assert_int_equal(e.status, 400);
		assert_string_equal(e.field, "media[1].upload_token");
		json_decref(j);
	}
	char longer[200];
	memset(longer, 'A', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	json_t *j = json_pack("{s:s, s:s}", "sha256", sha, "upload_token", longer);
	assert_int_equal(intake_media_item_decode(j, "media[0]", 1024, &m, &e), -1);
	json_decref(j);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_full_name),
	    cmocka_unit_test(t_learned),
	    cmocka_unit_test(t_upload_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
