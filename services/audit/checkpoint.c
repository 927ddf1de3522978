/* checkpoint.c: the log's signing key and its signed checkpoints (C2SP
 * tlog-checkpoint in a C2SP signed note, Ed25519).
 *
 * Design decision: the log never signs a checkpoint it has not first proved
 * consistent with the previous one. Before signing size n it makes the RFC
 * 9162 consistency proof from the last signed size to n out of the stored
 * tiles and checks it with the verifier's algorithm; a failure (a damaged
 * store) refuses to sign and is logged as an error, never papered over.
 * Checkpoints are kept (audit.ckpts) so that verifiers can check them all.
 */
#include "audit.h"
#include "qf_privacy.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "/v2": leaves of this log are public parts with a commitment to the
 * private part; the log of the previous format (whole events) had the
 * origin without it (docs/OPERATIONS.md, "Migrating the audit log"). */
#define DEV_ORIGIN     "qingfeng.local/audit/v2"
#define OLD_DEV_ORIGIN "qingfeng.local/audit"
#define DEV_KEY	       "checkpoint.key"
#define DEV_VKEY       "checkpoint.vkey"

static int s_write_new(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0)
		return QF_ERR_IO;
	size_t n = strlen(text);
	int ok =
	    write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	close(fd);
	return ok ? QF_OK : QF_ERR_IO;
}

int audit_keys_check(struct audit_conf *c, struct qf_cfg_errors *errs)
{
	int bad = 0;
	if (c->origin[0] && !qf_note_name_valid(c->origin)) {
		qf_cfg_error(errs, NULL, "checkpoint.origin",
			     "'%s' is not a valid key name (no spaces or '+')",
			     c->origin);
		bad = 1;
	}
	if (!c->key_file[0])
		return bad ? QF_ERR_CONFIG : QF_OK;
	char *path = qf_cfg_resolve(c->svc.config_file, c->key_file);
	if (!path)
		return QF_ERR_NOMEM;
	char line[1024];
	struct qf_note_signer s;
	int rc = qf_note_read_key_file(path, line, sizeof line);
	if (rc == QF_ERR_IO) {
		qf_cfg_error(errs, NULL, "checkpoint.key_file", "cannot read '%s': %s",
			     path, strerror(errno));
	} else if (rc || qf_note_signer_parse(&s, line)) {
		qf_cfg_error(
		    errs, NULL, "checkpoint.key_file",
		    "'%s' holds no signer key (PRIVATE+KEY+name+hash+key; make one "
		    "with qfctl audit keygen)",
		    path);
		rc = QF_ERR_CONFIG;
	} else if (c->origin[0] && strcmp(c->origin, s.name)) {
		qf_cfg_error(
		    errs, NULL, "checkpoint.origin",
		    "'%s' differs from the key's name '%s' (a checkpoint is signed "
		    "under the log's origin)",
		    c->origin, s.name);
		rc = QF_ERR_CONFIG;
	}
	sodium_memzero(line, sizeof line);
	sodium_memzero(&s, sizeof s);
	free(path);
	return rc || bad ? QF_ERR_CONFIG : QF_OK;
}

