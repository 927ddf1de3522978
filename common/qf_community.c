/* qf_community.c: load and query the community file (qf_community.h). */
#include "qf_community.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_roles.h"

#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

static const char *const s_prios[] = {"urgent", "normal", "low", "sensitive", NULL};

static int s_in(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(v, *set) == 0)
			return 1;
	return 0;
}

static char *s_dup(const char *s)
{
	return strdup(s ? s : "");
}

static config_setting_t *s_list(config_t *cfg, const char *name, int required,
				struct qf_cfg_errors *errs)
{
	config_setting_t *s = config_lookup(cfg, name);
	if (!s) {
		if (required)
			qf_cfg_error(errs, NULL, name, "required list is missing");
		return NULL;
	}
	if (config_setting_type(s) != CONFIG_TYPE_LIST &&
	    config_setting_type(s) != CONFIG_TYPE_ARRAY) {
		qf_cfg_error(errs, s, NULL, "must be a list ( ... ) or array [ ... ]");
		return NULL;
	}
	return s;
}

static int s_group(config_setting_t *g, struct qf_cfg_errors *errs)
{
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		qf_cfg_error(errs, g, NULL, "must be a group { ... }");
		return 0;
	}
	return 1;
}

static int s_only(config_setting_t *g, const char *const *allowed,
		  struct qf_cfg_errors *errs)
{
	int rc = QF_OK;
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		if (!s_in(config_setting_name(m), allowed)) {
			qf_cfg_error(errs, m, NULL, "unknown setting (misspelt?)");
			rc = QF_ERR_CONFIG;
		}
	}
	return rc;
}

