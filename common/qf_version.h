/* qf_version.h: the release and event-catalogue version, said once, for
 * --version and the qf_build_info metric. */
#ifndef QF_VERSION_H
#define QF_VERSION_H

#define QF_VERSION "0.1.0"
#define QF_CATALOGUE "v1"

#endif
