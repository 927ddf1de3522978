/* qf_zap.h: the ZAP handler that makes CURVE an allow-list.
 *
 * CURVE alone admits any client that knows the server's public key; ZeroMQ
 * asks a ZAP handler at inproc://zeromq.zap.01 (RFC 27) about each new
 * connection, if one is bound. This module binds it before any server socket
 * and answers 200 only for client public keys listed in the allow file (Z85,
 * one key per line as its first word; '#' starts a comment line unless the
 * line's first word is a 40-character key, since '#' is a Z85 character).
 * Denials are counted and logged by the caller through qf_zap_denied().
 */
#ifndef QF_ZAP_H
#define QF_ZAP_H

#include <stddef.h>
#include <stdint.h>

struct qf_zap;

/* Load the allow file and start the handler thread on zctx. Returns 0 or
 * QF_ERR_CONFIG / QF_ERR_BUS with a message in err. */
int qf_zap_start(struct qf_zap **out, void *zctx, const char *allow_file,
		 char *err, size_t n);
/* Stop the thread and free; accepts NULL; sets *z = NULL. Call before
 * zmq_ctx_term. */
void qf_zap_stop(struct qf_zap **z);
/* Connections refused so far. */
uint64_t qf_zap_denied(struct qf_zap *z);
/* Parse an allow file into binary keys: returns count (>= 0) or
 * QF_ERR_CONFIG with "file:line: ..." in err. keys may be NULL to count. */
int qf_zap_load(const char *file, uint8_t (*keys)[32], unsigned max, char *err,
		size_t n);

#endif
