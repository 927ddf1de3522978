/* page.h: intake's resident pages (page_*.c), rendered in the shell of
 * web.h: the start page with the petition form (page_submit.c), the
 * receipt (page_receipt.c) and the follow page (page_follow.c).
 *
 * Every handler is a row of intake's route table (api.c); a page answers
 * with the same statuses the JSON API gives for the same input.
 */
#ifndef INTAKE_PAGE_H
#define INTAKE_PAGE_H

#include <jansson.h>

#include "qf_http.h"

struct intake;
struct intake_err;

/* GET /: the petition form. POST /: submit it (multipart, with photos). */
void page_h_start(struct qf_http_req *r, void *ctx);
void page_h_submit(struct qf_http_req *r, void *ctx);

/* GET /t (code and secret form), GET /t/:code (the script reads the
 * secret from the fragment; a form asks for it), POST /t and POST /t/:code
 * (the secret in the body: the view rendered here), POST
 * /t/:code/feedback (rating and comment on a resolved case). */
void page_h_follow(struct qf_http_req *r, void *ctx);
void page_h_follow_post(struct qf_http_req *r, void *ctx);
void page_h_feedback(struct qf_http_req *r, void *ctx);
void page_h_supplement(struct qf_http_req *r, void *ctx);

/* GET /t/:code/sms (phone form), POST /t/:code/sms (phone: the notifier
 * sends a code by SMS), POST /t/:code/sms/confirm (id, code): following a
 * case by SMS through the notifier (page_sms.c). 404 when
 * intake.notifier_url is "". */
void page_h_sms(struct qf_http_req *r, void *ctx);
void page_h_sms_post(struct qf_http_req *r, void *ctx);
void page_h_sms_confirm(struct qf_http_req *r, void *ctx);
/* The same for a building: GET /buildings/sms (choose one, or
 * ?building=<id>), GET|POST /buildings/:building/sms, POST
 * /buildings/:building/sms/confirm. */
void page_h_sms_buildings(struct qf_http_req *r, void *ctx);

/* A small urlencoded form of these pages (no files) as a JSON object of
 * strings (new reference), or NULL with the verdict in e. */
json_t *page_form_small(struct qf_http_req *r, struct intake_err *e);

/* Answer r with the receipt page of a submission's JSON answer a (as POST
 * /v1/petitions gives it: tracking_code, secret, receipt, ...), status as
 * given. The page is no-store: it shows the secret, once. */
void page_receipt_reply(struct qf_http_req *r, struct intake *in, unsigned status,
			const json_t *a);

#endif
