/* fuzz_router_record: the case record decoder on arbitrary bytes (what the
 * router reads back from its store). Damage must be refused, never read past
 * the end; whatever decodes must encode back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rcase.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_case k, k2;
	if (rt_case_decode(&k, data, size) != 0)
		return 0;
	uint8_t buf[RT_CASE_ENC_MAX];
	size_t n = rt_case_encode(&k, buf, sizeof buf);
	if (n != size || memcmp(buf, data, size) != 0)
		abort(); /* decode and encode must be inverse */
	if (rt_case_decode(&k2, buf, n) != 0)
		abort();
	/* the helpers a decoded record meets must hold up too */
	(void)rt_state_name(k.state);
	(void)rt_state_open(k.state);
	(void)rt_case_has_party(&k, k.assignee);
	return 0;
}
