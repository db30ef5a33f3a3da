/*
 * hardened.c - what a hardened config stops, each as a real attempt inside
 * a container, beside the default config where it goes through. Runs as
 * root in the main suite and as an unprivileged user in the rootless one.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

#define CGROUP2_MAGIC 0x63677270

/* Whether this user's containers get a cgroup of their own, as limits need. */
static int limits_apply(void)
{
	struct statfs fs;

	return geteuid() == 0 ||
	       (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_MAGIC);
}

/* Run `sh -c script` in the probe rootfs under opts (hardened when asked). */
static int run_script(const char *script, int hardened, const char *const *tmpfs, char *buf,
                      size_t cap, exec_exit *ex)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *rootfs = fx_probe_rootfs();
	const char *bundle;

	opts.hardened = hardened;
	opts.tmpfs = tmpfs;
	REQUIRE_R(rt && rootfs, -1);
	bundle = fx_bundle_ext_in(rootfs, argv, &opts);
	REQUIRE_R(bundle, -1);
	return fx_run_output(rt, fx_id(), bundle, buf, cap, ex);
}

/* mount, unshare -U and keyctl: the seccomp filter denies them. */
static void seccomp_denies(void)
{
	const char *script = "mount -t tmpfs none /mnt 2>&1; echo mount=$?; "
	                     "unshare -U true 2>&1; echo unshare=$?; probe keyctl";
	char buf[4096];
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(run_script(script, 0, NULL, buf, sizeof(buf), &ex) == 0);
	CHECK_CONTAINS(buf, "unshare=0");
	CHECK_CONTAINS(buf, "keyctl=ok");

	REQUIRE(run_script(script, 1, NULL, buf, sizeof(buf), &ex) == 0);
	CHECK_CONTAINS(buf, "mount=1");
	CHECK_CONTAINS(buf, "unshare: unshare(0x10000000): Operation not permitted");
	CHECK_CONTAINS(buf, "unshare=1");
	CHECK_CONTAINS(buf, "keyctl=EPERM");
	CHECK_INT(ex.status, ==, 0);
}

/* The rootfs refuses writes; a tmpfs asked for takes them. */
static void readonly_rootfs(void)
{
	const char *tmpfs[] = { "/tmp", NULL };
	char buf[4096];
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(run_script("touch /etc/x 2>&1; echo touch=$?; echo kept > /tmp/t && cat /tmp/t",
	                   1, tmpfs, buf, sizeof(buf), &ex) == 0);
	CHECK_CONTAINS(buf, "Read-only file system");
	CHECK_CONTAINS(buf, "touch=1");
	CHECK_CONTAINS(buf, "\nkept\n");
}

/*
 * A setuid-root program run by uid 1000 gains nothing: without hardening
 * (and with no_new_privs off) root's host sees it run as root.
 */
static void setuid_gains_nothing(void)
{
	const char *exec_json = "{\"args\":[\"/bin/probe-suid\",\"euid\"],\"cwd\":\"/\","
	                        "\"user\":{\"uid\":1000,\"gid\":1000},\"noNewPrivileges\":%s}";
	const char *argv[] = { "sleep", "60", NULL };
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *rootfs = fx_probe_rootfs();

	REQUIRE(rt && rootfs);
	for (int hardened = geteuid() == 0 ? 0 : 1; hardened <= 1; hardened++) {
		exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
		exec_io io = EXEC_IO_INIT;
		exec_container *c = NULL;
		exec_process *p = NULL;
		exec_exit ex = EXEC_EXIT_INIT;
		const char *bundle;
		char buf[256];
		int out = -1;

		opts.hardened = hardened;
		opts.userns = geteuid() == 0 && !hardened ? EXEC_USERNS_AUTO : EXEC_USERNS_SUBIDS;
		bundle = fx_bundle_ext_in(rootfs, argv, &opts);
		REQUIRE(bundle);
		CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
		io.stdout_fd = EXEC_IO_PIPE;
		CHECK_OK(exec_container_exec(c, "suid", fx_str(exec_json, hardened ? "true" : "false"),
		                             &io, &p));
		CHECK_OK(exec_process_stdio(p, EXEC_STDOUT, &out));
		CHECK_INT(fx_read_all(out, buf, sizeof(buf), 10000), >=, 0);
		close(out);
		CHECK_OK(exec_process_wait(p, 10000, &ex));
		CHECK_STR(buf, hardened ? "euid=1000\n" : "euid=0\n");
		exec_process_free(p);
		CHECK(fx_kill_delete(c) == 0);
	}
}

