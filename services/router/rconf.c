/* rconf.c: the router's settings table (rconf.h).
 *
 * Every setting is one row: path, type, default, bounds, help. Lists with
 * their own shape (warning fractions, duties) are parsed by the two custom
 * functions below, which report errors with file and line like the rest.
 */
#include "rconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"

static int s_parse_warn(const struct qf_cfg_setting *def, config_setting_t *s, void *conf,
			struct qf_cfg_errors *errs)
{
	struct rt_conf *rc = (struct rt_conf *)((char *)conf + def->offset);
	if (!s) { /* default: 50% and 80% */
		rc->warn[0] = 500;
		rc->warn[1] = 800;
		rc->nwarn = 2;
		return QF_OK;
	}
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		qf_cfg_error(errs, s, NULL,
			     "must be an array of permille, e.g. [500, 800]");
		return QF_ERR_CONFIG;
	}
	int n = config_setting_length(s);
	if (n > RT_MAX_WARN) {
		qf_cfg_error(errs, s, NULL, "at most %d warnings", RT_MAX_WARN);
		return QF_ERR_CONFIG;
	}
	rc->nwarn = 0;
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		int t = config_setting_type(e);
		long long v = (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
				  ? config_setting_get_int64(e)
				  : -1;
		if (v < 1 || v > 999 ||
		    (rc->nwarn && (uint32_t)v <= rc->warn[rc->nwarn - 1])) {
			qf_cfg_error(errs, e, NULL,
				     "warnings are permille of the time allowed, 1..999, "
				     "ascending");
			return QF_ERR_CONFIG;
		}
		rc->warn[rc->nwarn++] = (uint32_t)v;
	}
	return QF_OK;
}

static int s_parse_duties(const struct qf_cfg_setting *def, config_setting_t *s,
			  void *conf, struct qf_cfg_errors *errs)
{
	struct rt_conf *rc = (struct rt_conf *)((char *)conf + def->offset);
	rc->nduties = 0;
	if (!s) { /* default: the integrity supervisor's 15 household visits */
		struct rt_duty_conf *d = &rc->duties[rc->nduties++];
		memset(d, 0, sizeof *d);
		strcpy(d->name, "household_visits");
		strcpy(d->role, "supervisor");
		d->target = 15;
		d->check_days[0] = 10;
		d->check_days[1] = 20;
		d->check_days[2] = 25;
		d->nchecks = 3;
		return QF_OK;
	}
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		qf_cfg_error(errs, s, NULL,
			     "must be a list ( { name = ...; role = ...; "
			     "monthly_target = ...; }, ... )");
		return QF_ERR_CONFIG;
	}
	int rc_out = QF_OK, n = config_setting_length(s);
	if (n > RT_MAX_DUTIES) {
		qf_cfg_error(errs, s, NULL, "at most %d duties", RT_MAX_DUTIES);
		return QF_ERR_CONFIG;
	}
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			qf_cfg_error(errs, g, NULL, "must be a group { ... }");
			rc_out = QF_ERR_CONFIG;
			continue;
		}
		const char *name = NULL, *role = "", *staff = "";
		long long target = 0;
		if (qf_cfg_member_str(g, "name", 0, &name, errs) ||
		    qf_cfg_member_str(g, "role", 1, &role, errs) ||
		    qf_cfg_member_str(g, "staff", 1, &staff, errs) ||
		    qf_cfg_member_int(g, "monthly_target", 0, 1, 10000, &target, errs)) {
			rc_out = QF_ERR_CONFIG;
			continue;
		}
		for (int m = 0; m < config_setting_length(g); m++) {
			config_setting_t *e = config_setting_get_elem(g, (unsigned)m);
			const char *mn = config_setting_name(e);
			if (strcmp(mn, "name") && strcmp(mn, "role") &&
			    strcmp(mn, "staff") && strcmp(mn, "monthly_target") &&
			    strcmp(mn, "check_days")) {
				qf_cfg_error(errs, e, NULL,
					     "unknown setting (name, role, staff, "
					     "monthly_target, check_days)");
				rc_out = QF_ERR_CONFIG;
			}
		}
		if (strcmp(name, "household_visits")) {
			qf_cfg_error(errs, config_setting_get_member(g, "name"), NULL,
				     "'%s' is not a known duty (household_visits)", name);
			rc_out = QF_ERR_CONFIG;
			continue;
		}
		if (!role[0] == !staff[0]) {
			qf_cfg_error(errs, g, NULL, "give exactly one of role or staff");
			rc_out = QF_ERR_CONFIG;
			continue;
		}
		struct rt_duty_conf *d = &rc->duties[rc->nduties];
		memset(d, 0, sizeof *d);
		if (rt_copy(d->name, sizeof d->name, name) ||
		    rt_copy(d->role, sizeof d->role, role) ||
		    rt_copy(d->staff, sizeof d->staff, staff)) {
			qf_cfg_error(errs, g, NULL, "name, role or staff too long");
			rc_out = QF_ERR_CONFIG;
			continue;
		}
		d->target = (uint32_t)target;
		config_setting_t *cd = config_setting_get_member(g, "check_days");
		if (!cd) {
			d->check_days[0] = 10;
			d->check_days[1] = 20;
			d->check_days[2] = 25;
			d->nchecks = 3;
		} else {
			int k = config_setting_length(cd);
			if ((config_setting_type(cd) != CONFIG_TYPE_ARRAY &&
			     config_setting_type(cd) != CONFIG_TYPE_LIST) ||
			    k > RT_MAX_CHECKS) {
				qf_cfg_error(errs, cd, NULL,
					     "an array of at most %d days, e.g. "
					     "[10, 20, 25]",
					     RT_MAX_CHECKS);
				rc_out = QF_ERR_CONFIG;
				continue;
			}
			for (int j = 0; j < k; j++) {
				config_setting_t *e =
				    config_setting_get_elem(cd, (unsigned)j);
				long long v = config_setting_type(e) == CONFIG_TYPE_INT
						  ? config_setting_get_int64(e)
						  : -1;
				if (v < 2 || v > 28 ||
				    (d->nchecks && v <= d->check_days[d->nchecks - 1])) {
					qf_cfg_error(
					    errs, e, NULL,
					    "check days are days of the month 2..28, "
					    "ascending");
					rc_out = QF_ERR_CONFIG;
					break;
				}
				d->check_days[d->nchecks++] = (uint8_t)v;
			}
		}
		rc->nduties++;
	}
	return rc_out;
}

