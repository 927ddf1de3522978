/* ntf_channel.c: request bytes and answer verdicts per channel
 * (ntf_channel.h).
 *
 * The bytes of each format are its module's (ntf_format.h); this file
 * holds what every format shares. The one place where a petitioner's
 * contact is opened is ntf_request_build, which wipes the opened copy
 * before it returns (the request itself is wiped by the sender after the
 * transfer), and hands the format module only the opened destination. */
#include "ntf_channel.h"
#include "ntf_format.h"
#include "ntf_util.h"
#include "qf_err.h"
#include "qf_id.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

static const char *const s_outcomes[] = {"delivered", "transient", "permanent", "skipped",
					 "cancelled"};

const char *ntf_outcome_name(int o)
{
	return o >= 0 && o <= NTF_OUT_CANCEL ? s_outcomes[o] : "?";
}

void ntf_job_free(struct ntf_job *j)
{
	if (!j)
		return;
	free(j->url);
	free(j->subject);
	free(j->text);
	free(j->markdown);
	free(j->event);
	free(j->event_id);
	free(j->case_id);
	free(j->tracking_code);
	free(j->rule);
	free(j->rk);
	free(j->rid);
	if (j->to_addr)
		sodium_memzero(j->to_addr, strlen(j->to_addr));
	free(j->to_addr);
	for (unsigned i = 0; i < j->nmentions; i++)
		free(j->mentions[i]);
	free(j->mentions);
	free(j->sealed);
	free(j->sealed_secret);
	free(j->unsubscribe);
	free(j->masked);
	free(j);
}

void ntf_request_wipe(struct ntf_request *r)
{
	if (r->url)
		sodium_memzero(r->url, strlen(r->url));
	free(r->url);
	for (unsigned i = 0; i < r->nheaders; i++) {
		sodium_memzero(r->headers[i], strlen(r->headers[i]));
		free(r->headers[i]);
	}
	free(r->headers);
	if (r->body)
		sodium_memzero(r->body, r->body_len);
	free(r->body);
	if (r->mail_from)
		free(r->mail_from);
	if (r->rcpt) {
		sodium_memzero(r->rcpt, strlen(r->rcpt));
		free(r->rcpt);
	}
	memset(r, 0, sizeof *r);
}

int ntf_request_build(const struct ntf_job *j, const struct ntf_keys *keys,
		      int64_t now_ms, struct ntf_request *r, char *err, size_t n)
{
	memset(r, 0, sizeof *r);
	const struct ntf_channel_conf *ch = j->ch;
	struct ntf_contact ct = {0};
	char *faddr = NULL, *fsecret = NULL;
	const char *addr = j->to_addr; /* staff */
	const char *url = j->url ? j->url : ch->url;
	const char *secret = ch->secret;
	int rc = NTF_OUT_OK;
	err[0] = '\0';
	const struct ntf_format *fm = ntf_format_of(j->fmt);
	if (!fm) {
		snprintf(err, n, "unknown format");
		return NTF_OUT_PERMANENT;
	}
	/* a petitioner on a hook is named by pseudonym: nothing to open */
	int pet_contact = j->to == NTF_TO_PETITIONER && fm->addr != NTF_ADDR_URL;
	if (pet_contact || j->to == NTF_TO_FOLLOWER) {
		if (!ntf_keys_ready(keys)) {
			snprintf(err, n,
				 "contact_key_missing: the notifier's secret key is not "
				 "loaded yet");
			return NTF_OUT_TRANSIENT;
		}
	}
	if (pet_contact) {
		if (!j->sealed) {
			snprintf(err, n,
				 "contact_pending: the petition has not arrived yet");
			return NTF_OUT_TRANSIENT;
		}
		int x = ntf_contact_open(keys, j->sealed, j->sealed_len, &ct);
		if (x == QF_ERR_NOMEM)
			return QF_ERR_NOMEM;
		if (x) {
			snprintf(err, n, "contact_unreadable: %s",
				 x == QF_ERR_CRYPTO ? "not sealed to this notifier's key"
						    : "not the expected JSON");
			return NTF_OUT_PERMANENT;
		}
		int email = fm->addr == NTF_ADDR_EMAIL;
		addr = email ? ct.email : ct.phone;
		if (!addr || (email && !ntf_email_valid(addr))) {
			ntf_contact_wipe(&ct);
			snprintf(err, n, "no_address: the petitioner left no %s",
				 email ? "e-mail address" : "phone number");
			return NTF_OUT_SKIP;
		}
		if (email)
			ntf_mask_email(addr, r->masked, sizeof r->masked);
		else
			ntf_mask_phone(addr, r->masked, sizeof r->masked);
	} else if (j->to == NTF_TO_FOLLOWER) {
		int x = ntf_keys_open(keys, j->sealed, j->sealed_len, &faddr);
		if (x == QF_ERR_NOMEM)
			return x;
		if (x) {
			snprintf(err, n,
				 "follow_unreadable: address not sealed to this key");
			return NTF_OUT_PERMANENT;
		}
		if (j->sealed_secret &&
		    (x = ntf_keys_open(keys, j->sealed_secret, j->sealed_secret_len,
				       &fsecret))) {
			sodium_memzero(faddr, strlen(faddr));
			free(faddr);
			snprintf(err, n,
				 "follow_unreadable: secret not sealed to this key");
			return x == QF_ERR_NOMEM ? x : NTF_OUT_PERMANENT;
		}
		if (fm->addr != NTF_ADDR_URL) {
			addr = faddr; /* an sms follower: the gateway's own secret */
		} else {
			url = faddr;
			secret = fsecret;
		}
		snprintf(r->masked, sizeof r->masked, "%s",
			 j->masked ? j->masked : "follower");
	} else if (j->to == NTF_TO_STAFF) {
		snprintf(r->masked, sizeof r->masked, "%s", j->rid ? j->rid : "");
	} else {
		snprintf(r->masked, sizeof r->masked, "group:%s", ch->name);
	}

	struct ntf_dest d = {url, secret, addr};
	rc = fm->build(j, &d, now_ms, r, err, n);
	ntf_contact_wipe(&ct);
	if (faddr) {
		sodium_memzero(faddr, strlen(faddr));
		free(faddr);
	}
	if (fsecret) {
		sodium_memzero(fsecret, strlen(fsecret));
		free(fsecret);
	}
	if (rc != NTF_OUT_OK) {
		char keep[96];
		memcpy(keep, r->masked, sizeof keep);
		ntf_request_wipe(r);
		memcpy(r->masked, keep, sizeof keep);
	}
	return rc;
}

/* ------------------------------------------------------------ answers */

int ntf_response_classify(int fmt, int transport_err, const char *transport, long status,
			  const char *body, size_t len, const char *ok_contains,
			  char *err, size_t n)
{
	const struct ntf_format *fm = ntf_format_of(fmt);
	err[0] = '\0';
	if (!fm) {
		snprintf(err, n, "unknown format");
		return NTF_OUT_PERMANENT;
	}
	struct ntf_answer a = {transport_err, transport, status, body, len, ok_contains};
	return fm->verdict(fm, &a, err, n);
}