int audit_keys_load(struct audit *a)
{
	struct audit_conf *c = a->conf;
	char line[1024];
	int rc;
	if (c->key_file[0]) {
		char *path = qf_cfg_resolve(c->svc.config_file, c->key_file);
		if (!path)
			return QF_ERR_NOMEM;
		rc = qf_note_read_key_file(path, line, sizeof line);
		if (!rc)
			rc = qf_note_signer_parse(&a->signer, line);
		if (rc)
			qf_error("key_failed", "file=%s error=\"%s\"", path,
				 qf_strerror(rc));
		free(path);
		if (rc)
			goto out;
	} else {
		/* development: a key pair in the data folder, made once */
		const char *origin = c->origin[0] ? c->origin : DEV_ORIGIN;
		char kp[4200], vp[4200];
		snprintf(kp, sizeof kp, "%s/" DEV_KEY, c->svc.data_dir);
		snprintf(vp, sizeof vp, "%s/" DEV_VKEY, c->svc.data_dir);
		rc = qf_note_read_key_file(kp, line, sizeof line);
		if (rc == QF_OK) {
			if ((rc = qf_note_signer_parse(&a->signer, line))) {
				qf_error("key_failed",
					 "file=%s error=\"not a signer key\"", kp);
				goto out;
			}
		} else if (rc == QF_ERR_IO && errno == ENOENT) {
			if ((rc = qf_note_signer_generate(&a->signer, origin)))
				goto out;
			char *sk = qf_note_signer_format(&a->signer);
			struct qf_note_verifier v;
			qf_note_signer_verifier(&a->signer, &v);
			char *vk = qf_note_verifier_format(&v);
			rc = sk && vk ? s_write_new(kp, sk, 0600) : QF_ERR_NOMEM;
			if (!rc)
				rc = s_write_new(vp, vk, 0644);
			if (sk)
				sodium_memzero(sk, strlen(sk));
			free(sk);
			free(vk);
			if (rc) {
				qf_error("key_failed",
					 "file=%s error=\"cannot write: %s\"", kp,
					 strerror(errno));
				goto out;
			}
			qf_warn("dev_key_created",
				"key=%s vkey=%s note=\"development key: "
				"configure checkpoint.key_file for production\"",
				kp, vp);
		} else {
			qf_error("key_failed", "file=%s error=\"%s\"", kp,
				 qf_strerror(rc));
			goto out;
		}
		a->dev_key = 1;
		if (!c->origin[0] && !strcmp(a->signer.name, OLD_DEV_ORIGIN)) {
			qf_error("log_format_old",
				 "dir=%s note=\"this data folder holds an audit log of "
				 "the previous format (whole events in the leaves); it "
				 "cannot be continued: drop it (docs/OPERATIONS.md, "
				 "Migrating the audit log)\"",
				 c->svc.data_dir);
			rc = QF_ERR_CONFIG;
			goto out;
		}
		if (strcmp(a->signer.name, origin)) {
			qf_error("key_failed",
				 "file=%s error=\"key name '%s' differs from "
				 "checkpoint.origin "
				 "'%s'\"",
				 kp, a->signer.name, origin);
			rc = QF_ERR_CONFIG;
			goto out;
		}
	}
	snprintf(a->origin, sizeof a->origin, "%s", a->signer.name);
	qf_note_signer_verifier(&a->signer, &a->verifier);
	a->vkey = qf_note_verifier_format(&a->verifier);
	rc = a->vkey ? QF_OK : QF_ERR_NOMEM;
	if (!rc)
		qf_info("checkpoint_key", "origin=%s vkey=%s dev=%s", a->origin, a->vkey,
			a->dev_key ? "true" : "false");
out:
	sodium_memzero(line, sizeof line);
	return rc;
}

/* ------------------------------------------------------------ signing */

static void s_sign_commit(void *arg, uint64_t data)
{
	(void)data;
	struct audit *a = arg;
	a->ckpt_size = a->pend_size;
	memcpy(a->ckpt_root, a->pend_root, 32);
	a->have_ckpt = 1;
	a->ckpt_mono = qf_mono_ms();
	qf_metric_inc(a->m_ckpts);
	char hex[65];
	qf_info("checkpoint_signed", "origin=%s size=%llu root=%s", a->origin,
		(unsigned long long)a->ckpt_size, qf_hex(a->ckpt_root, 32, hex));
}

static void s_sign_abort(void *arg, uint64_t data)
{
	(void)data;
	struct audit *a = arg;
	a->pend_size = a->ckpt_size;
	memcpy(a->pend_root, a->ckpt_root, 32);
}

