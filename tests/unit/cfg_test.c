/* cfg_test: the settings table loader (defaults, types, bounds, unknown
 * settings, syntax errors, missing file: every error names file, line and
 * setting), the common service sections, the community file (validation and
 * lookups) and the staff tokens file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "qf_community.h"
#include "qf_policy.h"
#include "qf_err.h"
#include "qf_svc.h"
#include "qf_tokens.h"
#include "testutil.h"

struct conf {
	struct qf_svc_conf svc;
	int workers;
	int64_t big;
	double ratio;
	int flag;
	char *name;
	struct qf_strlist tags;
};

static const struct qf_cfg_setting s_table[] = {
	QF_SVC_SETTINGS(struct conf, svc, "testsvc", "8099", "tcp://127.0.0.1:5999",
			"tcp://127.0.0.1:5998"),
	{"app.workers", QF_CFG_INT, offsetof(struct conf, workers), "4", 1, 64, NULL, ""},
	{"app.big", QF_CFG_INT64, offsetof(struct conf, big), "5000000000", 0, 1e12, NULL, ""},
	{"app.ratio", QF_CFG_DOUBLE, offsetof(struct conf, ratio), "0.5", 0, 1, NULL, ""},
	{"app.flag", QF_CFG_BOOL, offsetof(struct conf, flag), "false", 0, 0, NULL, ""},
	{"app.name", QF_CFG_STRING, offsetof(struct conf, name), "清风", 0, 32, NULL, ""},
	{"app.tags", QF_CFG_STRLIST, offsetof(struct conf, tags), "a,b", 0, 3, NULL, ""},
};
#define N (sizeof s_table / sizeof s_table[0])

static char *s_dir;

static const char *s_write(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", s_dir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static int setup(void **state)
{
	(void)state;
	s_dir = tu_tmpdir("cfg");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmdir(s_dir);
	return 0;
}

static int has(const struct qf_cfg_errors *e, const char *needle)
{
	for (unsigned i = 0; i < e->n; i++)
		if (strstr(e->msg[i], needle))
			return 1;
	return 0;
}

static void test_defaults_and_values(void **state)
{
	(void)state;
	const char *p = s_write("ok.cfg", "service = { node = \"n1\"; };\n"
					  "app = { workers = 8; ratio = 0.25; flag = true;\n"
					  "  name = \"社区\"; };\n"
					  "bus = { sources = ( { name = \"intake\"; pub = \"tcp://a:1\";"
					  " replay = \"tcp://a:2\"; } ); };\n");
	struct conf c = {0};
	struct qf_cfg_errors e = {0};
	assert_int_equal(qf_cfg_load(p, s_table, N, &c, &e), QF_OK);
	assert_int_equal(e.n, 0);
	assert_string_equal(c.svc.node, "n1");
	assert_int_equal(c.svc.http_port, 8099);
	assert_string_equal(c.svc.data_dir, "var/testsvc");
	assert_int_equal(c.workers, 8);
	assert_true(c.big == 5000000000LL);
	assert_true(c.ratio == 0.25);
	assert_int_equal(c.flag, 1);
	assert_string_equal(c.name, "社区");
	assert_int_equal(c.svc.nsources, 1);
	assert_string_equal(c.svc.sources[0].replay_endpoint, "tcp://a:2");
	qf_cfg_free(s_table, N, &c);
	qf_cfg_free(s_table, N, &c);
	qf_svc_conf_free(&c.svc);
}

static void test_string_lists(void **state)
{
	(void)state;
	struct conf c = {0};
	struct qf_cfg_errors e = {0};
	/* the default: comma-separated text */
	const char *p = s_write("l0.cfg", "app = { workers = 2; };\n");
	assert_int_equal(qf_cfg_load(p, s_table, N, &c, &e), QF_OK);
	assert_int_equal(c.tags.n, 2);
	assert_string_equal(c.tags.v[0], "a");
	assert_string_equal(c.tags.v[1], "b");
	assert_null(c.tags.v[2]);
	qf_cfg_free(s_table, N, &c);
	qf_svc_conf_free(&c.svc);
	/* a list, an array, or one string */
	const char *ok[] = {"app = { tags = [\"楼长\", \"网格员\"]; };\n",
			    "app = { tags = (\"楼长\", \"网格员\"); };\n"};
	for (size_t i = 0; i < 2; i++) {
		memset(&c, 0, sizeof c);
		memset(&e, 0, sizeof e);
		assert_int_equal(qf_cfg_load(s_write("l1.cfg", ok[i]), s_table, N, &c, &e),
				 QF_OK);
		assert_int_equal(c.tags.n, 2);
		assert_string_equal(c.tags.v[1], "网格员");
		qf_cfg_free(s_table, N, &c);
		assert_null(c.tags.v);
		qf_svc_conf_free(&c.svc);
	}
	memset(&c, 0, sizeof c);
	assert_int_equal(
	    qf_cfg_load(s_write("l2.cfg", "app = { tags = \"one\"; };\n"), s_table, N, &c, &e),
	    QF_OK);
	assert_int_equal(c.tags.n, 1);
	qf_cfg_free(s_table, N, &c);
	qf_svc_conf_free(&c.svc);
	/* too many, an empty entry, not strings: file, line and setting */
	const struct {
		const char *text, *why;
	} bad[] = {
	    {"app = {\n tags = [\"a\", \"b\", \"c\", \"d\"]; };\n", "at most 3 entries"},
	    {"app = {\n tags = [\"a\", \"\"]; };\n", "each entry must be a string of 1..255"},
	    {"app = {\n tags = [1, 2]; };\n", "must be a string"},
	    {"app = {\n tags = 7; };\n", "must be a list of strings"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&c, 0, sizeof c);
		memset(&e, 0, sizeof e);
		p = s_write("l3.cfg", bad[i].text);
		assert_int_equal(qf_cfg_load(p, s_table, N, &c, &e), QF_ERR_CONFIG);
		char where[300];
		snprintf(where, sizeof where, "%s:2: setting 'app.tags", p);
		if (!has(&e, bad[i].why) || !has(&e, where))
			fail_msg("%s: no error '%s' (first: %s)", bad[i].text, bad[i].why,
				 e.n ? e.msg[0] : "none");
		qf_cfg_free(s_table, N, &c);
		qf_svc_conf_free(&c.svc);
	}
}