#define R(path, type, field, def, min, max, help)                                        \
	{                                                                                \
		path, type, offsetof(struct router_conf, rt.field), def, min, max, NULL, \
		    help                                                                 \
	}

static const struct qf_cfg_setting s_table[] = {
    QF_SVC_SETTINGS(struct router_conf, svc, "router", "8081", "tcp://127.0.0.1:5561",
		    "tcp://127.0.0.1:5562"),
    R("router.tokens", QF_CFG_STRING, tokens_file, "staff-tokens.cfg", 0, 4000,
      "staff tokens file (hashes), relative to this file"),
    {"router.warn_permille", QF_CFG_CUSTOM, offsetof(struct router_conf, rt), NULL, 0, 0,
     s_parse_warn, "early warnings at these fractions of the time allowed"},
    R("router.reminder_every_h", QF_CFG_INT, reminder_every_h, "8", 1, 24 * 30,
      "hours between reminders while a deadline is breached"),
    R("router.max_reminders", QF_CFG_INT, max_reminders, "30", 0, 10000,
      "reminders per deadline at most (0: none after the breach notice)"),
    R("router.close_after_days", QF_CFG_INT, close_after_days, "7", 1, 365,
      "days after resolution without feedback before the case closes"),
    R("router.good_rating", QF_CFG_INT, good_rating, "3", 1, 5,
      "ratings at or above this close the case"),
    R("router.poor_rating", QF_CFG_INT, poor_rating, "2", 0, 4,
      "ratings at or below this reopen the case (0: never)"),
    R("router.max_extension_h", QF_CFG_INT, max_extension_h, "720", 1, 24 * 365,
      "largest extension one request may ask for"),
    R("router.max_transfers", QF_CFG_INT, max_transfers, "5", 0, 1000,
      "transfers after which only the secretary may transfer (0: no limit)"),
    R("router.integrity_category", QF_CFG_STRING, integrity_category, "integrity_report",
      0, RT_CODE_MAX - 1, "category of reports about staff conduct"),
    R("router.integrity_fallback_role", QF_CFG_STRING, integrity_fallback_role,
      "secretary", 0, 31, "who takes an integrity report the supervisor may not"),
    R("router.unknown_category_respond_h", QF_CFG_INT, fallback_respond_h, "24", 1,
      24 * 365, "respond deadline for a category missing from the community file"),
    R("router.unknown_category_resolve_h", QF_CFG_INT, fallback_resolve_h, "72", 1,
      24 * 365, "resolve deadline for a category missing from the community file"),
    R("router.timer_batch", QF_CFG_INT, timer_batch, "4096", 1, 100000,
      "timers fired per transaction"),
    R("router.catch_up_hold_ms", QF_CFG_INT, catch_up_hold_ms, "10000", 0, 600000,
      "after a start, hold timers until the backlog is applied, at most this long"),
    R("router.scan_budget", QF_CFG_INT, scan_budget, "20000", 100, 10000000,
      "records a filtered view reads per request before it pages"),
    R("hotspot.count", QF_CFG_INT, hotspot_count, "3", 2, 10000,
      "petitions of one category at one building that make a hotspot"),
    R("hotspot.window_h", QF_CFG_INT, hotspot_window_h, "24", 1, 24 * 90,
      "within this many hours"),
    R("repeat.window_days", QF_CFG_INT, repeat_window_days, "30", 1, 3650,
      "a petition repeats an earlier one of the same petitioner, building and "
      "category within this many days"),
    R("retention.days", QF_CFG_INT, retention_days, "1095", 1, 36500,
      "days a case's private data is kept after it became final (closed, rejected, "
      "merged); then every service forgets it (PRIVATE_EXPIRED)"),
    R("retention.visit_days", QF_CFG_INT, visit_days, "1095", 1, 36500,
      "days a visit record's private data is kept after the visit's date"),
    {"duties", QF_CFG_CUSTOM, offsetof(struct router_conf, rt), NULL, 0, 0,
     s_parse_duties, "monthly duties (household visits)"},
};
#undef R

