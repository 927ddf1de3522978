/* cmd_keygen.c: `qfctl keygen [--seal] [--out PREFIX]`.
 *
 * Default: a CURVE key pair for the encrypted wire, in Z85; the public key
 * goes into the allow files of the services this one talks to.
 * --seal: a libsodium box key pair (hex) for sealing petitioners' contact
 * details: intake seals to the public key, the notifier opens with the
 * secret one.
 * With --out, writes PREFIX.pub (0644) and PREFIX.key (0600) and prints the
 * public key; otherwise prints both. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include <zmq.h>

#include "qf_id.h"

#include "qfctl.h"

static int s_write(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0) {
		perror(path);
		return -1;
	}
	size_t n = strlen(text);
	int ok = write(fd, text, n) == (ssize_t)n;
	close(fd);
	return ok ? 0 : -1;
}

int qfctl_keygen(int argc, char **argv)
{
	char pub[65], sec[65];
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: qfctl keygen [--seal] [--out PREFIX]\n"
		       "  Makes a CURVE key pair for the bus (with --seal: a sealing key\n"
		       "  pair for contacts); with --out writes PREFIX.pub and PREFIX.key\n"
		       "  (mode 0600) and prints the public key.\n");
		return 0;
	}
	int seal = argc >= 2 && !strcmp(argv[1], "--seal");
	if (seal) {
		argc--;
		argv++;
		uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
		crypto_box_keypair(pk, sk);
		qf_hex(pk, sizeof pk, pub);
		qf_hex(sk, sizeof sk, sec);
		sodium_memzero(sk, sizeof sk);
	} else if (zmq_curve_keypair(pub, sec)) {
		fprintf(stderr, "qfctl keygen: libzmq has no CURVE support\n");
		return 1;
	}
	if (argc == 3 && !strcmp(argv[1], "--out")) {
		char p[4096], line[128];
		snprintf(p, sizeof p, "%s.pub", argv[2]);
		snprintf(line, sizeof line, "%s\n", pub);
		if (s_write(p, line, 0644))
			return 1;
		snprintf(p, sizeof p, "%s.key", argv[2]);
		snprintf(line, sizeof line, "%s\n", sec);
		if (s_write(p, line, 0600))
			return 1;
		printf("%s\n", pub);
		return 0;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: qfctl keygen [--seal] [--out PREFIX]\n");
		return 2;
	}
	printf("public=%s\nsecret=%s\n", pub, sec);
	return 0;
}