static void test_errors_name_file_line_setting(void **state)
{
	(void)state;
	const char *p = s_write("bad.cfg", "app = {\n"
					   "  workers = 99;\n"     /* line 2: above 64 */
					   "  ratio = \"half\";\n" /* line 3: wrong type */
					   "  nmae = \"x\";\n"     /* line 4: unknown */
					   "};\n"
					   "http = { port = 70000; };\n"); /* line 6 */
	struct conf c = {0};
	struct qf_cfg_errors e = {0};
	assert_int_equal(qf_cfg_load(p, s_table, N, &c, &e), QF_ERR_CONFIG);
	char want[600];
	snprintf(want, sizeof want, "%s:2: setting 'app.workers': 99 is outside 1..64", p);
	assert_true(has(&e, want));
	snprintf(want, sizeof want, "%s:3: setting 'app.ratio': must be a number", p);
	assert_true(has(&e, want));
	snprintf(want, sizeof want, "%s:4: setting 'app.nmae': unknown setting", p);
	assert_true(has(&e, want));
	snprintf(want, sizeof want, "%s:6: setting 'http.port'", p);
	assert_true(has(&e, want));
	qf_cfg_free(s_table, N, &c);
	qf_svc_conf_free(&c.svc);
}

static void test_syntax_and_missing(void **state)
{
	(void)state;
	const char *p = s_write("syntax.cfg", "app = {\n workers = 3;\n name = = \"x\";\n};\n");
	struct conf c = {0};
	struct qf_cfg_errors e = {0};
	assert_int_equal(qf_cfg_load(p, s_table, N, &c, &e), QF_ERR_CONFIG);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "syntax error"));
	assert_non_null(strstr(e.msg[0], ":3:"));
	memset(&e, 0, sizeof e);
	assert_int_equal(qf_cfg_load("/nonexistent/x.cfg", s_table, N, &c, &e), QF_ERR_CONFIG);
	assert_non_null(strstr(e.msg[0], "/nonexistent/x.cfg:0: cannot read"));
}

