/*
 * probe.c - a static program the tests put into a container to try what a
 * hardened config must stop, and print what happened:
 *
 *     probe euid      prints "euid=N": what a setuid copy of it gains
 *     probe keyctl    prints "keyctl=ok" or "keyctl=<errno name>"
 *     probe fds       prints "fds=0 1 2 ...": the open fds, from /proc/self/fd
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEYCTL_GET_KEYRING_ID 0
#define KEY_SPEC_SESSION_KEYRING (-3)

static int fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		return 1;
	printf("fds=");
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		printf("%s ", e->d_name);
	}
	printf("\n");
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "euid") == 0) {
		printf("euid=%d\n", (int)geteuid());
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "keyctl") == 0) {
		long r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1);
		printf("keyctl=%s\n", r < 0 ? strerrorname_np(errno) : "ok");
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "fds") == 0)
		return fds();
	fprintf(stderr, "usage: probe euid|keyctl|fds\n");
	return 2;
}