int audit_ckpt_sign(struct audit *a, struct qf_txn *t, int *made)
{
	*made = 0;
	uint64_t size;
	int rc = qf_merkle_log_size(a->log, t, &size);
	if (rc)
		return rc;
	/* an earlier signing in this same transaction counts (pend_*) */
	int have = a->have_ckpt || qf_txn_has_hook(t, s_sign_commit, a);
	uint64_t base = a->pend_size;
	if (have && size == base)
		return QF_OK;
	if (have && size < base) {
		qf_error("checkpoint_refused", "reason=shrunk last=%llu size=%llu",
			 (unsigned long long)base, (unsigned long long)size);
		return QF_ERR_CONFLICT;
	}
	uint8_t root[32];
	if ((rc = qf_merkle_log_root(a->log, t, size, root)))
		return rc;
	if (have && base > 0) {
		uint8_t proof[QF_MERKLE_MAX_PROOF][32];
		size_t n;
		rc = qf_merkle_log_consistency(a->log, t, base, size, proof, &n);
		if (!rc)
			rc = qf_merkle_check_consistency(base, size, a->pend_root, root,
							 (const uint8_t(*)[32])proof, n);
		if (rc) {
			qf_error("checkpoint_refused",
				 "reason=inconsistent last=%llu size=%llu error=\"%s\"",
				 (unsigned long long)base, (unsigned long long)size,
				 qf_strerror(rc));
			return QF_ERR_CONFLICT;
		}
	}
	char *body = qf_checkpoint_format(a->origin, size, root);
	if (!body)
		return QF_ERR_NOMEM;
	char *note = NULL;
	size_t nlen = 0;
	rc = qf_note_sign(&a->signer, body, strlen(body), &note, &nlen);
	free(body);
	if (rc)
		return rc;
	int64_t now = qf_now_ms(a->clock);
	size_t vlen = 8 + 32 + nlen;
	uint8_t *val = malloc(vlen);
	if (!val) {
		free(note);
		return QF_ERR_NOMEM;
	}
	qf_be64_put(val, (uint64_t)now);
	memcpy(val + 8, root, 32);
	memcpy(val + 40, note, nlen);
	uint8_t key[8];
	qf_be64_put(key, size);
	rc = qf_txn_put(t, a->ckpts, key, 8, val, vlen, 0);
	free(val);
	if (!rc) {
		MDB_val ov;
		if (qf_txn_get(t, a->meta, "origin", 6, &ov) == QF_ERR_NOTFOUND &&
		    !(rc = qf_txn_put(t, a->meta, "origin", 6, a->origin,
				      strlen(a->origin), 0)))
			rc = qf_txn_put(t, a->meta, "format", 6, AUDIT_LOG_FORMAT,
					strlen(AUDIT_LOG_FORMAT), 0);
	}
	if (!rc) {
		Qingfeng__V1__AuditCheckpoint ev = QINGFENG__V1__AUDIT_CHECKPOINT__INIT;
		ev.origin = a->origin;
		ev.size = size;
		ev.root_hash.data = root;
		ev.root_hash.len = 32;
		ev.note = note;
		ev.at_ms = now;
		rc = qf_privacy_emit(a->prod, t,
				     QINGFENG__V1__EVENT_TYPE__AUDIT_CHECKPOINT, "audit",
				     NULL, NULL, &ev.base, NULL);
	}
	free(note);
	if (rc)
		return rc;
	if ((rc = qf_txn_on_commit(t, s_sign_commit, a, 0)) ||
	    (rc = qf_txn_on_abort(t, s_sign_abort, a, 0)))
		return rc;
	a->pend_size = size;
	memcpy(a->pend_root, root, 32);
	*made = 1;
	return QF_OK;
}

static int s_sign_txn(struct qf_txn *t, void *arg)
{
	int made;
	return audit_ckpt_sign(arg, t, &made);
}

/* Before a batch of appends commits: sign there when enough entries are new,
 * in the same transaction (no fsync of its own). A refusal must not block
 * ingestion: it is logged and the leaves are committed unsigned. */
static int s_sign_precommit(struct qf_txn *t, void *arg)
{
	struct audit *a = arg;
	uint64_t size;
	int rc = qf_merkle_log_size(a->log, t, &size);
	if (rc)
		return rc;
	if (size < a->pend_size + (uint64_t)a->conf->every_entries)
		return QF_OK;
	int made;
	rc = audit_ckpt_sign(a, t, &made);
	return rc == QF_ERR_CONFLICT ? QF_OK : rc;
}

int audit_ckpt_after_append(struct audit *a, struct qf_txn *t)
{
	return qf_txn_before_commit(t, s_sign_precommit, a);
}

/* ------------------------------------------------------------ start */

struct last_ckpt {
	struct audit *a;
	int have;
	uint64_t size;
	uint8_t root[32];
	char origin[QF_NOTE_MAX_NAME + 1];
	int have_origin;
	int format_ok; /* audit.meta "format" is AUDIT_LOG_FORMAT */
	int verified;
};

