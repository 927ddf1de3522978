/* qf_err.h: the one error vocabulary of qingfeng.
 *
 * Every function in common/ that can fail returns 0 (QF_OK) or one of the
 * negative codes below; library errors (LMDB, ZeroMQ, libconfig, jansson,
 * libmicrohttpd) are translated into these at the wrapper's edge, once.
 * The X-macro keeps code, name and message together.
 */
#ifndef QF_ERR_H
#define QF_ERR_H

#define QF_ERRORS(X)                                                      \
	X(QF_OK, 0, "success")                                            \
	X(QF_ERR_NOMEM, -1001, "out of memory")                           \
	X(QF_ERR_INVAL, -1002, "invalid argument")                        \
	X(QF_ERR_IO, -1003, "input/output error")                         \
	X(QF_ERR_NOTFOUND, -1004, "not found")                            \
	X(QF_ERR_EXISTS, -1005, "already exists")                         \
	X(QF_ERR_CONFIG, -1006, "configuration error")                    \
	X(QF_ERR_STORE, -1007, "store error")                             \
	X(QF_ERR_MAPFULL, -1008, "store map full")                        \
	X(QF_ERR_BUS, -1009, "message bus error")                         \
	X(QF_ERR_PROTO, -1010, "malformed message")                       \
	X(QF_ERR_TIMEOUT, -1011, "timed out")                             \
	X(QF_ERR_AGAIN, -1012, "try again")                               \
	X(QF_ERR_CONFLICT, -1013, "conflict")                             \
	X(QF_ERR_PERM, -1014, "not permitted")                            \
	X(QF_ERR_TOOBIG, -1015, "too large")                              \
	X(QF_ERR_EPOCH, -1016, "producer has a new incarnation")          \
	X(QF_ERR_GAP, -1017, "sequence gap")                              \
	X(QF_ERR_CRYPTO, -1018, "cryptographic failure")                  \
	X(QF_ERR_HTTP, -1019, "http server error")                        \
	X(QF_ERR_STOPPED, -1020, "stopped")                               \
	X(QF_ERR_TRUNCATED, -1021, "history no longer retained")          \
	X(QF_ERR_GONE, -1022, "deleted after its retention period")

enum qf_err {
#define QF_ERR_ENUM(name, val, msg) name = val,
	QF_ERRORS(QF_ERR_ENUM)
#undef QF_ERR_ENUM
};

/* Return a static English message for an error code (never NULL). */
const char *qf_strerror(int err);
/* Return the symbolic name ("QF_ERR_IO") of an error code (never NULL). */
const char *qf_errname(int err);

#endif
