/* cmd_audit.c: `qfctl audit`: keys for the audit log, and the verifier
 * residents and the integrity supervisor run against any audit service.
 *
 *   qfctl audit keygen [--name NAME] [--out PREFIX]
 *   qfctl audit verify --url URL --vkey FILE|KEY [--state FILE] [--quick]
 *                      [--no-tiles] [--json]
 *   qfctl audit case   --url URL --vkey FILE|KEY [--json] CASE_ID
 *   qfctl audit receipt --url URL --vkey FILE|KEY [--json] RECEIPT.json
 *
 * --json prints one object: the very lines of the text ("lines"), "ok",
 * "exit", and the facts checked (report.h).
 *
 * verify trusts nothing the server says that it can check: the checkpoint's
 * signature (C2SP signed note), the root (recomputed from every entry, read
 * through the C2SP tlog-tiles layout), the hash tiles (compared with the
 * recomputed nodes), every earlier checkpoint the server lists, the checkpoint
 * saved by the last run (--state: a rewritten history cannot match it), and
 * per (producer, epoch, partition) that seqs run 1, 2, 3... with nothing
 * missing or doubled. Exit 0: all good; 1: a check failed (said why); 2:
 * usage.
 *
 * receipt checks a petitioner's receipt the same way: the checkpoint's
 * signature, the leaf's commitment recomputed from the receipt's nonce and
 * text, the RFC 9162 inclusion proof of that leaf in the signed tree, then
 * shows the text and when it was recorded. The text is never sent: only
 * the leaf's index, event id or case id is.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_merkle.h"
#include "qf_note.h"
#include "http.h"
#include "qf_event.h"
#include "qfctl.h"
#include "receipt.h"
#include "report.h"

#define DEFAULT_NAME "qingfeng.local/audit/v2"
#define MAX_PROBLEMS 20

/* ------------------------------------------------------------ keys */

/* The log's verifier keys: one, or several while a key is rotated (all
 * under the log's origin). */
#define MAX_KEYS 8
struct keys {
	struct qf_note_verifier v[MAX_KEYS];
	size_t n;
};

static int s_load_vkey(const char *arg, struct keys *k)
{
	char line[1024];
	struct stat st;
	if (k->n == MAX_KEYS) {
		fprintf(stderr, "qfctl audit: at most %d --vkey\n", MAX_KEYS);
		return -1;
	}
	struct qf_note_verifier *v = &k->v[k->n];
	if (stat(arg, &st) == 0) {
		if (qf_note_read_key_file(arg, line, sizeof line) ||
		    qf_note_verifier_parse(v, line)) {
			fprintf(stderr, "qfctl audit: %s holds no verifier key\n", arg);
			return -1;
		}
	} else if (qf_note_verifier_parse(v, arg)) {
		fprintf(stderr,
			"qfctl audit: '%s' is neither a file nor a verifier key\n", arg);
		return -1;
	}
	if (k->n && strcmp(v->name, k->v[0].name)) {
		fprintf(stderr, "qfctl audit: the keys name different logs (%s, %s)\n",
			k->v[0].name, v->name);
		return -1;
	}
	k->n++;
	return 0;
}