/* Root inside is an unprivileged uid outside, as the host sees it. */
static void root_is_not_root(void)
{
	const char *argv[] = { "sleep", "60", NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_runtime *rt = fx_runtime(NULL, NULL);
	exec_container *c = NULL;
	const char *bundle;
	char status[4096];
	int pid = 0;
	unsigned ruid = 0, euid = 0;
	const char *uid_line;

	opts.hardened = 1;
	REQUIRE(rt);
	bundle = fx_bundle_ext(argv, &opts);
	REQUIRE(bundle);
	CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
	CHECK_OK(exec_container_pid(c, &pid));
	{
		const char *cat[] = { "cat", fx_str("/proc/%d/status", pid), NULL };
		CHECK_INT(fx_command(cat, status, sizeof(status)), ==, 0);
	}
	uid_line = strstr(status, "\nUid:");
	REQUIRE(uid_line && sscanf(uid_line, "\nUid:\t%u\t%u", &ruid, &euid) == 2);
	CHECK_INT(euid, !=, 0);
	if (geteuid() != 0)
		CHECK_INT(euid, ==, geteuid());
	CHECK(fx_kill_delete(c) == 0);
}

/*
 * A fork bomb stops at the pids limit. Without a cgroup of its own (a
 * rootless runtime on cgroup v1) the limit cannot be written at all.
 */
static void fork_bomb_stopped(void)
{
	/*
	 * The bomb runs in a subshell, which its failed fork ends; the
	 * processes are counted and killed with builtins, as no fork is left.
	 */
	const char *argv[] = { "sh", "-c",
		"(n=0; while [ $n -lt 200 ]; do sleep 60 & n=$((n+1)); done) 2>/tmp/err; "
		"set -- /proc/[0-9]*; echo started=$#; kill -9 -1; wait; cat /tmp/err",
		NULL };
	const char *tmpfs[] = { "/tmp", NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_runtime *rt = fx_runtime(NULL, NULL);
	exec_exit ex = EXEC_EXIT_INIT;
	const char *dir = fx_tempdir();
	const char *bundle;
	char buf[4096];
	int started = 0;
	const char *line;

	opts.hardened = 1;
	opts.pids_limit = 32;
	opts.tmpfs = tmpfs;
	REQUIRE(rt && dir);
	if (!limits_apply()) {
		CHECK_INT(symlink(fx_rootfs(), fx_str("%s/rootfs", dir)), ==, 0);
		CHECK_RC(exec_bundle_init_ext(dir, argv, &opts), EXEC_ENOTSUP);
		CHECK(!fx_exists(fx_str("%s/config.json", dir)));
		return;
	}
	bundle = fx_bundle_ext(argv, &opts);
	REQUIRE(bundle);
	REQUIRE(fx_run_output(rt, fx_id(), bundle, buf, sizeof(buf), &ex) == 0);
	CHECK_CONTAINS(buf, "can't fork");
	line = strstr(buf, "started=");
	REQUIRE(line && sscanf(line, "started=%d", &started) == 1);
	CHECK_INT(started, <=, 32);
	CHECK_INT(started, >=, 2);
}

/* Bad hardening options: refused before anything is written. */
static void bad_options(void)
{
	const char *argv[] = { "true", NULL };
	const char *relative[] = { "tmp", NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	const char *dir = fx_tempdir();

	REQUIRE(dir);
	CHECK_INT(symlink(fx_rootfs(), fx_str("%s/rootfs", dir)), ==, 0);
	opts.tmpfs = relative;
	CHECK_RC(exec_bundle_init_ext(dir, argv, &opts), EXEC_EINVAL);
	opts.tmpfs = NULL;
	opts.userns = 9;
	CHECK_RC(exec_bundle_init_ext(dir, argv, &opts), EXEC_EINVAL);
	CHECK(!fx_exists(fx_str("%s/config.json", dir)));
}

/*
 * A caller built against version 1 of exec_bundle_options has no room for
 * the new fields: they are neither written by the init nor read.
 */
static void options_version1(void)
{
	const char *argv[] = { "true", NULL };
	exec_bundle_options opts;
	const char *dir = fx_tempdir();
	unsigned char tail[sizeof(opts) - offsetof(exec_bundle_options, userns)];

	REQUIRE(dir);
	memset(&opts, 0xab, sizeof(opts));
	memset(tail, 0xab, sizeof(tail));
	CHECK_OK(exec_bundle_options_init(&opts, 1));
	CHECK_INT(opts.version, ==, 1);
	CHECK_INT(opts.pids_limit, ==, 0);
	CHECK(memcmp(&opts.userns, tail, sizeof(tail)) == 0);
	CHECK_INT(symlink(fx_rootfs(), fx_str("%s/rootfs", dir)), ==, 0);
	CHECK_OK(exec_bundle_init_ext(dir, argv, &opts));
}

const test_case hardened_tests[] = {
	{ "hardened.seccomp_denies", seccomp_denies },
	{ "hardened.readonly_rootfs", readonly_rootfs },
	{ "hardened.setuid_gains_nothing", setuid_gains_nothing },
	{ "hardened.root_is_not_root", root_is_not_root },
	{ "hardened.fork_bomb_stopped", fork_bomb_stopped },
	{ "hardened.bad_options", bad_options },
	{ "hardened.options_version1", options_version1 },
	{ NULL, NULL },
};
