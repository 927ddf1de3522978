/* locate.c: a petition's building from its coordinates or its address text
 * (see locate.h for the contract).
 *
 * Design: footprints are tested by ray casting in the (lng, lat) plane,
 * which is exact enough for a community's few hundred metres; names are
 * compared after the one normaliser (qf_norm), the same the masker and the
 * spam filter use, so "３栋" and "3栋" are one name. */
#include "locate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qf_norm.h"

#define EARTH_RADIUS_M 6371008.8
#define DEG	       0.017453292519943295

double intake_locate_distance_m(double lat1, double lng1, double lat2, double lng2)
{
	double x = (lng2 - lng1) * DEG * cos((lat1 + lat2) / 2 * DEG);
	double y = (lat2 - lat1) * DEG;
	return sqrt(x * x + y * y) * EARTH_RADIUS_M;
}

static int s_inside(const struct qf_building *b, double lat, double lng)
{
	int in = 0;
	unsigned n = b->nfootprint;
	for (unsigned i = 0, j = n - 1; i < n; j = i++) {
		double yi = b->footprint[2 * i], xi = b->footprint[2 * i + 1];
		double yj = b->footprint[2 * j], xj = b->footprint[2 * j + 1];
		if ((yi > lat) != (yj > lat) &&
		    lng < (xj - xi) * (lat - yi) / (yj - yi) + xi)
			in = !in;
	}
	return in;
}

const struct qf_building *intake_locate_point(const struct qf_community *c, double lat,
					      double lng, double within_m)
{
	const struct qf_building *hit = NULL, *near = NULL;
	unsigned hits = 0;
	double best = within_m;
	for (unsigned i = 0; i < c->nbuildings; i++) {
		const struct qf_building *b = &c->buildings[i];
		if (b->nfootprint >= 3 && s_inside(b, lat, lng)) {
			hit = b;
			hits++;
		}
		if (!b->has_point && !b->nfootprint)
			continue;
		double d = b->has_point
			       ? intake_locate_distance_m(lat, lng, b->lat, b->lng)
			       : intake_locate_distance_m(lat, lng, b->footprint[0],
							  b->footprint[1]);
		if (d <= best) {
			best = d;
			near = b;
		}
	}
	if (hits)
		return hits == 1 ? hit : NULL;
	return near;
}

/* Length in bytes of name if it occurs in text (both normalised): 0 if absent or only
 * after a digit when name starts with one. */
static size_t s_occurs(const char *text, const char *name)
{
	size_t nl = strlen(name);
	if (!nl)
		return 0;
	int digit = name[0] >= '0' && name[0] <= '9';
	for (const char *p = strstr(text, name); p; p = strstr(p + 1, name))
		if (!digit || p == text || p[-1] < '0' || p[-1] > '9')
			return nl;
	return 0;
}

const struct qf_building *intake_locate_address(const struct qf_community *c,
						const char *addr)
{
	if (!addr || !*addr)
		return NULL;
	char *text = qf_norm_str(addr, strlen(addr), QF_NORM_NUMERALS);
	if (!text)
		return NULL;
	const struct qf_building *best = NULL;
	size_t best_len = 0;
	int tie = 0;
	for (unsigned i = 0; i < c->nbuildings; i++) {
		const struct qf_building *b = &c->buildings[i];
		size_t len = 0;
		for (unsigned k = 0; k <= b->naliases; k++) {
			const char *nm = k < b->naliases ? b->aliases[k] : b->name;
			char *n = qf_norm_str(nm, strlen(nm), QF_NORM_NUMERALS);
			if (!n) {
				free(text);
				return NULL;
			}
			size_t l = s_occurs(text, n);
			free(n);
			if (l > len)
				len = l;
		}
		if (len && len == best_len) {
			tie = 1;
		} else if (len > best_len) {
			best = b;
			best_len = len;
			tie = 0;
		}
	}
	free(text);
	return tie ? NULL : best;
}
