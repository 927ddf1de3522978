/* fuzz_envelope: the backbone's envelope decoder (what every consumer runs on
 * every received message) plus the generic JSON view of the payload. */
#include <stdint.h>
#include <stdlib.h>

#include "qf_bus.h"
#include "qf_event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Qingfeng__V1__Envelope *e = qf_bus_decode(data, size);
	if (!e)
		return 0;
	/* invariants the decoder promises */
	if (e->schema_version != 1 || e->seq == 0 || !e->producer[0])
		abort();
	json_t *j = qf_event_json(e);
	char *s = json_dumps(j, 0);
	free(s);
	json_decref(j);
	qingfeng__v1__envelope__free_unpacked(e, NULL);
	return 0;
}
