/* qf_zap.c: RFC 27 ZAP handler with a CURVE public-key allow-list. */
#include "qf_zap.h"
#include "qf_err.h"
#include "qf_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define MAX_KEYS 1024

struct qf_zap {
	void *zctx;
	void *rep;
	pthread_t thread;
	atomic_int stop;
	_Atomic uint64_t denied;
	uint8_t keys[MAX_KEYS][32];
	unsigned nkeys;
};

int qf_zap_load(const char *file, uint8_t (*keys)[32], unsigned max, char *err,
		size_t n)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		snprintf(err, n, "%s:0: cannot read allow file: %s", file, strerror(errno));
		return QF_ERR_CONFIG;
	}
	char line[512];
	int count = 0, lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || *p == '\r' || *p == '\0')
			continue;
		/* '#' is a Z85 character: a first word of 40 characters is a key even
		   when it starts with '#'; otherwise '#' starts a comment line */
		size_t l = strcspn(p, " \t\r\n");
		uint8_t k[32];
		char z[41];
		if (l != 40 && *p == '#')
			continue;
		if (l != 40) {
			snprintf(err, n, "%s:%d: expected a 40-character Z85 public key", file,
				 lineno);
			fclose(f);
			return QF_ERR_CONFIG;
		}
		memcpy(z, p, 40);
		z[40] = '\0';
		if (!zmq_z85_decode(k, z)) {
			snprintf(err, n, "%s:%d: not valid Z85", file, lineno);
			fclose(f);
			return QF_ERR_CONFIG;
		}
		if ((unsigned)count >= max) {
			snprintf(err, n, "%s:%d: more than %u keys", file, lineno, max);
			fclose(f);
			return QF_ERR_CONFIG;
		}
		if (keys)
			memcpy(keys[count], k, 32);
		count++;
	}
	fclose(f);
	return count;
}

static int s_allowed(struct qf_zap *z, const uint8_t *key, size_t len)
{
	if (len != 32)
		return 0;
	for (unsigned i = 0; i < z->nkeys; i++)
		if (memcmp(z->keys[i], key, 32) == 0)
			return 1;
	return 0;
}

static void s_handle(struct qf_zap *z)
{
	zmq_msg_t fr[8];
	int nf = 0, more = 1;
	while (more && nf < 8) {
		zmq_msg_init(&fr[nf]);
		if (zmq_msg_recv(&fr[nf], z->rep, 0) < 0) {
			zmq_msg_close(&fr[nf]);
			break;
		}
		more = zmq_msg_more(&fr[nf]);
		nf++;
	}
	while (more) { /* drain unexpected extra frames */
		zmq_msg_t x;
		zmq_msg_init(&x);
		zmq_msg_recv(&x, z->rep, 0);
		more = zmq_msg_more(&x);
		zmq_msg_close(&x);
	}
	/* version, request_id, domain, address, identity, mechanism, creds... */
	const char *status = "400", *text = "denied";
	if (nf >= 7 && zmq_msg_size(&fr[5]) == 5 &&
	    memcmp(zmq_msg_data(&fr[5]), "CURVE", 5) == 0 &&
	    s_allowed(z, zmq_msg_data(&fr[6]), zmq_msg_size(&fr[6]))) {
		status = "200";
		text = "OK";
	} else {
		atomic_fetch_add(&z->denied, 1);
		char addr[64] = "";
		if (nf >= 4)
			snprintf(addr, sizeof addr, "%.*s", (int)zmq_msg_size(&fr[3]),
				 (char *)zmq_msg_data(&fr[3]));
		qf_warn("zap_denied", "peer=%s reason=key_not_in_allow_list",
			addr[0] ? addr : "unknown");
	}
	zmq_send(z->rep, "1.0", 3, ZMQ_SNDMORE);
	if (nf >= 2)
		zmq_send(z->rep, zmq_msg_data(&fr[1]), zmq_msg_size(&fr[1]), ZMQ_SNDMORE);
	else
		zmq_send(z->rep, "", 0, ZMQ_SNDMORE);
	zmq_send(z->rep, status, 3, ZMQ_SNDMORE);
	zmq_send(z->rep, text, strlen(text), ZMQ_SNDMORE);
	zmq_send(z->rep, "", 0, ZMQ_SNDMORE); /* user id */
	zmq_send(z->rep, "", 0, 0);           /* metadata */
	for (int i = 0; i < nf; i++)
		zmq_msg_close(&fr[i]);
}

static void *s_thread(void *arg)
{
	struct qf_zap *z = arg;
	while (!atomic_load(&z->stop)) {
		zmq_pollitem_t it = {z->rep, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&it, 1, 200) > 0 && (it.revents & ZMQ_POLLIN))
			s_handle(z);
	}
	zmq_close(z->rep);
	return NULL;
}

int qf_zap_start(struct qf_zap **out, void *zctx, const char *allow_file,
		 char *err, size_t n)
{
	struct qf_zap *z = calloc(1, sizeof *z);
	if (!z)
		return QF_ERR_NOMEM;
	int k = qf_zap_load(allow_file, z->keys, MAX_KEYS, err, n);
	if (k < 0) {
		free(z);
		return k;
	}
	z->nkeys = (unsigned)k;
	z->zctx = zctx;
	z->rep = zmq_socket(zctx, ZMQ_REP);
	int zero = 0;
	if (!z->rep || zmq_setsockopt(z->rep, ZMQ_LINGER, &zero, sizeof zero) ||
	    zmq_bind(z->rep, "inproc://zeromq.zap.01")) {
		snprintf(err, n, "cannot bind the ZAP handler: %s", zmq_strerror(zmq_errno()));
		if (z->rep)
			zmq_close(z->rep);
		free(z);
		return QF_ERR_BUS;
	}
	if (pthread_create(&z->thread, NULL, s_thread, z)) {
		zmq_close(z->rep);
		free(z);
		return QF_ERR_NOMEM;
	}
	*out = z;
	return QF_OK;
}

void qf_zap_stop(struct qf_zap **zp)
{
	if (!zp || !*zp)
		return;
	struct qf_zap *z = *zp;
	atomic_store(&z->stop, 1);
	pthread_join(z->thread, NULL);
	free(z);
	*zp = NULL;
}

uint64_t qf_zap_denied(struct qf_zap *z)
{
	return z ? atomic_load(&z->denied) : 0;
}
