/* qf_err.c: messages and names for the error vocabulary in qf_err.h. */
#include "qf_err.h"

const char *qf_strerror(int err)
{
	switch (err) {
#define QF_ERR_MSG(name, val, msg) \
	case val:                  \
		return msg;
		QF_ERRORS(QF_ERR_MSG)
#undef QF_ERR_MSG
	}
	return "unknown error";
}

const char *qf_errname(int err)
{
	switch (err) {
#define QF_ERR_NAME(name, val, msg) \
	case val:                   \
		return #name;
		QF_ERRORS(QF_ERR_NAME)
#undef QF_ERR_NAME
	}
	return "QF_ERR_UNKNOWN";
}