/* "HH:MM-HH:MM" -> minutes */
static int s_span(const char *s, int *a, int *b)
{
	int h1, m1, h2, m2;
	char tail;
	if (sscanf(s, "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &tail) != 4)
		return -1;
	if (h1 < 0 || h1 > 24 || h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 ||
	    m2 > 59)
		return -1;
	*a = h1 * 60 + m1;
	*b = h2 * 60 + m2;
	return *a < *b && *b <= 1440 ? 0 : -1;
}

static int s_days(config_setting_t *arr, int64_t **out, unsigned *n, int off,
		  struct qf_cfg_errors *errs)
{
	int rc = QF_OK;
	int len = config_setting_length(arr);
	*out = calloc((size_t)len + 1, sizeof **out);
	*n = 0;
	if (!*out)
		return QF_ERR_NOMEM;
	for (int i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(arr, (unsigned)i);
		const char *d = config_setting_get_string(e);
		int64_t ms;
		if (!d || strlen(d) != 10 || qf_time_parse(d, 0, &ms)) {
			qf_cfg_error(errs, e, NULL, "dates are \"YYYY-MM-DD\"");
			rc = QF_ERR_CONFIG;
			continue;
		}
		(*out)[(*n)++] = ms / DAY_MS;
	}
	(void)off;
	return rc;
}

/* A number setting of either libconfig type (30 and 30.0). */
static int s_num(const config_setting_t *e, double *out)
{
	int t = config_setting_type(e);
	if (t == CONFIG_TYPE_FLOAT)
		*out = config_setting_get_float(e);
	else if (t == CONFIG_TYPE_INT)
		*out = config_setting_get_int(e);
	else if (t == CONFIG_TYPE_INT64)
		*out = (double)config_setting_get_int64(e);
	else
		return -1;
	return 0;
}

static int s_lat_lng_ok(double lat, double lng)
{
	return lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180;
}

/* A building's optional place: lat and lng together, a footprint of at
 * least three (lat, lng) vertices as a flat list, aliases as strings. */
static int s_load_place(config_setting_t *e, struct qf_building *b,
			struct qf_cfg_errors *errs)
{
	int rc = QF_OK;
	config_setting_t *la = config_setting_get_member(e, "lat");
	config_setting_t *ln = config_setting_get_member(e, "lng");
	if (la || ln) {
		if (!la || !ln || s_num(la, &b->lat) || s_num(ln, &b->lng) ||
		    !s_lat_lng_ok(b->lat, b->lng)) {
			qf_cfg_error(errs, la ? la : ln, NULL,
				     "lat and lng come together, as degrees "
				     "(-90..90, -180..180)");
			rc = QF_ERR_CONFIG;
		} else {
			b->has_point = 1;
		}
	}
	config_setting_t *fp = config_setting_get_member(e, "footprint");
	if (fp) {
		int n = config_setting_length(fp);
		int t = config_setting_type(fp);
		if ((t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) || n < 6 || n % 2 ||
		    n > 2 * QF_MAX_FOOTPRINT) {
			qf_cfg_error(errs, fp, NULL,
				     "a footprint is [lat, lng, lat, lng, ...]: 3 to %d "
				     "vertices",
				     QF_MAX_FOOTPRINT);
			return QF_ERR_CONFIG;
		}
		b->footprint = calloc((size_t)n, sizeof *b->footprint);
		if (!b->footprint)
			return QF_ERR_NOMEM;
		for (int i = 0; i < n; i++) {
			config_setting_t *v = config_setting_get_elem(fp, (unsigned)i);
			if (s_num(v, &b->footprint[i]) ||
			    (i % 2 &&
			     !s_lat_lng_ok(b->footprint[i - 1], b->footprint[i]))) {
				qf_cfg_error(errs, v, NULL,
					     "footprint vertices are degrees (-90..90, "
					     "-180..180)");
				rc = QF_ERR_CONFIG;
				break;
			}
		}
		b->nfootprint = (unsigned)n / 2;
	}
	config_setting_t *al = config_setting_get_member(e, "aliases");
	if (al) {
		int n = config_setting_length(al);
		int t = config_setting_type(al);
		if ((t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) ||
		    n > QF_MAX_ALIASES) {
			qf_cfg_error(errs, al, NULL,
				     "aliases are a list of at most %d strings",
				     QF_MAX_ALIASES);
			return QF_ERR_CONFIG;
		}
		b->aliases = calloc((size_t)n + 1, sizeof *b->aliases);
		if (!b->aliases)
			return QF_ERR_NOMEM;
		for (int i = 0; i < n; i++) {
			config_setting_t *v = config_setting_get_elem(al, (unsigned)i);
			const char *s = config_setting_get_string(v);
			if (!s || !*s || strlen(s) > 63) {
				qf_cfg_error(errs, v, NULL,
					     "an alias is a string of 1..63 bytes");
				rc = QF_ERR_CONFIG;
				continue;
			}
			if (!(b->aliases[b->naliases++] = s_dup(s)))
				return QF_ERR_NOMEM;
		}
	}
	return rc;
}

static int s_load_calendar(config_t *cfg, struct qf_community *c,
			   struct qf_cfg_errors *errs)
{
	struct qf_calendar *cal = &c->calendar;
	cal->workdays = 0x3e; /* Mon..Fri */
	cal->span_start[0] = 8 * 60 + 30;
	cal->span_end[0] = 12 * 60;
	cal->span_start[1] = 14 * 60;
	cal->span_end[1] = 17 * 60 + 30;
	cal->nspans = 2;
	config_setting_t *g = config_lookup(cfg, "calendar");
	if (!g)
		return QF_OK;
	if (!s_group(g, errs))
		return QF_ERR_CONFIG;
	static const char *const allowed[] = {"workdays", "hours", "holidays",
					      "workdays_extra", NULL};
	int rc = s_only(g, allowed, errs);
	config_setting_t *wd = config_setting_get_member(g, "workdays");
	if (wd) {
		cal->workdays = 0;
		for (int i = 0; i < config_setting_length(wd); i++) {
			config_setting_t *e = config_setting_get_elem(wd, (unsigned)i);
			int d = config_setting_get_int(e);
			if (config_setting_type(e) != CONFIG_TYPE_INT || d < 1 || d > 7) {
				qf_cfg_error(errs, e, NULL, "weekdays are 1 (Monday) .. 7 (Sunday)");
				rc = QF_ERR_CONFIG;
				continue;
			}
			cal->workdays |= 1u << d;
		}
	}
	config_setting_t *hrs = config_setting_get_member(g, "hours");
	if (hrs) {
		cal->nspans = 0;
		for (int i = 0; i < config_setting_length(hrs); i++) {
			config_setting_t *e = config_setting_get_elem(hrs, (unsigned)i);
			const char *s = config_setting_get_string(e);
			int a, b;
			if (!s || s_span(s, &a, &b) || cal->nspans >= QF_MAX_SPANS ||
			    (cal->nspans && a < cal->span_end[cal->nspans - 1])) {
				qf_cfg_error(errs, e, NULL,
					     "working hours are \"HH:MM-HH:MM\", in order, at most %d",
					     QF_MAX_SPANS);
				rc = QF_ERR_CONFIG;
				continue;
			}
			cal->span_start[cal->nspans] = a;
			cal->span_end[cal->nspans++] = b;
		}
	}
	if (!cal->nspans || !cal->workdays) {
		qf_cfg_error(errs, g, NULL, "the calendar needs working days and hours");
		rc = QF_ERR_CONFIG;
	}
	config_setting_t *hol = config_setting_get_member(g, "holidays");
	if (hol && s_days(hol, &cal->holidays, &cal->nholidays, c->utc_offset_min, errs))
		rc = QF_ERR_CONFIG;
	config_setting_t *ex = config_setting_get_member(g, "workdays_extra");
	if (ex && s_days(ex, &cal->extra_workdays, &cal->nextra, c->utc_offset_min, errs))
		rc = QF_ERR_CONFIG;
	return rc;
}

int qf_community_load(const char *file, struct qf_community **out,
		      struct qf_cfg_errors *errs)
{
	config_t cfg;
	errs->file = file;
	config_init(&cfg);
	if (config_read_file(&cfg, file) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			qf_cfg_error(errs, NULL, "", "cannot read the community file");
		else
			snprintf(errs->msg[errs->n++], sizeof errs->msg[0],
				 "%s:%d: syntax error: %s",
				 config_error_file(&cfg) ? config_error_file(&cfg) : file,
				 config_error_line(&cfg), config_error_text(&cfg));
		config_destroy(&cfg);
		return QF_ERR_CONFIG;
	}
	struct qf_community *c = calloc(1, sizeof *c);
	if (!c) {
		config_destroy(&cfg);
		return QF_ERR_NOMEM;
	}
	int rc = QF_OK;
	static const char *const top[] = {"community", "categories", "roles", "staff", "buildings",
					  "escalation", "special_routes", "calendar", NULL};
	if (s_only(config_root_setting(&cfg), top, errs))
		rc = QF_ERR_CONFIG;

	config_setting_t *g = config_lookup(&cfg, "community");
	const char *code = "", *name = "", *tz = "Asia/Shanghai";
	long long off = 480;
	if (!g || !s_group(g, errs)) {
		if (!g)
			qf_cfg_error(errs, NULL, "community", "required group is missing");
		rc = QF_ERR_CONFIG;
	} else {
		static const char *const allowed[] = {"code", "name", "timezone",
						      "utc_offset_min", NULL};
		if (s_only(g, allowed, errs) || qf_cfg_member_str(g, "code", 0, &code, errs) ||
		    qf_cfg_member_str(g, "name", 0, &name, errs) ||
		    qf_cfg_member_str(g, "timezone", 1, &tz, errs) ||
		    qf_cfg_member_int(g, "utc_offset_min", 1, -720, 840, &off, errs))
			rc = QF_ERR_CONFIG;
	}
	c->code = s_dup(code);
	c->name = s_dup(name);
	c->timezone = s_dup(tz);
	c->utc_offset_min = (int)off;

	/* categories */
	config_setting_t *l = s_list(&cfg, "categories", 1, errs);
	int n = l ? config_setting_length(l) : 0;
	if (!l)
		rc = QF_ERR_CONFIG;
	c->categories = calloc((size_t)n + 1, sizeof *c->categories);
	for (int i = 0; i < n && c->categories; i++) {
		config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
		static const char *const allowed[] = {"code", "name", "respond_within_h",
						      "resolve_within_h", "priority", "clock",
						      "disclosure_query", NULL};
		const char *cc = NULL, *cn = NULL, *pr = "normal", *clock = "wall";
		long long rh = 0, sh = 0;
		int dq = 0;
		if (!s_group(e, errs) || s_only(e, allowed, errs) ||
		    qf_cfg_member_str(e, "code", 0, &cc, errs) ||
		    qf_cfg_member_str(e, "name", 0, &cn, errs) ||
		    qf_cfg_member_int(e, "respond_within_h", 0, 1, 24 * 365, &rh, errs) ||
		    qf_cfg_member_int(e, "resolve_within_h", 0, 1, 24 * 365, &sh, errs) ||
		    qf_cfg_member_str(e, "priority", 1, &pr, errs) ||
		    qf_cfg_member_str(e, "clock", 1, &clock, errs) ||
		    qf_cfg_member_bool(e, "disclosure_query", 1, &dq, errs)) {
			rc = QF_ERR_CONFIG;
			continue;
		}
		if (!s_in(pr, s_prios)) {
			qf_cfg_error(errs, config_setting_get_member(e, "priority"), NULL,
				     "'%s' is not urgent, normal, low or sensitive", pr);
			rc = QF_ERR_CONFIG;
		}
		if (strcmp(clock, "wall") && strcmp(clock, "working")) {
			qf_cfg_error(errs, config_setting_get_member(e, "clock"), NULL,
				     "'%s' is not wall or working", clock);
			rc = QF_ERR_CONFIG;
		}
		if (rh > sh) {
			qf_cfg_error(errs, e, NULL, "respond_within_h exceeds resolve_within_h");
			rc = QF_ERR_CONFIG;
		}
		if (qf_community_category(c, cc)) {
			qf_cfg_error(errs, e, NULL, "duplicate category code '%s'", cc);
			rc = QF_ERR_CONFIG;
		}
		struct qf_category *k = &c->categories[c->ncategories++];
		k->code = s_dup(cc);
		k->name = s_dup(cn);
		k->respond_h = (int)rh;
		k->resolve_h = (int)sh;
		k->priority = s_dup(pr);
		k->urgent = strcmp(pr, "urgent") == 0;
		k->sensitive = strcmp(pr, "sensitive") == 0;
		k->working_hours = strcmp(clock, "working") == 0;
		k->disclosure_query = dq;
	}

	/* roles and their grants: the access policy's data (qf_roles.h) */
	l = s_list(&cfg, "roles", 1, errs);
	if (!l || qf_roles_parse(l, &c->roles, &c->nroles, errs))
		rc = QF_ERR_CONFIG;

	/* staff */
	l = s_list(&cfg, "staff", 1, errs);
	n = l ? config_setting_length(l) : 0;
	if (!l)
		rc = QF_ERR_CONFIG;
	c->staff = calloc((size_t)n + 1, sizeof *c->staff);
	for (int i = 0; i < n && c->staff; i++) {
		config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
		static const char *const allowed[] = {"id", "name", "post", "role", "duty",
						      "phone", "responsibilities",
						      "supervises", NULL};
		const char *id = NULL, *nm = NULL, *post = "", *role = NULL, *duty = "",
			   *phone = "", *resp = "";
		if (!s_group(e, errs) || s_only(e, allowed, errs) ||
		    qf_cfg_member_str(e, "id", 0, &id, errs) ||
		    qf_cfg_member_str(e, "name", 0, &nm, errs) ||
		    qf_cfg_member_str(e, "post", 1, &post, errs) ||
		    qf_cfg_member_str(e, "role", 0, &role, errs) ||
		    qf_cfg_member_str(e, "duty", 1, &duty, errs) ||
		    qf_cfg_member_str(e, "phone", 1, &phone, errs) ||
		    qf_cfg_member_str(e, "responsibilities", 1, &resp, errs)) {
			rc = QF_ERR_CONFIG;
			continue;
		}
		if (!qf_roles_find(c->roles, c->nroles, role)) {
			qf_cfg_error(errs, config_setting_get_member(e, "role"), NULL,
				     "'%s' is not a role of the roles list", role);
			rc = QF_ERR_CONFIG;
		}
		if (qf_community_staff(c, id)) {
			qf_cfg_error(errs, e, NULL, "duplicate staff id '%s'", id);
			rc = QF_ERR_CONFIG;
		}
		struct qf_staff *s = &c->staff[c->nstaff++];
		s->id = s_dup(id);
		s->name = s_dup(nm);
		s->post = s_dup(post);
		s->role = s_dup(role);
		s->duty = s_dup(duty);
		s->phone = s_dup(phone);
		s->responsibilities = s_dup(resp);
		config_setting_t *sup = config_setting_get_member(e, "supervises");
		if (sup) {
			int k = config_setting_length(sup);
			s->supervises = calloc((size_t)k + 1, sizeof *s->supervises);
			for (int j = 0; j < k && s->supervises; j++) {
				const char *v = config_setting_get_string_elem(sup, j);
				if (!v) {
					qf_cfg_error(errs, sup, NULL, "staff ids are strings");
					rc = QF_ERR_CONFIG;
					continue;
				}
				s->supervises[s->nsupervises++] = s_dup(v);
			}
		}
	}
	for (unsigned i = 0; i < c->nstaff; i++)
		for (unsigned j = 0; j < c->staff[i].nsupervises; j++)
			if (!qf_community_staff(c, c->staff[i].supervises[j])) {
				qf_cfg_error(errs, NULL, "staff",
					     "'%s' supervises unknown staff id '%s'",
					     c->staff[i].id, c->staff[i].supervises[j]);
				rc = QF_ERR_CONFIG;
			}

	/* buildings */
	l = s_list(&cfg, "buildings", 1, errs);
	n = l ? config_setting_length(l) : 0;
	if (!l)
		rc = QF_ERR_CONFIG;
	c->buildings = calloc((size_t)n + 1, sizeof *c->buildings);
	for (int i = 0; i < n && c->buildings; i++) {
		config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
		static const char *const allowed[] = {
		    "id", "name", "head", "lat", "lng", "footprint", "aliases", NULL};
		const char *id = NULL, *nm = NULL, *head = NULL;
		if (!s_group(e, errs) || s_only(e, allowed, errs) ||
		    qf_cfg_member_str(e, "id", 0, &id, errs) ||
		    qf_cfg_member_str(e, "name", 0, &nm, errs) ||
		    qf_cfg_member_str(e, "head", 0, &head, errs)) {
			rc = QF_ERR_CONFIG;
			continue;
		}
		if (!qf_community_staff(c, head)) {
			qf_cfg_error(errs, config_setting_get_member(e, "head"), NULL,
				     "no staff member '%s'", head);
			rc = QF_ERR_CONFIG;
		}
		if (qf_community_building(c, id)) {
			qf_cfg_error(errs, e, NULL, "duplicate building id '%s'", id);
			rc = QF_ERR_CONFIG;
		}
		struct qf_building *b = &c->buildings[c->nbuildings++];
		b->id = s_dup(id);
		b->name = s_dup(nm);
		b->head = s_dup(head);
		if (s_load_place(e, b, errs))
			rc = QF_ERR_CONFIG;
	}

	/* escalation */
	l = s_list(&cfg, "escalation", 0, errs);
	n = l ? config_setting_length(l) : 0;
	c->escalation = calloc((size_t)n + 1, sizeof *c->escalation);
	for (int i = 0; i < n && c->escalation; i++) {
		const char *role = config_setting_get_string_elem(l, i);
		if (!role || !qf_roles_find(c->roles, c->nroles, role)) {
			qf_cfg_error(errs, config_setting_get_elem(l, (unsigned)i), NULL,
				     "escalation steps are roles of the roles list");
			rc = QF_ERR_CONFIG;
			continue;
		}
		c->escalation[c->nescalation++] = s_dup(role);
	}

	/* special routes */
	l = s_list(&cfg, "special_routes", 0, errs);
	n = l ? config_setting_length(l) : 0;
	c->routes = calloc((size_t)n + 1, sizeof *c->routes);
	for (int i = 0; i < n && c->routes; i++) {
		config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
		static const char *const allowed[] = {"category", "to", "note", NULL};
		const char *cat = NULL, *to = NULL, *note = "";
		if (!s_group(e, errs) || s_only(e, allowed, errs) ||
		    qf_cfg_member_str(e, "category", 0, &cat, errs) ||
		    qf_cfg_member_str(e, "to", 0, &to, errs) ||
		    qf_cfg_member_str(e, "note", 1, &note, errs)) {
			rc = QF_ERR_CONFIG;
			continue;
		}
		if (!qf_community_category(c, cat)) {
			qf_cfg_error(errs, config_setting_get_member(e, "category"), NULL,
				     "no category '%s'", cat);
			rc = QF_ERR_CONFIG;
		}
		if (!qf_community_staff(c, to)) {
			qf_cfg_error(errs, config_setting_get_member(e, "to"), NULL,
				     "no staff member '%s'", to);
			rc = QF_ERR_CONFIG;
		}
		struct qf_route *r = &c->routes[c->nroutes++];
		r->category = s_dup(cat);
		r->to = s_dup(to);
		r->note = s_dup(note);
	}
	if (s_load_calendar(&cfg, c, errs))
		rc = QF_ERR_CONFIG;
	if (!c->categories || !c->staff || !c->buildings || !c->escalation || !c->routes)
		rc = QF_ERR_NOMEM;
	config_destroy(&cfg);
	if (rc) {
		qf_community_free(&c);
		return rc;
	}
	*out = c;
	return QF_OK;
}

void qf_community_free(struct qf_community **cp)
{
	if (!cp || !*cp)
		return;
	struct qf_community *c = *cp;
	for (unsigned i = 0; i < c->ncategories; i++) {
		free(c->categories[i].code);
		free(c->categories[i].name);
		free(c->categories[i].priority);
	}
	for (unsigned i = 0; i < c->nstaff; i++) {
		struct qf_staff *s = &c->staff[i];
		free(s->id);
		free(s->name);
		free(s->post);
		free(s->role);
		free(s->duty);
		free(s->phone);
		free(s->responsibilities);
		for (unsigned j = 0; j < s->nsupervises; j++)
			free(s->supervises[j]);
		free(s->supervises);
	}
	for (unsigned i = 0; i < c->nroles; i++)
		free(c->roles[i].name);
	free(c->roles);
	for (unsigned i = 0; i < c->nbuildings; i++) {
		free(c->buildings[i].id);
		free(c->buildings[i].name);
		free(c->buildings[i].head);
		free(c->buildings[i].footprint);
		for (unsigned j = 0; j < c->buildings[i].naliases; j++)
			free(c->buildings[i].aliases[j]);
		free(c->buildings[i].aliases);
	}
	for (unsigned i = 0; i < c->nroutes; i++) {
		free(c->routes[i].category);
		free(c->routes[i].to);
		free(c->routes[i].note);
	}
	for (unsigned i = 0; i < c->nescalation; i++)
		free(c->escalation[i]);
	free(c->categories);
	free(c->staff);
	free(c->buildings);
	free(c->routes);
	free(c->escalation);
	free(c->calendar.holidays);
	free(c->calendar.extra_workdays);
	free(c->code);
	free(c->name);
	free(c->timezone);
	free(c);
	*cp = NULL;
}

const struct qf_category *qf_community_category(const struct qf_community *c,
						const char *code)
{
	for (unsigned i = 0; code && i < c->ncategories; i++)
		if (strcmp(c->categories[i].code, code) == 0)
			return &c->categories[i];
	return NULL;
}

const struct qf_staff *qf_community_staff(const struct qf_community *c, const char *id)
{
	for (unsigned i = 0; id && i < c->nstaff; i++)
		if (strcmp(c->staff[i].id, id) == 0)
			return &c->staff[i];
	return NULL;
}

const struct qf_building *qf_community_building(const struct qf_community *c,
						const char *id)
{
	for (unsigned i = 0; id && i < c->nbuildings; i++)
		if (strcmp(c->buildings[i].id, id) == 0)
			return &c->buildings[i];
	return NULL;
}

const struct qf_route *qf_community_route(const struct qf_community *c,
					  const char *category)
{
	for (unsigned i = 0; category && i < c->nroutes; i++)
		if (strcmp(c->routes[i].category, category) == 0)
			return &c->routes[i];
	return NULL;
}

const struct qf_staff *qf_community_role(const struct qf_community *c, const char *role)
{
	for (unsigned i = 0; role && i < c->nstaff; i++)
		if (strcmp(c->staff[i].role, role) == 0)
			return &c->staff[i];
	return NULL;
}

static int s_sup(const struct qf_community *c, const char *boss, const char *who,
		 int depth)
{
	const struct qf_staff *b = qf_community_staff(c, boss);
	if (!b || depth > 16)
		return 0;
	for (unsigned i = 0; i < b->nsupervises; i++)
		if (strcmp(b->supervises[i], who) == 0 ||
		    s_sup(c, b->supervises[i], who, depth + 1))
			return 1;
	return 0;
}

int qf_community_supervises(const struct qf_community *c, const char *boss,
			    const char *who)
{
	return boss && who && s_sup(c, boss, who, 0);
}

/* ------------------------------------------------------------ calendar */

static int s_day_in(const int64_t *days, unsigned n, int64_t d)
{
	for (unsigned i = 0; i < n; i++)
		if (days[i] == d)
			return 1;
	return 0;
}

static int s_working_day(const struct qf_community *c, int64_t day)
{
	const struct qf_calendar *cal = &c->calendar;
	if (s_day_in(cal->extra_workdays, cal->nextra, day))
		return 1;
	if (s_day_in(cal->holidays, cal->nholidays, day))
		return 0;
	int wd = (int)(((day % 7) + 7 + 3) % 7) + 1; /* 1970-01-01 was a Thursday */
	return (cal->workdays >> wd) & 1;
}

static int64_t s_floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int qf_calendar_is_working(const struct qf_community *c, int64_t ms)
{
	int64_t local = ms + (int64_t)c->utc_offset_min * 60000;
	int64_t day = s_floor_div(local, DAY_MS);
	if (!s_working_day(c, day))
		return 0;
	int64_t min_ms = local - day * DAY_MS;
	for (unsigned i = 0; i < c->calendar.nspans; i++)
		if (min_ms >= c->calendar.span_start[i] * 60000LL &&
		    min_ms < c->calendar.span_end[i] * 60000LL)
			return 1;
	return 0;
}

int64_t qf_calendar_add_working(const struct qf_community *c, int64_t from_ms,
				int64_t add_ms)
{
	int64_t off = (int64_t)c->utc_offset_min * 60000;
	int64_t local = from_ms + off;
	int64_t day = s_floor_div(local, DAY_MS);
	int64_t left = add_ms;
	for (int guard = 0; guard < 3660; guard++, day++) {
		if (!s_working_day(c, day))
			continue;
		for (unsigned i = 0; i < c->calendar.nspans; i++) {
			int64_t a = day * DAY_MS + c->calendar.span_start[i] * 60000LL;
			int64_t b = day * DAY_MS + c->calendar.span_end[i] * 60000LL;
			if (local > a)
				a = local;
			if (a >= b)
				continue;
			if (left <= b - a)
				return a + left - off;
			left -= b - a;
		}
	}
	return INT64_MAX;
}

int64_t qf_calendar_working_between(const struct qf_community *c, int64_t a_ms,
				    int64_t b_ms)
{
	if (b_ms <= a_ms)
		return 0;
	int64_t off = (int64_t)c->utc_offset_min * 60000;
	int64_t a = a_ms + off, b = b_ms + off, total = 0;
	for (int64_t day = s_floor_div(a, DAY_MS); day <= s_floor_div(b, DAY_MS); day++) {
		if (!s_working_day(c, day))
			continue;
		for (unsigned i = 0; i < c->calendar.nspans; i++) {
			int64_t s = day * DAY_MS + c->calendar.span_start[i] * 60000LL;
			int64_t e = day * DAY_MS + c->calendar.span_end[i] * 60000LL;
			if (s < a)
				s = a;
			if (e > b)
				e = b;
			if (e > s)
				total += e - s;
		}
	}
	return total;
}