#define NTABLE (sizeof s_table / sizeof s_table[0])

void rt_conf_describe(FILE *f)
{
	qf_cfg_describe(f, s_table, NTABLE);
}

int rt_conf_load(const char *file, struct router_conf *conf)
{
	memset(conf, 0, sizeof *conf);
	return qf_svc_load_config(file, s_table, NTABLE, conf);
}

int rt_conf_defaults(struct router_conf *conf)
{
	struct qf_cfg_errors errs = {0};
	memset(conf, 0, sizeof *conf);
	return qf_cfg_defaults(s_table, NTABLE, conf, &errs);
}

int rt_conf_check(const struct rt_conf *rc, const struct qf_community *c,
		  struct qf_cfg_errors *errs)
{
	int out = QF_OK;
	if (rc->poor_rating >= rc->good_rating) {
		qf_cfg_error(errs, NULL, "router.poor_rating",
			     "%d must be below router.good_rating %d", rc->poor_rating,
			     rc->good_rating);
		out = QF_ERR_CONFIG;
	}
	if (!qf_community_role(c, rc->integrity_fallback_role)) {
		qf_cfg_error(errs, NULL, "router.integrity_fallback_role",
			     "no staff member has role '%s' in the community file",
			     rc->integrity_fallback_role);
		out = QF_ERR_CONFIG;
	}
	if (rc->integrity_category[0] &&
	    !qf_community_category(c, rc->integrity_category)) {
		qf_cfg_error(errs, NULL, "router.integrity_category",
			     "no category '%s' in the community file",
			     rc->integrity_category);
		out = QF_ERR_CONFIG;
	}
	for (unsigned i = 0; i < rc->nduties; i++) {
		const struct rt_duty_conf *d = &rc->duties[i];
		if (d->staff[0] && !qf_community_staff(c, d->staff)) {
			qf_cfg_error(errs, NULL, "duties",
				     "duty %s: no staff member '%s'", d->name, d->staff);
			out = QF_ERR_CONFIG;
		}
		if (d->role[0] && !qf_community_role(c, d->role)) {
			qf_cfg_error(errs, NULL, "duties",
				     "duty %s: nobody has role '%s'", d->name, d->role);
			out = QF_ERR_CONFIG;
		}
	}
	return out;
}

void rt_conf_free(struct router_conf *conf)
{
	qf_svc_conf_free(&conf->svc);
	qf_cfg_free(s_table, NTABLE, conf);
}