static void test_conf_check(void **state)
{
	(void)state;
	const char *p = s_write("inst.cfg", "bus = { instance = 2; instances = 2; };\n"
					    "service = { log_level = \"loud\"; };\n");
	struct conf c = {0};
	struct qf_cfg_errors e = {0};
	assert_int_equal(qf_cfg_load(p, s_table, N, &c, &e), QF_OK);
	c.svc.config_file = strdup(p);
	assert_int_equal(qf_svc_conf_check(&c.svc, &e), QF_ERR_CONFIG);
	/* checks made after loading still name the line of the setting */
	char want[600];
	snprintf(want, sizeof want, "%s:1: setting 'bus.instance'", p);
	assert_true(has(&e, want));
	snprintf(want, sizeof want, "%s:2: setting 'service.log_level'", p);
	assert_true(has(&e, want));
	qf_cfg_free(s_table, N, &c);
	qf_svc_conf_free(&c.svc);
}

static void test_resolve(void **state)
{
	(void)state;
	char *r = qf_cfg_resolve("/etc/qf/intake.cfg", "community.cfg");
	assert_string_equal(r, "/etc/qf/community.cfg");
	free(r);
	r = qf_cfg_resolve("/etc/qf/intake.cfg", "/abs/x");
	assert_string_equal(r, "/abs/x");
	free(r);
}

static const char *s_community =
	"community = { code = \"T\"; name = \"测试社区\"; utc_offset_min = 480; };\n"
	"categories = ( { code = \"a\"; name = \"甲\"; respond_within_h = 2; resolve_within_h = 24;"
	" priority = \"urgent\"; },\n"
	"  { code = \"w\"; name = \"乙\"; respond_within_h = 4; resolve_within_h = 8; clock = \"working\"; } );\n"
	"roles = ( { name = \"secretary\"; grants = [ \"case.read:all\", \"spam.review\" ]; },\n"
	"  { name = \"staff\"; grants = [ \"case.read:handling\" ]; },\n"
	"  { name = \"building_head\"; grants = [ \"case.read:buildings\",\n"
	"    \"disclosure.roster:own\" ]; } );\n"
	"staff = ( { id = \"s1\"; name = \"甲某\"; role = \"secretary\"; supervises = [\"s2\"]; },\n"
	"  { id = \"s2\"; name = \"乙某\"; role = \"staff\"; supervises = [\"s3\"]; },\n"
	"  { id = \"s3\"; name = \"丙某\"; role = \"building_head\"; } );\n"
	"buildings = ( { id = \"B1\"; name = \"1栋\"; head = \"s3\"; } );\n"
	"escalation = [ \"building_head\", \"secretary\" ];\n"
	"special_routes = ( { category = \"a\"; to = \"s2\"; } );\n"
	"calendar = { workdays = [1,2,3,4,5]; hours = [\"09:00-12:00\", \"14:00-18:00\"];\n"
	"  holidays = [\"2026-10-01\"]; workdays_extra = [\"2026-10-10\"]; };\n";

