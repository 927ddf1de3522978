/* pause.c: qf-pause, the infra process of podman pods (the image
 * localhost/qingfeng-pause, `--target pause` of docker/Dockerfile, a static
 * binary in an empty image). It holds the pod's namespaces and exits at once
 * on SIGTERM or SIGINT, so stopping a pod takes no grace period. Podman
 * normally builds its pause image from catatonit, which Debian's podman only
 * recommends; with `podman pod create --infra-image localhost/qingfeng-pause`
 * (or infra_image in containers.conf, for `podman kube play`) pods work
 * without it.
 */
#include <signal.h>
#include <unistd.h>

static void s_stop(int sig)
{
	(void)sig;
	_exit(0);
}

int main(void)
{
	signal(SIGTERM, s_stop);
	signal(SIGINT, s_stop);
	for (;;)
		pause();
}