static int s_write_file(const char *path, const char *text, mode_t mode, int excl)
{
	int fd = open(path, O_WRONLY | O_CREAT | (excl ? O_EXCL : O_TRUNC), mode);
	if (fd < 0) {
		fprintf(stderr, "qfctl audit: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t n = strlen(text);
	int ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
	close(fd);
	return ok ? 0 : -1;
}

static int s_keygen(int argc, char **argv)
{
	const char *name = DEFAULT_NAME, *out = NULL;
	static const struct option longs[] = {
	    {"name", 1, 0, 'n'}, {"out", 1, 0, 'o'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			printf("usage: qfctl audit keygen [--name NAME] [--out PREFIX]\n"
			       "  Makes an Ed25519 checkpoint key pair (C2SP signed-note "
			       "format).\n"
			       "  NAME is the log's origin (default %s).\n"
			       "  --out writes PREFIX.key (0600, for "
			       "checkpoint.key_file) and\n"
			       "  PREFIX.vkey; the verifier key is printed either way.\n",
			       DEFAULT_NAME);
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"usage: qfctl audit keygen [--name NAME] [--out PREFIX]\n");
		return 2;
	}
	struct qf_note_signer s;
	if (qf_note_signer_generate(&s, name)) {
		fprintf(stderr,
			"qfctl audit: '%s' is not a valid key name (no spaces or '+')\n",
			name);
		return 2;
	}
	struct qf_note_verifier v;
	qf_note_signer_verifier(&s, &v);
	char *sk = qf_note_signer_format(&s), *vk = qf_note_verifier_format(&v);
	sodium_memzero(&s, sizeof s);
	int rc = 0;
	if (!sk || !vk) {
		rc = 1;
	} else if (out) {
		char p[4096], text[1024];
		snprintf(p, sizeof p, "%s.key", out);
		snprintf(text, sizeof text, "%s\n", sk);
		if (s_write_file(p, text, 0600, 1))
			rc = 1;
		snprintf(p, sizeof p, "%s.vkey", out);
		snprintf(text, sizeof text, "%s\n", vk);
		if (!rc && s_write_file(p, text, 0644, 1))
			rc = 1;
		sodium_memzero(text, sizeof text);
		if (!rc)
			printf("%s\n", vk);
	} else {
		printf("%s\n%s\n", sk, vk);
	}
	if (sk)
		sodium_memzero(sk, strlen(sk));
	free(sk);
	free(vk);
	return rc;
}

/* ------------------------------------------------------------ checkpoints */

/* Verify a note with v and parse its checkpoint; origin must be v's name. */
static int s_open_ckpt(const char *note, size_t len, const struct keys *k,
		       struct qf_checkpoint *c, const char *what)
{
	size_t tl;
	const struct qf_note_verifier *v = &k->v[0];
	int rc = qf_note_open(note, len, k->v, k->n, &tl);
	if (rc == QF_ERR_CRYPTO) {
		printf("验证失败：%s的签名无效（内容被篡改，或并非该密钥所签）\n", what);
		return -1;
	}
	if (rc == QF_ERR_NOTFOUND) {
		printf("验证失败：%s没有该验证密钥（%s）的签名\n", what, v->name);
		return -1;
	}
	if (rc || qf_checkpoint_parse(note, tl, c)) {
		printf("验证失败：%s格式不正确\n", what);
		return -1;
	}
	if (strcmp(c->origin, v->name)) {
		printf("验证失败：%s属于日志 %s，而验证密钥属于 %s\n", what, c->origin,
		       v->name);
		return -1;
	}
	return 0;
}

static int s_fetch_ckpt(struct qfctl_http *cl, const struct keys *v,
			struct qf_checkpoint *c, char **note, size_t *len)
{
	struct qfctl_buf b;
	long st = qfctl_http_get(cl, "/checkpoint", &b);
	if (st != 200) {
		if (st)
			printf("验证失败：读取 /checkpoint 得到 HTTP %ld\n", st);
		free(b.p);
		return -1;
	}
	if (s_open_ckpt(b.p, b.n, v, c, "服务器的检查点")) {
		free(b.p);
		return -1;
	}
	*note = b.p;
	*len = b.n;
	return 0;
}

/* ------------------------------------------------------------ verify */

struct stream {
	char producer[64];
	uint64_t epoch;
	uint32_t partition;
	uint64_t last;
	uint64_t first_leaf;
};

struct known {
	uint64_t size;
	uint8_t root[32];
	const char *what;
};

struct verify {
	struct qfctl_http *cl;
	int tiles;
	uint64_t n;
	unsigned problems;
	struct stream *streams;
	unsigned nstreams, capstreams;
	/* recomputed nodes of tree levels 0, 8, 16...: one tile per level */
	uint8_t tile[8][256][32];
	unsigned tile_n[8];
	uint64_t tile_index[8];
	uint64_t tiles_checked;
	int tile_failed;
	struct known *known;
	size_t nknown;
};

static void s_problem(struct verify *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void s_problem(struct verify *v, const char *fmt, ...)
{
	if (v->problems++ >= MAX_PROBLEMS)
		return;
	va_list ap;
	va_start(ap, fmt);
	printf("问题：");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

/* Compare one recomputed tile with the server's. */
static void s_check_tile(struct verify *v, unsigned level)
{
	unsigned w = v->tile_n[level];
	struct qf_merkle_tile t = {0, level, v->tile_index[level], w};
	char path[128];
	if (qf_merkle_tile_format(&t, path + 1, sizeof path - 1))
		return;
	path[0] = '/';
	struct qfctl_buf b;
	long st = qfctl_http_get(v->cl, path, &b);
	if (st != 200 || b.n != 32 * (size_t)w ||
	    memcmp(b.p, v->tile[level], 32 * (size_t)w)) {
		if (!v->tile_failed)
			s_problem(v, "哈希瓦片 %s 与由条目重新计算的结果不符%s", path,
				  st == 200 ? "" : "（无法读取）");
		v->tile_failed = 1;
	}
	v->tiles_checked++;
	free(b.p);
	v->tile_n[level] = 0;
}

static void s_on_node(void *arg, unsigned level, uint64_t index, const uint8_t h[32])
{
	struct verify *v = arg;
	if (!v->tiles || level % 8 || level / 8 >= 8)
		return;
	unsigned L = level / 8;
	if (v->tile_n[L] == 0)
		v->tile_index[L] = index >> 8;
	memcpy(v->tile[L][v->tile_n[L]++], h, 32);
	if (v->tile_n[L] == 256)
		s_check_tile(v, L);
}

static void s_stream(struct verify *v, uint64_t leaf, const Qingfeng__V1__Envelope *e)
{
	struct stream *s = NULL;
	for (unsigned i = 0; i < v->nstreams; i++)
		if (v->streams[i].epoch == e->epoch &&
		    v->streams[i].partition == e->partition &&
		    !strcmp(v->streams[i].producer, e->producer)) {
			s = &v->streams[i];
			break;
		}
	if (!s) {
		if (v->nstreams == v->capstreams) {
			unsigned nc = v->capstreams ? v->capstreams * 2 : 64;
			struct stream *ns = realloc(v->streams, nc * sizeof *ns);
			if (!ns)
				return;
			v->streams = ns;
			v->capstreams = nc;
		}
		s = &v->streams[v->nstreams++];
		memset(s, 0, sizeof *s);
		snprintf(s->producer, sizeof s->producer, "%s", e->producer);
		s->epoch = e->epoch;
		s->partition = e->partition;
		s->first_leaf = leaf;
	}
	if (e->seq == s->last + 1) {
		s->last = e->seq;
		return;
	}
	if (e->seq <= s->last)
		s_problem(v, "叶子 %llu：%s（纪元 %016llx）第 %u 分区序号 %llu 重复记录",
			  (unsigned long long)leaf, e->producer,
			  (unsigned long long)e->epoch, e->partition,
			  (unsigned long long)e->seq);
	else
		s_problem(v, "叶子 %llu：%s（纪元 %016llx）第 %u 分区缺少序号 %llu..%llu",
			  (unsigned long long)leaf, e->producer,
			  (unsigned long long)e->epoch, e->partition,
			  (unsigned long long)s->last + 1,
			  (unsigned long long)e->seq - 1);
	if (e->seq > s->last)
		s->last = e->seq;
}

/* One entry: hash it into the tree, check its stream position. */
static void s_entry(struct verify *v, struct qf_merkle_frontier *f, const uint8_t *d,
		    size_t l)
{
	uint64_t leaf = f->size;
	uint8_t h[32];
	qf_merkle_leaf_hash(d, l, h);
	qf_merkle_frontier_push(f, h, s_on_node, v);
	Qingfeng__V1__Envelope *e = qf_bus_decode(d, l);
	if (!e) {
		s_problem(v, "叶子 %llu 不是有效的事件信封", (unsigned long long)leaf);
		return;
	}
	s_stream(v, leaf, e);
	qingfeng__v1__envelope__free_unpacked(e, NULL);
	/* any checkpoint of this size must have this root */
	for (size_t i = 0; i < v->nknown; i++) {
		if (v->known[i].size != f->size)
			continue;
		uint8_t r[32];
		qf_merkle_frontier_root(f, r);
		if (sodium_memcmp(r, v->known[i].root, 32))
			s_problem(
			    v, "大小为 %llu 的%s与重新计算的根哈希不符：此前的历史被改写",
			    (unsigned long long)f->size, v->known[i].what);
	}
}

/* Entries one by one through the JSON leaf API (bundles that cannot hold a
 * leaf over 65535 bytes). */
static int s_entries_json(struct verify *v, struct qf_merkle_frontier *f, uint64_t first,
			  unsigned w)
{
	for (unsigned i = 0; i < w; i++) {
		char path[64];
		long st;
		snprintf(path, sizeof path, "/v1/leaves/%llu",
			 (unsigned long long)(first + i));
		json_t *j = qfctl_http_get_json(v->cl, path, &st);
		const char *b64 = json_string_value(json_object_get(j, "data"));
		size_t cap = b64 ? strlen(b64) : 0, n = 0;
		uint8_t *d = malloc(cap + 1);
		if (st != 200 || !b64 || !d ||
		    qf_b64_decode(b64, strlen(b64), d, cap + 1, &n)) {
			printf("验证失败：无法读取叶子 %llu\n",
			       (unsigned long long)(first + i));
			free(d);
			json_decref(j);
			return -1;
		}
		s_entry(v, f, d, n);
		free(d);
		json_decref(j);
	}
	return 0;
}

static int s_entries(struct verify *v, struct qf_merkle_frontier *f)
{
	for (uint64_t b = 0; b * 256 < v->n; b++) {
		unsigned w = qf_merkle_tile_width(0, b, v->n);
		struct qf_merkle_tile t = {1, 0, b, w};
		char path[128];
		qf_merkle_tile_format(&t, path + 1, sizeof path - 1);
		path[0] = '/';
		struct qfctl_buf bb;
		long st = qfctl_http_get(v->cl, path, &bb);
		if (st == 409) {
			free(bb.p);
			if (s_entries_json(v, f, b * 256, w))
				return -1;
			continue;
		}
		if (st != 200) {
			if (st)
				printf("验证失败：读取 %s 得到 HTTP %ld\n", path, st);
			free(bb.p);
			return -1;
		}
		size_t pos = 0, l;
		const uint8_t *d;
		unsigned got = 0;
		int r;
		while ((r = qf_merkle_bundle_next((const uint8_t *)bb.p, bb.n, &pos, &d,
						  &l)) == 1) {
			if (got++ == w)
				break;
			s_entry(v, f, d, l);
		}
		free(bb.p);
		if (r < 0 || got != w) {
			printf("验证失败：条目包 %s 应有 %u 条，格式不符\n", path, w);
			return -1;
		}
	}
	/* the partial tiles at the right edge */
	for (unsigned L = 0; v->tiles && L < 8; L++)
		if (v->tile_n[L])
			s_check_tile(v, L);
	return 0;
}

/* Every checkpoint the server lists: signed by the key, sizes in order. */
static int s_history(struct verify *v, const struct keys *key)
{
	uint64_t last = 0;
	int any = 0;
	char path[320] = "/v1/checkpoints?limit=1000";
	for (;;) {
		long st;
		json_t *j = qfctl_http_get_json(v->cl, path, &st);
		if (st == 404) { /* a plain tlog-tiles mirror: no history to check */
			json_decref(j);
			printf("注意：服务器未提供历史检查点列表，仅验证最新检查点\n");
			return 0;
		}
		json_t *list = json_object_get(j, "checkpoints");
		if (st != 200 || !json_is_array(list)) {
			printf("验证失败：无法读取历史检查点（HTTP %ld）\n", st);
			json_decref(j);
			return -1;
		}
		size_t i;
		json_t *it;
		json_array_foreach(list, i, it)
		{
			const char *note = json_string_value(json_object_get(it, "note"));
			struct qf_checkpoint c;
			if (!note ||
			    s_open_ckpt(note, strlen(note), key, &c, "历史检查点")) {
				json_decref(j);
				return -1;
			}
			if (any && c.size <= last) {
				printf("验证失败：历史检查点的大小没有递增（%llu 之后是 "
				       "%llu）\n",
				       (unsigned long long)last,
				       (unsigned long long)c.size);
				json_decref(j);
				return -1;
			}
			any = 1;
			last = c.size;
			if (c.size > v->n)
				continue; /* signed after the one we verify */
			struct known *nk =
			    realloc(v->known, (v->nknown + 1) * sizeof *nk);
			if (!nk) {
				json_decref(j);
				return -1;
			}
			v->known = nk;
			nk[v->nknown].size = c.size;
			memcpy(nk[v->nknown].root, c.root, 32);
			nk[v->nknown].what = "历史检查点";
			v->nknown++;
		}
		/* the one pagination convention (docs/API.md): next_cursor; a
		   server of the release before answers only the numeric next */
		const char *cur = json_string_value(json_object_get(j, "next_cursor"));
		json_t *next = json_object_get(j, "next");
		if (cur && strlen(cur) < 256)
			snprintf(path, sizeof path,
				 "/v1/checkpoints?limit=1000&cursor=%s", cur);
		else if (!cur && json_is_integer(next))
			snprintf(path, sizeof path,
				 "/v1/checkpoints?from=%llu&limit=1000",
				 (unsigned long long)json_integer_value(next));
		else {
			json_decref(j);
			return 0;
		}
		json_decref(j);
	}
}

static int s_read_state(const char *path, char **note, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 1;
		fprintf(stderr, "qfctl audit: %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct qfctl_buf b = {0};
	char tmp[4096];
	size_t r;
	while ((r = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (qfctl_buf_add(&b, tmp, r))
			break;
	fclose(f);
	*note = b.p ? b.p : calloc(1, 1);
	*len = b.n;
	return 0;
}

static int s_save_state(const char *path, const char *note)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (s_write_file(tmp, note, 0644, 0))
		return -1;
	if (rename(tmp, path)) {
		fprintf(stderr, "qfctl audit: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* --quick: the server's consistency proof from the saved checkpoint. */
static int s_quick(struct qfctl_http *cl, const struct qf_checkpoint *old,
		   const struct qf_checkpoint *cur)
{
	if (old->size == 0 || old->size == cur->size)
		return 0; /* nothing to prove, or compared already */
	char path[128];
	long st;
	snprintf(path, sizeof path, "/v1/proof/consistency?first=%llu&second=%llu",
		 (unsigned long long)old->size, (unsigned long long)cur->size);
	json_t *j = qfctl_http_get_json(cl, path, &st);
	json_t *pj = json_object_get(j, "proof");
	if (st != 200 || !json_is_array(pj) ||
	    json_array_size(pj) > QF_MERKLE_MAX_PROOF) {
		printf("验证失败：无法取得一致性证明（HTTP %ld）\n", st);
		json_decref(j);
		return -1;
	}
	uint8_t proof[QF_MERKLE_MAX_PROOF][32];
	size_t n = json_array_size(pj);
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(pj, i));
		size_t l;
		if (!s || qf_b64_decode(s, strlen(s), proof[i], 32, &l) || l != 32) {
			printf("验证失败：一致性证明格式不正确\n");
			json_decref(j);
			return -1;
		}
	}
	json_decref(j);
	if (qf_merkle_check_consistency(old->size, cur->size, old->root, cur->root,
					(const uint8_t(*)[32])proof, n)) {
		printf(
		    "验证失败：当前检查点与保存的检查点（大小 %llu）不一致：历史被改写\n",
		    (unsigned long long)old->size);
		return -1;
	}
	return 0;
}

static void s_verify_usage(FILE *f)
{
	fprintf(f,
		"usage: qfctl audit verify --url URL --vkey FILE|KEY [--state FILE]\n"
		"                          [--quick] [--no-tiles] [--json]\n"
		"  --url URL      the audit service or a mirror of its tiles\n"
		"  --vkey         the log's verifier key (file or text); repeat it to\n"
		"                 accept the keys of a rotation\n"
		"  --state FILE   the checkpoint saved by the last run: the log must\n"
		"                 extend it; updated when everything verifies\n"
		"  --quick        check the signature and the consistency proof from\n"
		"                 the saved checkpoint only (no entries)\n"
		"  --no-tiles     do not compare the hash tiles with the entries\n"
		"  --json         one JSON object: the lines below, ok, and the facts\n");
}

/* {"origin", "size"} of a checkpoint. */
static json_t *s_ckpt_fact(const struct qf_checkpoint *c)
{
	return json_pack("{s:s, s:I}", "origin", c->origin, "size", (json_int_t)c->size);
}

static int s_verify(int argc, char **argv, struct qfctl_report *rep)
{
	const char *url = NULL, *vkey = NULL, *state = NULL;
	int quick = 0, tiles = 1;
	struct keys key = {.n = 0};
	static const struct option longs[] = {
	    {"url", 1, 0, 'u'},	  {"vkey", 1, 0, 'k'},	   {"state", 1, 0, 's'},
	    {"quick", 0, 0, 'q'}, {"no-tiles", 0, 0, 't'}, {"help", 0, 0, 'h'},
	    {0, 0, 0, 0}};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'k':
			if (s_load_vkey(optarg, &key))
				return 2;
			vkey = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 'q':
			quick = 1;
			break;
		case 't':
			tiles = 0;
			break;
		case 'h':
			s_verify_usage(stdout);
			return 0;
		default:
			s_verify_usage(stderr);
			return 2;
		}
	}
	if (!url || !vkey || optind < argc) {
		s_verify_usage(stderr);
		return 2;
	}
	if (quick && !state) {
		fprintf(stderr, "qfctl audit verify: --quick needs --state\n");
		return 2;
	}
	struct qfctl_http cl;
	if (qfctl_http_open(&cl, url, "qfctl audit"))
		return 2;
	int rc = 1;
	char *note = NULL, *saved = NULL;
	size_t nlen, slen;
	struct verify v = {.cl = &cl, .tiles = tiles};
	struct qf_checkpoint cur, old;
	int have_old = 0;
	if (s_fetch_ckpt(&cl, &key, &cur, &note, &nlen))
		goto out;
	printf("检查点：%s，大小 %llu，签名有效\n", cur.origin,
	       (unsigned long long)cur.size);
	qfctl_fact(rep, "checkpoint", s_ckpt_fact(&cur));
	if (state) {
		int r = s_read_state(state, &saved, &slen);
		if (r < 0)
			goto out;
		if (r == 0) {
			if (s_open_ckpt(saved, slen, &key, &old, "保存的检查点"))
				goto out;
			have_old = 1;
			if (old.size > cur.size) {
				printf("验证失败：日志变小了（保存时大小 %llu，现在 "
				       "%llu）：历史被回退或改写\n",
				       (unsigned long long)old.size,
				       (unsigned long long)cur.size);
				goto out;
			}
			if (old.size == cur.size &&
			    sodium_memcmp(old.root, cur.root, 32)) {
				printf("验证失败：同样大小 %llu "
				       "的两个检查点根哈希不同：日志出现分叉\n",
				       (unsigned long long)cur.size);
				goto out;
			}
		}
	}
	if (quick) {
		if (have_old && s_quick(&cl, &old, &cur))
			goto out;
		qfctl_fact(rep, "quick", json_true());
		qfctl_fact(rep, "saved_checkpoint",
			   have_old ? s_ckpt_fact(&old) : json_null());
		printf("验证通过（快速）：检查点签名有效%s\n",
		       have_old ? "，且与保存的检查点一致"
				: "（没有保存的检查点可比较）");
		rc = 0;
		goto save;
	}
	v.n = cur.size;
	if (have_old) {
		v.known = malloc(sizeof *v.known);
		if (!v.known)
			goto out;
		v.known[0].size = old.size;
		memcpy(v.known[0].root, old.root, 32);
		v.known[0].what = "保存的检查点";
		v.nknown = 1;
	}
	if (s_history(&v, &key))
		goto out;
	struct qf_merkle_frontier f;
	qf_merkle_frontier_init(&f);
	if (s_entries(&v, &f))
		goto out;
	uint8_t root[32];
	qf_merkle_frontier_root(&f, root);
	if (sodium_memcmp(root, cur.root, 32))
		s_problem(&v,
			  "由 %llu 个条目重新计算的根哈希与签名检查点不符：条目被篡改",
			  (unsigned long long)v.n);
	qfctl_fact(rep, "problems", json_integer(v.problems));
	if (v.problems) {
		if (v.problems > MAX_PROBLEMS)
			printf("……共 %u 个问题\n", v.problems);
		printf("验证失败：发现 %u 个问题\n", v.problems);
		goto out;
	}
	uint64_t events = 0;
	unsigned producers = 0;
	for (unsigned i = 0; i < v.nstreams; i++) {
		events += v.streams[i].last;
		int seen = 0;
		for (unsigned k = 0; k < i; k++)
			if (!strcmp(v.streams[k].producer, v.streams[i].producer))
				seen = 1;
		producers += !seen;
	}
	char hex[65];
	printf("根哈希：%s（由全部条目重新计算，与签名一致）\n", qf_hex(root, 32, hex));
	qfctl_fact(rep, "root", json_string(hex));
	qfctl_fact(rep, "tiles_checked",
		   tiles ? json_integer((json_int_t)v.tiles_checked) : json_null());
	qfctl_fact(rep, "producers", json_integer(producers));
	qfctl_fact(rep, "streams", json_integer(v.nstreams));
	qfctl_fact(rep, "events", json_integer((json_int_t)events));
	qfctl_fact(rep, "history_checkpoints", json_integer((json_int_t)v.nknown));
	if (tiles)
		printf("哈希瓦片：%llu 个，与条目一致\n",
		       (unsigned long long)v.tiles_checked);
	printf("事件流：%u 个生产者，%u 个分区流，共 %llu 个事件，序号完整无缺无重复\n",
	       producers, v.nstreams, (unsigned long long)events);
	if (v.nknown)
		printf("历史检查点：%zu 个，均与重新计算的结果一致\n", v.nknown);
	printf("验证通过\n");
	rc = 0;
save:
	if (state && rc == 0 && s_save_state(state, note))
		rc = 1;
out:
	free(note);
	free(saved);
	free(v.streams);
	free(v.known);
	qfctl_http_close(&cl);
	return rc;
}

/* ------------------------------------------------------------ case */

static int s_case(int argc, char **argv, struct qfctl_report *rep)
{
	const char *url = NULL, *vkey = NULL;
	struct keys key = {.n = 0};
	static const struct option longs[] = {
	    {"url", 1, 0, 'u'}, {"vkey", 1, 0, 'k'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'k':
			if (s_load_vkey(optarg, &key))
				return 2;
			vkey = optarg;
			break;
		case 'h':
			printf(
			    "usage: qfctl audit case --url URL --vkey FILE|KEY [--json] "
			    "CASE_ID\n"
			    "  Shows a case's history from the audit log and proves "
			    "each\n"
			    "  entry is in the signed log (inclusion proofs). --json: "
			    "one\n"
			    "  object with the lines, ok, and the entries.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!url || !vkey || optind != argc - 1) {
		fprintf(stderr,
			"usage: qfctl audit case --url URL --vkey FILE|KEY CASE_ID\n");
		return 2;
	}
	const char *case_id = argv[optind];
	for (const char *p = case_id; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')) {
			fprintf(stderr, "qfctl audit case: '%s' is not a case id\n",
				case_id);
			return 2;
		}
	struct qfctl_http cl;
	if (qfctl_http_open(&cl, url, "qfctl audit"))
		return 2;
	int rc = 1;
	char *note = NULL;
	size_t nlen;
	json_t *j = NULL;
	struct qf_checkpoint cur;
	if (s_fetch_ckpt(&cl, &key, &cur, &note, &nlen))
		goto out;
	char path[512];
	long st;
	snprintf(path, sizeof path, "/v1/cases/%s/history?proof=1&size=%llu", case_id,
		 (unsigned long long)cur.size);
	j = qfctl_http_get_json(&cl, path, &st);
	json_t *leaves = json_object_get(j, "leaves");
	if (st == 404) {
		printf("审计日志中没有案件 %s\n", case_id);
		goto out;
	}
	if (st != 200 || !json_is_array(leaves)) {
		printf("验证失败：无法读取案件历史（HTTP %ld）\n", st);
		goto out;
	}
	size_t i, proven = 0, pending = 0;
	json_t *it, *entries = json_array();
	printf("案件 %s（检查点大小 %llu）\n", case_id, (unsigned long long)cur.size);
	qfctl_fact(rep, "case_id", json_string(case_id));
	qfctl_fact(rep, "checkpoint", s_ckpt_fact(&cur));
	qfctl_fact(rep, "entries", entries);
	json_array_foreach(leaves, i, it)
	{
		uint64_t idx = (uint64_t)json_integer_value(json_object_get(it, "index"));
		const char *b64 = json_string_value(json_object_get(it, "data"));
		const char *sum = json_string_value(json_object_get(it, "summary"));
		json_int_t t = json_integer_value(json_object_get(it, "time_ms"));
		char when[32];
		qf_time_fmt(t, 480, when, sizeof when);
		size_t cap = b64 ? strlen(b64) : 0, n = 0;
		uint8_t *d = malloc(cap + 1);
		if (!b64 || !d || qf_b64_decode(b64, strlen(b64), d, cap + 1, &n)) {
			printf("验证失败：叶子 %llu 缺少数据\n", (unsigned long long)idx);
			free(d);
			goto out;
		}
		Qingfeng__V1__Envelope *e = qf_bus_decode(d, n);
		int mine = e && e->case_id && !strcmp(e->case_id, case_id);
		if (e)
			qingfeng__v1__envelope__free_unpacked(e, NULL);
		if (!mine) {
			printf("验证失败：叶子 %llu 不属于案件 %s\n",
			       (unsigned long long)idx, case_id);
			free(d);
			goto out;
		}
		uint8_t lh[32], proof[QF_MERKLE_MAX_PROOF][32];
		qf_merkle_leaf_hash(d, n, lh);
		free(d);
		json_t *pj = json_object_get(it, "proof");
		const char *mark = "（尚未进入已签名检查点）";
		if (idx < cur.size) {
			size_t np = json_array_size(pj);
			int ok = json_is_array(pj) && np <= QF_MERKLE_MAX_PROOF;
			for (size_t k = 0; ok && k < np; k++) {
				const char *s = json_string_value(json_array_get(pj, k));
				size_t l;
				ok = s &&
				     !qf_b64_decode(s, strlen(s), proof[k], 32, &l) &&
				     l == 32;
			}
			if (!ok || qf_merkle_check_inclusion(idx, cur.size, lh,
							     (const uint8_t(*)[32])proof,
							     np, cur.root)) {
				printf("验证失败：叶子 %llu 的包含证明无效\n",
				       (unsigned long long)idx);
				goto out;
			}
			mark = "✓";
			proven++;
		} else {
			pending++;
		}
		printf("  #%-8llu %s  %s %s\n", (unsigned long long)idx, when,
		       sum ? sum : "", mark);
		if (rep && rep->facts)
			json_array_append_new(
			    entries, json_pack("{s:I, s:s, s:s, s:b}", "index",
					       (json_int_t)idx, "time", when, "summary",
					       sum ? sum : "", "proven", idx < cur.size));
	}
	printf("验证通过：%zu 条记录已证明包含在签名日志中%s\n", proven,
	       pending ? "，其余尚待下一个检查点" : "");
	qfctl_fact(rep, "proven", json_integer((json_int_t)proven));
	qfctl_fact(rep, "pending", json_integer((json_int_t)pending));
	rc = 0;
out:
	json_decref(j);
	free(note);
	qfctl_http_close(&cl);
	return rc;
}

/* ------------------------------------------------------------ receipt */

static void s_receipt_usage(FILE *f)
{
	fprintf(f, "usage: qfctl audit receipt --url URL --vkey FILE|KEY [--json] "
		   "RECEIPT.json\n"
		   "  Checks a petitioner's receipt against the signed log: the text\n"
		   "  and nonce give the leaf's commitment, the leaf is in the signed\n"
		   "  tree. RECEIPT.json may be - (standard input). The text is never\n"
		   "  sent to the server. Exit 0: it checks; 1: it does not (why is\n"
		   "  printed); 2: usage. --json: one object with the lines, ok,\n"
		   "  and the record found.\n");
}

static char *s_slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		fprintf(stderr, "qfctl audit receipt: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	struct qfctl_buf b = {0};
	char tmp[8192];
	size_t r;
	while ((r = fread(tmp, 1, sizeof tmp, f)) > 0 && b.n <= QFCTL_RECEIPT_MAX)
		if (qfctl_buf_add(&b, tmp, r))
			break;
	if (f != stdin)
		fclose(f);
	*len = b.n;
	return b.p ? b.p : calloc(1, 1);
}

/* Decode a base64 "data" field of a leaf answer: malloc'd bytes or NULL. */
static uint8_t *s_leaf_data(json_t *j, size_t *n)
{
	const char *b64 = json_string_value(json_object_get(j, "data"));
	size_t cap = b64 ? strlen(b64) : 0;
	uint8_t *d = b64 ? malloc(cap + 1) : NULL;
	if (d && qf_b64_decode(b64, cap, d, cap + 1, n)) {
		free(d);
		d = NULL;
	}
	return d;
}

/* The leaf of the receipt: given, by event id, or the case's leaf whose
 * commitment is the receipt's. 0 with *idx, or -1 (reason printed). */
static int s_receipt_leaf(struct qfctl_http *cl, const struct qfctl_receipt *r,
			  const uint8_t c[32], uint64_t *idx)
{
	char path[512];
	long st;
	if (r->has_leaf) {
		*idx = r->leaf_index;
		return 0;
	}
	if (r->event_id_len) {
		char hex[129];
		snprintf(path, sizeof path, "/v1/events/%s",
			 qf_hex(r->event_id, r->event_id_len, hex));
		json_t *j = qfctl_http_get_json(cl, path, &st);
		json_t *li = json_object_get(j, "leaf_index");
		int ok = st == 200 && json_is_integer(li) && json_integer_value(li) >= 0;
		if (ok)
			*idx = (uint64_t)json_integer_value(li);
		else if (st == 404)
			printf(
			    "核对未通过：审计日志中没有这条回执对应的记录（事件 %s）\n",
			    hex);
		else if (st)
			printf("核对未通过：无法查找回执对应的记录（HTTP %ld）\n", st);
		json_decref(j);
		return ok ? 0 : -1;
	}
	snprintf(path, sizeof path, "/v1/cases/%s/history", r->case_id);
	json_t *j = qfctl_http_get_json(cl, path, &st);
	json_t *leaves = json_object_get(j, "leaves");
	if (st != 200 || !json_is_array(leaves)) {
		if (st == 404)
			printf("核对未通过：审计日志中没有案件 %s\n", r->case_id);
		else if (st)
			printf("核对未通过：无法读取案件历史（HTTP %ld）\n", st);
		json_decref(j);
		return -1;
	}
	char want[65];
	qf_hex(c, 32, want);
	size_t i;
	json_t *it;
	int found = 0;
	json_array_foreach(leaves, i, it)
	{
		const char *pc =
		    json_string_value(json_object_get(it, "private_commitment"));
		json_t *ix = json_object_get(it, "index");
		if (!found && pc && !strcmp(pc, want) && json_is_integer(ix)) {
			*idx = (uint64_t)json_integer_value(ix);
			found = 1;
		}
	}
	json_decref(j);
	if (!found)
		printf("核对未通过：案件 %s 的记录中没有与回执内容一致的一条："
		       "回执的文字或随机数被改动，或记录被改动\n",
		       r->case_id);
	return found ? 0 : -1;
}

/* The words of a whole payload: its "text", "description" or "comment". */
static void s_receipt_words(int type, const uint8_t *p, size_t n, char **words,
			    int64_t *ms)
{
	*words = NULL;
	*ms = 0;
	const ProtobufCMessageDescriptor *d = qf_event_payload_descriptor(type);
	ProtobufCMessage *m = d ? protobuf_c_message_unpack(d, NULL, n, p) : NULL;
	if (!m)
		return;
	json_t *j = qf_message_json(m);
	static const char *const keys[] = {"text", "description", "comment"};
	for (size_t k = 0; k < 3 && !*words; k++) {
		const char *s = json_string_value(json_object_get(j, keys[k]));
		if (s && s[0])
			*words = strdup(s);
	}
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v)
	{
		size_t kl = strlen(key);
		if (!*ms && kl > 3 && !strcmp(key + kl - 3, "_ms") && json_is_integer(v))
			*ms = json_integer_value(v);
	}
	json_decref(j);
	protobuf_c_message_free_unpacked(m, NULL);
}

static int s_receipt(int argc, char **argv, struct qfctl_report *rep)
{
	const char *url = NULL;
	struct keys key = {.n = 0};
	static const struct option longs[] = {
	    {"url", 1, 0, 'u'}, {"vkey", 1, 0, 'k'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'k':
			if (s_load_vkey(optarg, &key))
				return 2;
			break;
		case 'h':
			s_receipt_usage(stdout);
			return 0;
		default:
			s_receipt_usage(stderr);
			return 2;
		}
	}
	if (!url || !key.n || optind != argc - 1) {
		s_receipt_usage(stderr);
		return 2;
	}
	size_t tlen;
	char *text = s_slurp(argv[optind], &tlen);
	if (!text)
		return 2;
	struct qfctl_receipt r;
	char err[256];
	int prc = qfctl_receipt_parse(text, tlen, &r, err, sizeof err);
	sodium_memzero(text, tlen);
	free(text);
	if (prc) {
		printf("核对未通过：%s\n", err);
		return 1;
	}
	struct qfctl_http cl;
	if (qfctl_http_open(&cl, url, "qfctl audit receipt")) {
		qfctl_receipt_free(&r);
		return 2;
	}
	int rc = 1;
	char *note = NULL, *words = NULL;
	size_t nlen;
	json_t *lj = NULL, *pj = NULL;
	uint8_t *data = NULL;
	Qingfeng__V1__Envelope *env = NULL;
	struct qf_checkpoint cur;
	if (s_fetch_ckpt(&cl, &key, &cur, &note, &nlen))
		goto out;
	printf("检查点：%s，大小 %llu，签名有效\n", cur.origin,
	       (unsigned long long)cur.size);
	qfctl_fact(rep, "checkpoint", s_ckpt_fact(&cur));
	/* the commitment the leaf must carry: recomputed from the opening, or
	   the receipt's own (an opening deleted by retention) */
	uint8_t c[32] = {0};
	if (r.has_opening)
		qf_bus_commitment(r.nonce, r.priv, r.priv_len, c);
	if (r.has_commitment && r.has_opening && sodium_memcmp(c, r.commitment, 32)) {
		printf("核对未通过：回执中的承诺值与它的内容和随机数不符：回执被改动\n");
		goto out;
	}
	if (!r.has_opening && r.has_commitment)
		memcpy(c, r.commitment, 32);
	int want_c = r.has_opening || r.has_commitment;
	uint64_t idx;
	if (s_receipt_leaf(&cl, &r, c, &idx))
		goto out;
	char path[256];
	long st;
	snprintf(path, sizeof path, "/v1/leaves/%llu", (unsigned long long)idx);
	lj = qfctl_http_get_json(&cl, path, &st);
	size_t dn = 0;
	if (st != 200 || !(data = s_leaf_data(lj, &dn)) ||
	    !(env = qf_bus_decode(data, dn))) {
		if (st == 404)
			printf("核对未通过：审计日志中没有第 %llu 条记录\n",
			       (unsigned long long)idx);
		else
			printf("核对未通过：无法读取第 %llu 条记录（HTTP %ld）\n",
			       (unsigned long long)idx, st);
		goto out;
	}
	if (want_c && (env->private_commitment.len != 32 ||
		       sodium_memcmp(env->private_commitment.data, c, 32))) {
		printf("核对未通过：第 %llu 条记录保存的承诺值与回执的内容不符："
		       "回执的文字或随机数被改动，或这不是回执对应的记录\n",
		       (unsigned long long)idx);
		goto out;
	}
	const char *tn = qf_event_type_name(r.type);
	if ((int)env->type != r.type ||
	    (r.case_id[0] && strcmp(env->case_id, r.case_id)) ||
	    (r.producer[0] && strcmp(env->producer, r.producer)) ||
	    (r.event_id_len &&
	     (env->event_id.len != r.event_id_len ||
	      memcmp(env->event_id.data, r.event_id, r.event_id_len)))) {
		printf(
		    "核对未通过：第 %llu 条记录的类型、案件、来源或事件编号与回执不符\n",
		    (unsigned long long)idx);
		goto out;
	}
	qfctl_fact(rep, "record",
		   json_pack("{s:I, s:s, s:s, s:s, s:b}", "index", (json_int_t)idx,
			     "producer", env->producer, "type", tn ? tn : "?", "case_id",
			     env->case_id, "opening", r.has_opening));
	printf("记录：第 %llu 条（%s，%s%s%s），%s\n", (unsigned long long)idx,
	       env->producer, tn ? tn : "?", env->case_id[0] ? "，案件 " : "",
	       env->case_id,
	       r.has_opening ? "承诺值与回执的内容和随机数一致"
	       : env->private_commitment.len ? "承诺值与回执一致（回执不含原文）"
					     : "该事件全部公开，记录即其全部内容");
	if (idx >= cur.size) {
		printf("核对未通过：这条记录尚未进入已签名的检查点（大小 %llu），"
		       "请稍后再核对\n",
		       (unsigned long long)cur.size);
		goto out;
	}
	snprintf(path, sizeof path, "/v1/proof/inclusion?index=%llu&size=%llu",
		 (unsigned long long)idx, (unsigned long long)cur.size);
	pj = qfctl_http_get_json(&cl, path, &st);
	json_t *proof = json_object_get(pj, "proof");
	size_t np = json_array_size(proof);
	uint8_t pr[QF_MERKLE_MAX_PROOF][32], lh[32];
	int ok = st == 200 && json_is_array(proof) && np <= QF_MERKLE_MAX_PROOF;
	for (size_t k = 0; ok && k < np; k++) {
		const char *s = json_string_value(json_array_get(proof, k));
		size_t l;
		ok = s && !qf_b64_decode(s, strlen(s), pr[k], 32, &l) && l == 32;
	}
	qf_merkle_leaf_hash(data, dn, lh);
	if (!ok || qf_merkle_check_inclusion(idx, cur.size, lh, (const uint8_t(*)[32])pr,
					     np, cur.root)) {
		printf("核对未通过：第 %llu 条记录的包含证明无效：它不在签名的日志中\n",
		       (unsigned long long)idx);
		goto out;
	}
	printf("包含证明：有效（检查点大小 %llu）\n", (unsigned long long)cur.size);
	int64_t ms;
	if (r.has_opening) /* the words: the whole payload, or the public one */
		s_receipt_words(r.type, r.priv, r.priv_len, &words, &ms);
	else if (!env->private_commitment.len)
		s_receipt_words(r.type, env->payload.data, env->payload.len, &words, &ms);
	else
		ms = 0;
	char when[32];
	qf_time_fmt(ms ? ms : env->time_ms, 480, when, sizeof when);
	printf("记录时间：%s\n", when);
	qfctl_fact(rep, "recorded_at", json_string(when));
	qfctl_fact(rep, "text",
		   (r.has_opening || !env->private_commitment.len) && words
		       ? json_string(words)
		       : json_null());
	if (r.has_opening || !env->private_commitment.len)
		printf("记录的原文：%s\n", words ? words : "（该类记录没有文字）");
	else
		printf("记录的原文：回执不含原文（保存期满已删除，或未提供），"
		       "只核对了这条记录本身\n");
	printf("核对通过：%s在上述时间被记入审计日志，此后未被改动\n",
	       r.has_opening ? "这段内容" : "这条记录");
	rc = 0;
out:
	if (words)
		sodium_memzero(words, strlen(words));
	free(words);
	if (env)
		qingfeng__v1__envelope__free_unpacked(env, NULL);
	free(data);
	json_decref(lj);
	json_decref(pj);
	free(note);
	if (r.priv)
		sodium_memzero(r.priv, r.priv_len);
	qfctl_receipt_free(&r);
	qfctl_http_close(&cl);
	return rc;
}

/* ------------------------------------------------------------ dispatch */

int qfctl_audit(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(
		    argc < 2 ? stderr : stdout,
		    "usage: qfctl audit COMMAND ...\n"
		    "  keygen [--name NAME] [--out PREFIX]   checkpoint signing key "
		    "pair\n"
		    "  verify --url URL --vkey KEY [--state FILE] [--quick] "
		    "[--no-tiles]\n"
		    "         [--json]\n"
		    "                                        verify the whole log\n"
		    "  case --url URL --vkey KEY CASE_ID     a case's history, proven\n"
		    "  receipt --url URL --vkey KEY FILE     check a petitioner's "
		    "receipt\n"
		    "  verify, case and receipt take --json: one object with the\n"
		    "  lines of the text, ok, and the facts checked\n");
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "keygen"))
		return s_keygen(argc - 1, argv + 1);
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv, struct qfctl_report *rep);
	} reporting[] = {{"verify", s_verify}, {"case", s_case}, {"receipt", s_receipt}};
	for (size_t i = 0; i < sizeof reporting / sizeof reporting[0]; i++) {
		if (strcmp(argv[1], reporting[i].name))
			continue;
		int sub_argc = argc - 1;
		char **sub_argv = argv + 1;
		struct qfctl_report rep = {.facts = NULL};
		if (qfctl_report_flag(&sub_argc, sub_argv) && qfctl_report_begin(&rep))
			return 1;
		return qfctl_report_end(&rep, reporting[i].fn(sub_argc, sub_argv, &rep));
	}
	fprintf(stderr, "qfctl audit: unknown command '%s'\n", argv[1]);
	return 2;
}