static void test_community(void **state)
{
	(void)state;
	const char *p = s_write("community.cfg", s_community);
	struct qf_community *c = NULL;
	struct qf_cfg_errors e = {0};
	assert_int_equal(qf_community_load(p, &c, &e), QF_OK);
	assert_int_equal(c->ncategories, 2);
	assert_true(qf_community_category(c, "a")->urgent);
	assert_true(qf_community_category(c, "w")->working_hours);
	assert_null(qf_community_category(c, "zz"));
	assert_string_equal(qf_community_building(c, "B1")->head, "s3");
	assert_string_equal(qf_community_route(c, "a")->to, "s2");
	assert_string_equal(qf_community_role(c, "secretary")->id, "s1");
	assert_true(qf_community_supervises(c, "s1", "s3")); /* through s2 */
	assert_false(qf_community_supervises(c, "s3", "s1"));
	assert_int_equal(c->nescalation, 2);
	/* the roles are the policy's data */
	assert_int_equal(c->nroles, 3);
	const struct qf_staff *s1 = qf_community_staff(c, "s1"),
			      *s3 = qf_community_staff(c, "s3");
	assert_int_equal(qf_policy_scope(c, s1, QF_ACT_CASE_READ), QF_SCOPE_ALL);
	assert_int_equal(qf_policy_scope(c, s3, QF_ACT_CASE_READ), QF_SCOPE_BUILDINGS);
	assert_int_equal(qf_policy_role_allows(c, s3, QF_ACT_SPAM_REVIEW), QF_DENY_ROLE);
	assert_int_equal(qf_policy_role_allows(c, NULL, QF_ACT_SPAM_REVIEW), QF_DENY_AUTH);
	assert_int_equal(qf_policy_own(c, s3, QF_ACT_ROSTER_WRITE, "s3"), QF_ALLOW);
	assert_int_equal(qf_policy_own(c, s3, QF_ACT_ROSTER_WRITE, "s1"), QF_DENY_ROLE);
	qf_community_free(&c);
	qf_community_free(&c);
}

static void test_community_errors(void **state)
{
	(void)state;
	const char *p = s_write("bad-community.cfg",
				"community = { code = \"T\"; name = \"x\"; };\n"
				"categories = ( { code = \"a\"; name = \"甲\"; respond_within_h = 30;"
				" resolve_within_h = 24; priority = \"soon\"; } );\n"
				"roles = ( { name = \"secretary\"; grants = [ \"case.read:own\",\n"
				"  \"fly\", \"spam.review:all\", \"spam.review\", \"case.read\" ]; } );\n"
				"staff = ( { id = \"s1\"; name = \"甲\"; role = \"boss\"; } );\n"
				"buildings = ( { id = \"B1\"; name = \"1\"; head = \"s9\"; } );\n"
				"special_routes = ( { category = \"zz\"; to = \"s1\"; } );\n");
	struct qf_community *c = NULL;
	struct qf_cfg_errors e = {0};
	assert_int_equal(qf_community_load(p, &c, &e), QF_ERR_CONFIG);
	assert_null(c);
	assert_true(has(&e, "respond_within_h exceeds resolve_within_h"));
	assert_true(has(&e, "'soon' is not urgent"));
	assert_true(has(&e, "'boss' is not a role of the roles list"));
	assert_true(has(&e, "grant 'case.read:own' of role 'secretary' takes scope handling"));
	assert_true(has(&e, "grant 'fly' of role 'secretary' names no action"));
	assert_true(has(&e, "role 'secretary' grants 'spam.review' twice"));
	assert_true(has(&e, "no staff member 's9'"));
	assert_true(has(&e, "no category 'zz'"));
	for (unsigned i = 0; i < e.n; i++)
		assert_non_null(strstr(e.msg[i], "bad-community.cfg:"));
}

static int64_t ms(const char *s)
{
	int64_t v;
	assert_int_equal(qf_time_parse(s, 480, &v), QF_OK);
	return v;
}

static void test_calendar(void **state)
{
	(void)state;
	const char *p = s_write("community.cfg", s_community);
	struct qf_community *c = NULL;
	struct qf_cfg_errors e = {0};
	assert_int_equal(qf_community_load(p, &c, &e), QF_OK);
	/* Friday 2026-11-27 17:00 +08:00, 3 working hours: 1 h Friday, then
	   Monday 09:00 + 2 h = Monday 11:00 */
	int64_t from = ms("2026-11-27T17:00:00+08:00");
	assert_true(qf_calendar_add_working(c, from, 3 * 3600000LL) ==
		    ms("2026-11-30T11:00:00+08:00"));
	/* across the lunch break */
	assert_true(qf_calendar_add_working(c, ms("2026-11-30T11:00:00+08:00"), 2 * 3600000LL) ==
		    ms("2026-11-30T15:00:00+08:00"));
	/* a holiday (Thursday 2026-10-01) is skipped: 30 min on Wednesday, the
	   other 30 on Friday morning */
	assert_true(qf_calendar_add_working(c, ms("2026-09-30T17:30:00+08:00"), 3600000LL) ==
		    ms("2026-10-02T09:30:00+08:00"));
	/* a make-up Saturday (2026-10-10) counts */
	assert_true(qf_calendar_is_working(c, ms("2026-10-10T10:00:00+08:00")));
	assert_false(qf_calendar_is_working(c, ms("2026-10-11T10:00:00+08:00")));
	assert_false(qf_calendar_is_working(c, ms("2026-11-30T12:30:00+08:00")));
	/* working time between: Friday 16:00 .. Monday 10:00 = 2 h + 1 h */
	assert_true(qf_calendar_working_between(c, ms("2026-11-27T16:00:00+08:00"),
						ms("2026-11-30T10:00:00+08:00")) ==
		    3 * 3600000LL);
	qf_community_free(&c);
}

