/* main.c: qf-intake: parse arguments, load and check the configuration,
 * open the service, serve until SIGTERM, close in reverse. The settings
 * table below is the complete list of what intake.cfg may hold. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "intake.h"
#include "qf_err.h"
#include "qf_log.h"

#define C(f) offsetof(struct intake_conf, f)

static const struct qf_cfg_setting s_settings[] = {
    QF_SVC_SETTINGS(struct intake_conf, svc, "intake", "8080", "tcp://127.0.0.1:5551",
		    "tcp://127.0.0.1:5552"),
    /* intake */
    {"intake.tokens", QF_CFG_STRING, C(tokens_file), "staff-tokens.cfg", 0, 4000, NULL,
     "staff tokens file (hashes), relative to this file"},
    {"intake.tracking_prefix", QF_CFG_STRING, C(tracking_prefix), "", 0, 8, NULL,
     "tracking code prefix (default: the community code)"},
    {"intake.replica_code", QF_CFG_STRING, C(replica_code), "", 0, 1, NULL,
     "one Crockford character unique per intake replica, first of the code"},
    {"intake.pseudonym_key_file", QF_CFG_STRING, C(pseudonym_key_file), "", 0, 4000, NULL,
     "key of the phone pseudonym (shared by all replicas; empty: dev key)"},
    {"intake.contact_key_file", QF_CFG_STRING, C(contact_key_file), "", 0, 4000, NULL,
     "secretbox key for contacts at rest (empty: dev key in data_dir)"},
    {"intake.seal_to", QF_CFG_CUSTOM, C(seal_to), NULL, 0, 0,
     intake_keys_parse_recipients, "services contacts are sealed to"},
    {"intake.action_wait_ms", QF_CFG_INT, C(action_wait_ms), "2000", 0, 60000, NULL,
     "wait for the router's verdict before answering 202"},
    {"intake.offline_needs_staff", QF_CFG_BOOL, C(offline_needs_staff), "true", 0, 0,
     NULL, "counter, patrol and phone petitions need a staff token"},
    {"intake.max_media", QF_CFG_INT, C(max_media), "4", 0, INTAKE_MAX_MEDIA, NULL,
     "photos or media URLs per petition"},
    {"intake.max_media_bytes", QF_CFG_INT64, C(max_media_bytes), "5242880", 1024,
     67108864, NULL, "largest photo in bytes"},
    {"intake.petition_max_body", QF_CFG_INT64, C(petition_max_body), "29360128", 65536,
     268435456, NULL, "largest petition body (photos in base64)"},
    {"intake.idempotency_ttl_h", QF_CFG_INT, C(idempotency_ttl_h), "24", 1, 8760, NULL,
     "how long an Idempotency-Key is remembered"},
    {"intake.upload_ttl_h", QF_CFG_INT, C(upload_ttl_h), "24", 1, 8760, NULL,
     "how long a photo uploaded with POST /v1/media may be attached by its token"},
    {"intake.notifier_url", QF_CFG_STRING, C(notifier_url), "", 0, 200, NULL,
     "the notifier's HTTP API (http://host:port) the follow page asks for SMS follows "
     "('': not offered)"},
    {"intake.board_url", QF_CFG_STRING, C(board_url), "http://127.0.0.1:8083", 0, 200,
     NULL,
     "the disclosure board's address as residents reach it (http://host:port); the "
     "secretary's page links its statistics ('': no link)"},
    {"intake.visit_quota", QF_CFG_INT, C(visit_quota), "15", 0, 10000, NULL,
     "households to visit a month, shown against the pace on /staff/visits (0: none)"},
    {"intake.locate_within_m", QF_CFG_INT, C(locate_within_m), "60", 0, 5000, NULL,
     "a petition without building goes to the building whose point is this near "
     "(metres; 0: footprints only)"},
    /* spam */
    {"spam.enabled", QF_CFG_BOOL, C(spam.enabled), "true", 0, 0, NULL, "filter on"},
    {"spam.threshold", QF_CFG_INT, C(spam.threshold), "10", 1, 1000, NULL,
     "hold a submission whose spam score reaches this (weights: docs/MASKING.md)"},
    {"spam.keywords", QF_CFG_CUSTOM, C(spam), NULL, 0, 0, intake_spam_parse_keywords,
     "advertising terms added to the built-in table"},
    {"spam.keyword_weight", QF_CFG_INT, C(spam.keyword_weight), "6", 0, 1000, NULL,
     "score of each term of spam.keywords found"},
    {"spam.links", QF_CFG_BOOL, C(spam.links), "true", 0, 0, NULL,
     "links count (weight 6)"},
    {"spam.wechat", QF_CFG_BOOL, C(spam.wechat), "true", 0, 0, NULL,
     "WeChat, QQ, Telegram, WhatsApp ids (7) and group numbers (8) count"},
    {"spam.phone_numbers", QF_CFG_BOOL, C(spam.phone_numbers), "true", 0, 0, NULL,
     "phone numbers in the text count (4: never a hold on their own)"},
    {"spam.max_repeat", QF_CFG_INT, C(spam.max_repeat), "10", 0, 1000, NULL,
     "longest run of one character that does not count (0: no repetition signals)"},
    {"spam.duplicate_copies", QF_CFG_INT, C(spam.dup_copies), "3", 0, 1000000, NULL,
     "submissions of one text (inside the window) from which it counts (0: off)"},
    {"spam.duplicate_window_s", QF_CFG_INT, C(spam.dup_window_s), "86400", 1, 2592000,
     NULL, "how long a text is remembered for spam.duplicate_copies"},
    {"spam.adjust_releases", QF_CFG_INT, C(spam.adjust_releases), "3", 0, 1000000, NULL,
     "releases after which a term the supervisor keeps releasing stops counting (0: "
     "never)"},
    /* rate limits */
    {"ratelimit.per_ip", QF_CFG_INT, C(rl_ip), "30", 0, 1000000, NULL,
     "petitions per client address per window (0: off)"},
    {"ratelimit.per_ip_window_s", QF_CFG_INT, C(rl_ip_window_s), "60", 1, 86400, NULL,
     "window of per_ip"},
    {"ratelimit.per_phone", QF_CFG_INT, C(rl_phone), "5", 0, 1000000, NULL,
     "petitions per phone number per window (0: off)"},
    {"ratelimit.per_phone_window_s", QF_CFG_INT, C(rl_phone_window_s), "3600", 1, 604800,
     NULL, "window of per_phone"},
    {"ratelimit.follow_per_ip", QF_CFG_INT, C(rl_follow), "120", 0, 1000000, NULL,
     "follow and feedback requests per client address per window (0: off)"},
    {"ratelimit.follow_window_s", QF_CFG_INT, C(rl_follow_window_s), "60", 1, 86400, NULL,
     "window of follow_per_ip"},
    {"ratelimit.slots", QF_CFG_INT, C(rl_slots), "65536", 64, 16777216, NULL,
     "buckets per limiter (memory is fixed)"},
    {"ratelimit.trusted_proxies", QF_CFG_CUSTOM, C(trusted_proxies), NULL, 0, 0,
     intake_conf_parse_strlist, "proxies whose X-Forwarded-For is believed"},
    /* Open311 */
    {"open311.enabled", QF_CFG_BOOL, C(o311_enabled), "true", 0, 0, NULL,
     "serve Open311 GeoReport v2"},
    {"open311.jurisdiction_id", QF_CFG_STRING, C(o311_jurisdiction), "lsj", 1, 64, NULL,
     "this server's jurisdiction_id"},
    {"open311.base_url", QF_CFG_STRING, C(o311_base_url), "http://127.0.0.1:8080", 1, 256,
     NULL, "public base URL (discovery, media_url)"},
    {"open311.contact", QF_CFG_STRING, C(o311_contact), "社区居委会", 0, 256, NULL,
     "contact text in the discovery document"},
    {"open311.max_page_size", QF_CFG_INT, C(o311_max_page), "1000", 1, 10000, NULL,
     "largest page_size of GET requests"},
    /* staff sign-in (staffauth.c; docs/SECURITY.md says why these limits) */
    {"staff.pwhash_ops", QF_CFG_INT, C(staff.pwhash_ops), "3", 1, 16, NULL,
     "Argon2id passes of a staff password hash (crypto_pwhash opslimit)"},
    {"staff.pwhash_mem_kib", QF_CFG_INT, C(staff.pwhash_mem_kib), "65536", 8, 1048576,
     NULL, "Argon2id memory of a staff password hash, KiB"},
    {"staff.max_failures", QF_CFG_INT, C(staff.max_failures), "5", 1, 100, NULL,
     "failed sign-ins in a row after which the account locks"},
    {"staff.lock_min", QF_CFG_INT, C(staff.lock_min), "15", 1, 10080, NULL,
     "minutes a locked account stays locked"},
    {"staff.session_idle_min", QF_CFG_INT, C(staff.idle_min), "30", 1, 1440, NULL,
     "a staff session unused this many minutes ends"},
    {"staff.session_max_h", QF_CFG_INT, C(staff.max_h), "12", 1, 168, NULL,
     "a staff session ends this many hours after sign-in"},
    {"staff.bootstrap_staff", QF_CFG_STRING, C(staff.bootstrap_staff), "", 0, 63, NULL,
     "staff id whose account is created at start when it has none (the first "
     "secretary; docs/OPERATIONS.md)"},
    {"staff.bootstrap_hash", QF_CFG_STRING, C(staff.bootstrap_hash), "", 0, 256, NULL,
     "its password's Argon2id hash, from qf-intake --hash-password"},
    {"open311.api_keys", QF_CFG_CUSTOM, C(o311_keys), NULL, 0, 0,
     intake_conf_parse_api_keys, "Open311 clients and their keys"},
};
#define NSETTINGS (sizeof s_settings / sizeof s_settings[0])

