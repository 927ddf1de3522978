/* fuzz_envelope: the backbone's envelope decoder (what every consumer runs on
 * every received message) plus the generic JSON view of the payload; the
 * private part and outbox record parsers; and the public-part filter over
 * the same bytes read as a payload of every catalogue type. */
#include <stdint.h>
#include <stdlib.h>

#include "qf_bus.h"
#include "qf_event.h"
#include "qf_privacy.h"

static void s_parsers(const uint8_t *data, size_t size)
{
	const uint8_t *nonce, *payload, *env, *box;
	size_t plen, el, bl;
	if (qf_bus_private_parse(data, size, &nonce, &payload, &plen) == 0 &&
	    (!nonce || payload + plen > data + size))
		abort();
	if (qf_bus_record_parse(data, size, &env, &el, &box, &bl) == 0 &&
	    (env + el > data + size || (box && box + bl > data + size)))
		abort();
	const ProtobufCMessageDescriptor *d;
	int type;
	for (unsigned i = 0; (d = qf_event_catalogue(i, &type)); i++) {
		uint8_t *pub = NULL;
		size_t pl;
		int differs;
		struct qf_privacy c = {(int)(i & 1), (int)(i & 2) >> 1, NULL};
		if (qf_privacy_public(d, data, size, &c, &pub, &pl, &differs) == 0) {
			/* the public part is never longer than the whole, except
			   where masking rewrote text */
			free(pub);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	s_parsers(data, size);
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
