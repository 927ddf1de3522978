/* fuzz_intake_locate: what residents and Open311 clients send about a
 * place, and the descriptions of trusted clients: the input's first 16
 * bytes are two doubles (any bits: NaN, infinities) given to
 * intake_locate_point, the rest is text given to intake_locate_address and
 * to intake_trust_strip. A result must be one of the community's buildings;
 * the stripped text never grows; the process must not crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "locate.h"
#include "trust.h"

static struct qf_community *s_com;

static void s_init(void)
{
	static const char *const tries[] = {"config/community.cfg",
					    "../config/community.cfg",
					    "../../config/community.cfg"};
	for (size_t i = 0; i < sizeof tries / sizeof tries[0] && !s_com; i++) {
		struct qf_cfg_errors e;
		memset(&e, 0, sizeof e);
		if (access(tries[i], R_OK) == 0)
			qf_community_load(tries[i], &s_com, &e);
	}
	if (!s_com) {
		fprintf(stderr, "fuzz_intake_locate: config/community.cfg not found\n");
		abort();
	}
}

static void s_check(const struct qf_building *b)
{
	if (b && (b < s_com->buildings || b >= s_com->buildings + s_com->nbuildings))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!s_com)
		s_init();
	if (size >= 16) {
		double lat, lng;
		memcpy(&lat, data, 8);
		memcpy(&lng, data + 8, 8);
		s_check(intake_locate_point(s_com, lat, lng, 60));
		data += 16;
		size -= 16;
	}
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	s_check(intake_locate_address(s_com, text));
	char *hosts[] = {"fms.example.org", "example.com"};
	char *o = intake_trust_strip(text, hosts, 2);
	if (o && strlen(o) > strlen(text))
		abort();
	free(o);
	free(text);
	return 0;
}