static int s_last_read(struct qf_txn *t, void *arg)
{
	struct last_ckpt *l = arg;
	struct audit *a = l->a;
	MDB_val v;
	if (qf_txn_get(t, a->meta, "origin", 6, &v) == QF_OK &&
	    v.mv_size < sizeof l->origin) {
		memcpy(l->origin, v.mv_data, v.mv_size);
		l->origin[v.mv_size] = '\0';
		l->have_origin = 1;
	}
	l->format_ok = qf_txn_get(t, a->meta, "format", 6, &v) == QF_OK &&
		       v.mv_size == strlen(AUDIT_LOG_FORMAT) &&
		       !memcmp(v.mv_data, AUDIT_LOG_FORMAT, v.mv_size);
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), a->ckpts, &c))
		return QF_ERR_STORE;
	MDB_val k;
	int rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == 8 && v.mv_size > 40) {
		l->have = 1;
		l->size = qf_be64_get(k.mv_data);
		memcpy(l->root, (uint8_t *)v.mv_data + 8, 32);
		size_t tl;
		l->verified = qf_note_open((const char *)v.mv_data + 40, v.mv_size - 40,
					   &a->verifier, 1, &tl) == QF_OK;
		/* the stored tree must still give the signed root */
		uint8_t now[32];
		int r2 = qf_merkle_log_root(a->log, t, l->size, now);
		if (r2 || sodium_memcmp(now, l->root, 32)) {
			mdb_cursor_close(c);
			return QF_ERR_CONFLICT;
		}
	}
	mdb_cursor_close(c);
	return QF_OK;
}

int audit_ckpt_open(struct audit *a)
{
	struct last_ckpt l = {.a = a};
	int rc = qf_store_read(a->store, s_last_read, &l);
	if (rc == QF_ERR_CONFLICT) {
		qf_error("store_damaged",
			 "reason=\"the stored tree no longer gives the root of "
			 "the last signed checkpoint\"");
		return rc;
	}
	if (rc)
		return rc;
	if (l.have_origin && !l.format_ok) {
		qf_error("log_format_old",
			 "origin=%s note=\"this store holds an audit log of the previous "
			 "format (whole events in the leaves); keep it read-only and "
			 "start a new log under a new origin (docs/OPERATIONS.md, "
			 "Migrating the audit log)\"",
			 l.origin);
		return QF_ERR_CONFIG;
	}
	if (l.have_origin && strcmp(l.origin, a->origin)) {
		qf_error(
		    "origin_mismatch",
		    "log=%s key=%s note=\"a log keeps its origin for life; use the key "
		    "it was started with\"",
		    l.origin, a->origin);
		return QF_ERR_CONFIG;
	}
	if (l.have) {
		if (!l.verified)
			qf_warn("checkpoint_key_changed",
				"size=%llu note=\"the last checkpoint was signed by "
				"another key; "
				"verifiers need the new vkey\"",
				(unsigned long long)l.size);
		a->have_ckpt = 1;
		a->ckpt_size = a->pend_size = l.size;
		memcpy(a->ckpt_root, l.root, 32);
		memcpy(a->pend_root, l.root, 32);
		a->ckpt_mono = qf_mono_ms();
		return QF_OK;
	}
	/* a new log: sign its first checkpoint at once, so /checkpoint exists */
	return qf_store_write(a->store, s_sign_txn, a);
}

int audit_ckpt_tick(struct audit *a)
{
	uint64_t size = qf_merkle_log_committed(a->log);
	int64_t period = (int64_t)a->conf->every_seconds * 1000;
	if (size <= a->ckpt_size)
		return (int)(period < 1000 ? period : 1000);
	int64_t waited = qf_mono_ms() - a->ckpt_mono;
	if (size - a->ckpt_size >= (uint64_t)a->conf->every_entries || waited >= period) {
		int rc = qf_store_write(a->store, s_sign_txn, a);
		if (rc) {
			qf_error("checkpoint_failed", "error=\"%s\"", qf_strerror(rc));
			return 1000;
		}
		return (int)(period < 1000 ? period : 1000);
	}
	int64_t left = period - waited;
	return (int)(left < 1000 ? left : 1000);
}
