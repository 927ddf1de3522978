/* ntf_follow.h: following a case or a building.
 *
 * Anyone may follow a case (by case id or tracking code) or a building,
 * with an e-mail address, a webhook, or a WeCom/DingTalk robot. A follow is
 * pending until the link in the confirmation message sent over that very
 * channel is used (proof that the follower controls the address); every
 * message carries a one-step unsubscribe link (also as List-Unsubscribe in
 * mails, RFC 8058). Addresses are stored sealed; ids and link tokens are
 * keyed hashes, so the same follow asked twice is the same follow.
 *
 * By text message (channel "sms", for residents without e-mail): the
 * confirmation is a 6-digit code sent by SMS instead of a link (a link in
 * an SMS would confirm from any phone that clicked it), entered where the
 * follow was asked (intake's follow page), at most NTF_FOLLOW_CODE_TRIES
 * wrong codes per code; asking again sends a new code at most every ten
 * minutes.
 *
 *   POST /v1/follows                      {target, channel, address, secret?}
 *   GET  /v1/follows/:id?token=T          the follow's state
 *   GET|POST /v1/follows/:id/confirm?token=T
 *   POST /v1/follows/:id/confirm          {code} (sms follows)
 *   GET|POST /v1/follows/:id/unsubscribe?token=T
 */
#ifndef NTF_FOLLOW_H
#define NTF_FOLLOW_H

#include "qf_http.h"

struct ntf_conf;

#define NTF_FOLLOW_CODE_TRIES 5

void ntf_follow_create(struct qf_http_req *r, void *ctx);
void ntf_follow_show(struct qf_http_req *r, void *ctx);
void ntf_follow_confirm(struct qf_http_req *r, void *ctx);
void ntf_follow_unsubscribe(struct qf_http_req *r, void *ctx);

#endif
