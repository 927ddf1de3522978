/* notifier_blast: the baseline of the notifier benchmark: the same number
 * of webhook POSTs (same body size, same headers, same 10% of 503 answers
 * retried at once) sent straight from a libcurl multi handle at the same
 * concurrency, with no store, no schedule and no outcome events: what the
 * transport alone costs on this machine.
 *
 *   notifier_blast --url URL --count N [--concurrency C] [--bytes B]
 * Prints "deliveries=N attempts=A seconds=S".
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct x {
	CURL *e;
	struct curl_slist *h;
	unsigned long id;
	unsigned attempt;
};

static size_t s_sink(char *p, size_t sz, size_t nm, void *u)
{
	(void)p;
	(void)u;
	return sz * nm;
}

static double s_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *s_body;

static void s_start(CURLM *m, struct x *x, const char *url)
{
	char hid[80], hat[40];
	curl_slist_free_all(x->h);
	snprintf(hid, sizeof hid, "X-QF-Delivery: blast%026lu", x->id);
	snprintf(hat, sizeof hat, "X-QF-Attempt: %u", x->attempt);
	x->h = curl_slist_append(NULL, "Content-Type: application/json");
	x->h = curl_slist_append(x->h, "Expect:");
	x->h = curl_slist_append(x->h, hid);
	x->h = curl_slist_append(x->h, hat);
	curl_easy_setopt(x->e, CURLOPT_URL, url);
	curl_easy_setopt(x->e, CURLOPT_HTTPHEADER, x->h);
	curl_easy_setopt(x->e, CURLOPT_POSTFIELDS, s_body);
	curl_easy_setopt(x->e, CURLOPT_WRITEFUNCTION, s_sink);
	curl_easy_setopt(x->e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->e, CURLOPT_NOSIGNAL, 1L);
	curl_multi_add_handle(m, x->e);
}

int main(int argc, char **argv)
{
	const char *url = NULL;
	unsigned long count = 0, conc = 64, bytes = 700;
	static const struct option longs[] = {{"url", 1, 0, 'u'},
					      {"count", 1, 0, 'n'},
					      {"concurrency", 1, 0, 'c'},
					      {"bytes", 1, 0, 'b'},
					      {0, 0, 0, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			conc = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			bytes = strtoul(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (!url || !count || !conc) {
		fprintf(stderr,
			"usage: notifier_blast --url URL --count N [--concurrency C]\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	s_body = malloc(bytes + 1);
	memset(s_body, 'x', bytes);
	s_body[0] = '{';
	s_body[bytes - 1] = '}';
	s_body[bytes] = 0;
	CURLM *m = curl_multi_init();
	struct x *xs = calloc(conc, sizeof *xs);
	unsigned long next = 0, done = 0, attempts = 0;
	double t0 = s_now();
	for (unsigned long i = 0; i < conc && next < count; i++) {
		xs[i].e = curl_easy_init();
		xs[i].id = next++;
		xs[i].attempt = 1;
		s_start(m, &xs[i], url);
	}
	while (done < count) {
		int running;
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct x *x;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&x);
			long st = 0;
			curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &st);
			curl_multi_remove_handle(m, x->e);
			attempts++;
			if (msg->data.result == CURLE_OK && st == 200) {
				done++;
				if (next >= count)
					continue;
				x->id = next++;
				x->attempt = 1;
			} else {
				x->attempt++; /* retry at once */
			}
			s_start(m, x, url);
		}
		curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	double secs = s_now() - t0;
	printf("deliveries=%lu attempts=%lu seconds=%.3f\n", done, attempts, secs);
	for (unsigned long i = 0; i < conc; i++) {
		if (xs[i].e)
			curl_easy_cleanup(xs[i].e);
		curl_slist_free_all(xs[i].h);
	}
	free(xs);
	free(s_body);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	return 0;
}