static void s_free(struct intake_conf *c)
{
	intake_conf_free_extra(c);
	qf_svc_conf_free(&c->svc);
	qf_cfg_free(s_settings, NSETTINGS, c);
}

/* qf-intake --hash-password: read a password on stdin, print its Argon2id
 * hash (the default limits) for staff.bootstrap_hash. */
static int s_hash_password(void)
{
	char pw[INTAKE_PW_MAX + 2], out[crypto_pwhash_STRBYTES];
	if (!fgets(pw, sizeof pw, stdin)) {
		fprintf(stderr, "qf-intake: no password on stdin\n");
		return 2;
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	if (strlen(pw) < INTAKE_PW_MIN || strlen(pw) > INTAKE_PW_MAX) {
		fprintf(stderr, "qf-intake: a password has %d to %d bytes\n", INTAKE_PW_MIN,
			INTAKE_PW_MAX);
		return 2;
	}
	int rc = sodium_init() < 0 ||
		 intake_staff_hash(INTAKE_PWHASH_OPS, INTAKE_PWHASH_MEM_KIB, pw, out);
	sodium_memzero(pw, sizeof pw);
	if (rc)
		return 1;
	printf("%s\n", out);
	return 0;
}

int main(int argc, char **argv)
{
	struct qf_svc_args args;
	int code = 0;
	if (argc == 2 && !strcmp(argv[1], "--hash-password"))
		return s_hash_password();
	if (qf_svc_args_parse(argc, argv, "qf-intake", "config/intake.cfg", &args, &code))
		return code;
	if (args.print_settings) {
		qf_cfg_describe(stdout, s_settings, NSETTINGS);
		return 0;
	}
	if (args.print_routes) {
		intake_routes_print(stdout);
		return 0;
	}
	static struct intake_conf conf;
	/* one error list for loading and the checks after it, so that every
	   error names its file and line */
	static struct qf_cfg_errors errs;
	int rc = qf_cfg_load(args.config, s_settings, NSETTINGS, &conf, &errs);
	conf.svc.config_file = strdup(args.config);
	if (!rc && intake_conf_check(&conf, args.check_config, &errs))
		rc = QF_ERR_CONFIG;
	for (unsigned i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if (args.check_config) {
		if (!rc)
			printf("%s: configuration ok\n", args.config);
		s_free(&conf);
		return rc ? 1 : 0;
	}
	if (rc) {
		s_free(&conf);
		return 1;
	}
	int lvl =
	    qf_log_level_parse(args.log_level ? args.log_level : conf.svc.log_level);
	qf_log_init("intake", lvl < 0 ? QF_LOG_INFO : (enum qf_log_level)lvl);
	qf_svc_signals();

	struct intake *in = NULL;
	struct qf_svc *svc = NULL;
	rc = 1;
	if (intake_new(&in, &conf))
		goto out;
	struct qf_svc_opts o = {.conf = &conf.svc,
				.service = "intake",
				.producer = 1,
				.apply = intake_consume,
				.on_incarnation = intake_on_incarnation};
	struct qf_svc_hooks hooks = {
	    .tick = intake_tick, .reload = intake_reload, .app = in};
	if (qf_svc_open(&svc, &o, &hooks) || intake_open(in, svc))
		goto out;
	size_t nroutes;
	const struct qf_http_route *routes = intake_routes(in, &nroutes);
	static struct qf_access access;
	intake_access(in, &access);
	qf_svc_set_access(svc, &access);
	if (qf_svc_http_start2(svc, routes, nroutes, in, intake_ready, intake_health))
		goto out;
	qf_info("started", "node=%s http=%s:%d prefix=%s replica=%c open311=%d",
		conf.svc.node, conf.svc.http_bind, conf.svc.http_port, in->prefix,
		in->replica ? in->replica : '-', conf.o311_enabled);
	rc = qf_svc_run(svc) ? 1 : 0;
	intake_shutdown(in);
out:
	/* the service first: queued jobs still reach the intake while it stops */
	qf_svc_destroy(&svc);
	intake_destroy(&in);
	s_free(&conf);
	qf_info("stopped", "rc=%d", rc);
	return rc;
}
