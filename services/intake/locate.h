/* locate.h: a petition's building from where the resident says it is.
 *
 * A resident often cannot name the building id: an app sends coordinates,
 * a form a free-text address ("三栋二单元", "3号楼"). These functions map
 * both onto the community's buildings (qf_community: point, footprint,
 * aliases). Neither ever guesses: no match, or two buildings that match
 * equally, is NULL, and the petition then waits for the dispatcher. */
#ifndef INTAKE_LOCATE_H
#define INTAKE_LOCATE_H

#include "qf_community.h"

/* The building whose footprint contains (lat, lng); else the building whose
 * point (or, without one, its footprint's first vertex) is nearest, if it is
 * at most within_m metres away. NULL when none qualifies or two footprints
 * contain the point. The result points into c (valid while c is). */
const struct qf_building *intake_locate_point(const struct qf_community *c, double lat,
					      double lng, double within_m);

/* The building one of whose names (its name, its aliases) occurs in addr,
 * both normalised by qf_norm (full-width forms, digit forms); a name that
 * starts with a digit does not match right after another digit ("3栋" is
 * not in "13栋"). The longest matching name wins; NULL when none matches,
 * when two buildings match with names of the same length, or out of memory.
 * The result points into c. */
const struct qf_building *intake_locate_address(const struct qf_community *c,
						const char *addr);

/* Metres between two WGS 84 points (equirectangular: exact enough within a
 * community). */
double intake_locate_distance_m(double lat1, double lng1, double lat2, double lng2);

#endif
