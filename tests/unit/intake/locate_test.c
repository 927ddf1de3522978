/* locate_test: a petition's building from coordinates (footprint, nearest
 * point within a distance, two footprints is no answer) and from address
 * text (names, aliases, full-width and digit forms, "3栋" not in "13栋",
 * ties), with the real community file; and a trusted Open311 client's own
 * links removed from the text the spam check reads, and only those. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "locate.h"
#include "trust.h"

static struct qf_community *s_com;

static int s_setup(void **st)
{
	(void)st;
	static const char *const tries[] = {
	    "config/community.cfg", "../config/community.cfg",
	    "../../config/community.cfg", "../../../config/community.cfg"};
	struct qf_cfg_errors e;
	for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
		memset(&e, 0, sizeof e);
		if (access(tries[i], R_OK) == 0 &&
		    qf_community_load(tries[i], &s_com, &e) == 0)
			return 0;
	}
	fprintf(stderr,
		"locate_test: config/community.cfg not found (run from the repo)\n");
	return -1;
}

static int s_teardown(void **st)
{
	(void)st;
	qf_community_free(&s_com);
	return 0;
}

static const char *s_pt(double lat, double lng, double within)
{
	const struct qf_building *b = intake_locate_point(s_com, lat, lng, within);
	return b ? b->id : NULL;
}

static const char *s_addr(const char *a)
{
	const struct qf_building *b = intake_locate_address(s_com, a);
	return b ? b->id : NULL;
}

static void t_points(void **st)
{
	(void)st;
	/* inside B07's footprint, whatever the distance */
	assert_string_equal(s_pt(30.65065, 104.05165, 0), "B07");
	/* a corner region of B01's footprint */
	assert_string_equal(s_pt(30.64989, 104.04981, 0), "B01");
	/* between buildings: the nearest point within the distance */
	assert_string_equal(s_pt(30.64915, 104.05120, 60), "S01");
	assert_null(s_pt(30.64915, 104.05120, 5));
	assert_null(s_pt(30.70, 104.10, 60));
	assert_null(s_pt(-30.65, -104.05, 5000));
	double d = intake_locate_distance_m(30.65, 104.05, 30.651, 104.05);
	assert_true(d > 110 && d < 112);
}

static void t_two_footprints(void **st)
{
	(void)st;
	/* overlapping footprints: no guess */
	struct qf_community c = *s_com;
	struct qf_building b[2] = {s_com->buildings[0], s_com->buildings[0]};
	b[1].id = "B01bis";
	c.buildings = b;
	c.nbuildings = 2;
	assert_null(intake_locate_point(&c, 30.65, 104.05, 60));
}

static void t_addresses(void **st)
{
	(void)st;
	assert_string_equal(s_addr("3栋2单元"), "B03");
	assert_string_equal(s_addr("三号楼楼道"), "B03");
	assert_string_equal(s_addr("３栋"), "B03"); /* full-width digit */
	assert_string_equal(s_addr("３号楼"), "B03");
	assert_string_equal(s_addr("十一栋门口"), "B11"); /* not 一栋 */
	assert_string_equal(s_addr("11栋"), "B11");	  /* not 1栋 */
	assert_string_equal(s_addr("东边院子"), "Y01");
	assert_string_equal(s_addr("平安街门面"), "S01");
	assert_null(s_addr("13栋")); /* no such building, and not 3栋 */
	assert_null(s_addr("小区大门口"));
	assert_null(s_addr(""));
	assert_null(s_addr(NULL));
	assert_null(s_addr("3栋和5栋之间"));		      /* two, as long: no guess */
	assert_string_equal(s_addr("3号楼和5栋之间"), "B03"); /* the longer name */
}

static void t_trust(void **st)
{
	(void)st;
	char *hosts[] = {"fms.example.org"};
	struct {
		const char *in, *out;
	} t[] = {
	    {"路灯坏了\n\nhttps://fms.example.org/report/42\n", "路灯坏了\n\n \n"},
	    {"见 HTTP://FMS.example.org/report/42。", "见  。"},
	    {"http://www.fms.example.org:8080/r?id=1#x, 谢谢", " , 谢谢"},
	    {"低息贷款 http://loan.example.com", "低息贷款 http://loan.example.com"},
	    {"http://fms.example.org.evil.com/x", "http://fms.example.org.evil.com/x"},
	    {"http://evilfms.example.org/x", "http://evilfms.example.org/x"},
	    {"https://fms.example.org@evil.com/x", "https://fms.example.org@evil.com/x"},
	    {"https://", "https://"},
	    {"https:///path", "https:///path"},
	    {"", ""},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *o = intake_trust_strip(t[i].in, hosts, 1);
		assert_non_null(o);
		assert_string_equal(o, t[i].out);
		free(o);
	}
	char *o = intake_trust_strip("https://fms.example.org/1", hosts, 0);
	assert_string_equal(o, "https://fms.example.org/1");
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_points),
	    cmocka_unit_test(t_two_footprints),
	    cmocka_unit_test(t_addresses),
	    cmocka_unit_test(t_trust),
	};
	return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