static void test_tokens(void **state)
{
	(void)state;
	const char *cp = s_write("community.cfg", s_community);
	struct qf_community *c = NULL;
	struct qf_cfg_errors e = {0};
	assert_int_equal(qf_community_load(cp, &c, &e), QF_OK);
	char h[65], text[512];
	qf_tokens_hash("secret-token", h);
	snprintf(text, sizeof text, "tokens = ( { staff = \"s2\"; sha256 = \"%s\"; } );\n", h);
	const char *tp = s_write("tokens.cfg", text);
	struct qf_tokens *t = NULL;
	assert_int_equal(qf_tokens_load(tp, c, &t, &e), QF_OK);
	const struct qf_staff *s = qf_tokens_auth(t, c, "Bearer secret-token");
	assert_non_null(s);
	assert_string_equal(s->id, "s2");
	assert_null(qf_tokens_auth(t, c, "Bearer wrong"));
	assert_null(qf_tokens_auth(t, c, "secret-token"));
	assert_null(qf_tokens_auth(t, c, NULL));
	qf_tokens_free(&t);
	tp = s_write("tokens-bad.cfg",
		     "tokens = ( { staff = \"s9\"; sha256 = \"abc\"; } );\n");
	memset(&e, 0, sizeof e);
	assert_int_equal(qf_tokens_load(tp, c, &t, &e), QF_ERR_CONFIG);
	assert_true(has(&e, "64 hex characters"));
	qf_community_free(&c);
}

/* --settings: the table as Markdown, one row per setting, bounds as the
 * checks use them, a | in the help text escaped. */
static void test_describe(void **state)
{
	(void)state;
	struct t {
		int n;
		char *s;
		int b;
	};
	static const struct qf_cfg_setting table[] = {
	    {"a.n", QF_CFG_INT, offsetof(struct t, n), "5", 1, 10, NULL, "count"},
	    {"a.s", QF_CFG_STRING, offsetof(struct t, s), NULL, 0, 63, NULL, "x | y"},
	    {"a.b", QF_CFG_BOOL, offsetof(struct t, b), "true", 0, 0, NULL, "on"},
	    {"a.e", QF_CFG_STRING, offsetof(struct t, s), "", 0, 0, NULL, "may be empty"},
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	qf_cfg_describe(f, table, 4);
	fclose(f);
	assert_string_equal(buf, "| setting | type | default | range | meaning |\n"
				 "| --- | --- | --- | --- | --- |\n"
				 "| `a.n` | integer | `5` | 1 to 10 | count |\n"
				 "| `a.s` | string | (required) | at most 63 bytes | x \\| y |\n"
				 "| `a.b` | boolean | `true` |  | on |\n"
				 "| `a.e` | string | (empty) |  | may be empty |\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_values),
		cmocka_unit_test(test_errors_name_file_line_setting),
		cmocka_unit_test(test_string_lists),
		cmocka_unit_test(test_syntax_and_missing),
		cmocka_unit_test(test_conf_check),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_community),
		cmocka_unit_test(test_community_errors),
		cmocka_unit_test(test_calendar),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests_name("cfg", tests, setup, teardown);
}
