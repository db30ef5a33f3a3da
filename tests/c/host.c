/*
 * host.c - the host stays the host's: its fds never reach a container or
 * an exec'd process, state dirs are private and never lead outside the
 * root, and a container flooding its stream blocks no other.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

/* fds the host opened without O_CLOEXEC stay out of containers. */
static void fds_stay_home(void)
{
	const char *argv[] = { "sh", "-c", "probe fds; sleep 60", NULL };
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *rootfs = fx_probe_rootfs();
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	exec_process *p = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	const char *bundle;
	char buf[256] = "";
	int leaky, pipe_fds[2], out = -1;

	REQUIRE(rt && rootfs);
	bundle = fx_bundle_ext_in(rootfs, argv, NULL);
	REQUIRE(bundle);
	leaky = open("/dev/null", O_RDONLY);
	REQUIRE(leaky >= 0);
	REQUIRE(pipe(pipe_fds) == 0);
	io.stdout_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_run(rt, fx_id(), bundle, &io, &c));
	CHECK_OK(exec_container_stdio(c, EXEC_STDOUT, &out));
	CHECK(fx_read_until(out, buf, sizeof(buf), "\n", 10000) == 0);
	CHECK_STR(buf, "fds=0 1 2 \n");
	close(out);

	CHECK_OK(exec_container_exec(c, "fds", "{\"args\":[\"probe\",\"fds\"],\"cwd\":\"/\"}", &io, &p));
	CHECK_OK(exec_process_stdio(p, EXEC_STDOUT, &out));
	CHECK_INT(fx_read_all(out, buf, sizeof(buf), 10000), >=, 0);
	close(out);
	CHECK_STR(buf, "fds=0 1 2 \n");
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	exec_process_free(p);
	close(leaky);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	CHECK(fx_kill_delete(c) == 0);
}

/* Fails unless path exists and grants nothing to group or others beyond `allowed`. */
static int private_mode(const char *path, mode_t allowed)
{
	struct stat st;

	CHECK_R(lstat(path, &st) == 0, -1);
	if ((st.st_mode & 077 & ~allowed) != 0) {
		t_fail(__FILE__, __LINE__, "%s has mode %o", path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* The root, its state dirs and files and the monitor's socket are private. */
static void state_private(void)
{
	const char *root = fx_str("%s/root", fx_tempdir());
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	exec_runtime *rt;
	exec_container *c = NULL;
	const char *bundle = fx_bundle_sh("sleep 60", 0);
	const char *id = fx_id();
	exec_exit ex = EXEC_EXIT_INIT;

	opts.root = root;
	rt = fx_runtime(&opts, NULL);
	REQUIRE(rt && bundle);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK(private_mode(root, 0) == 0);
	CHECK(private_mode(fx_str("%s/monitor.sock", root), 0) == 0);
	CHECK(private_mode(fx_str("%s/containers", root), 055) == 0);
	CHECK(private_mode(fx_str("%s/containers/%s", root, id), 0) == 0);
	CHECK(private_mode(fx_str("%s/containers/%s/container.json", root, id), 044) == 0);
	CHECK_OK(exec_container_kill(c, SIGKILL, 0));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK(private_mode(fx_str("%s/containers/%s/exit.json", root, id), 044) == 0);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/*
 * A symlink planted at <root>/containers/<id> never makes load or create
 * read or write where it points, outside the root.
 */
static void planted_symlink(void)
{
	const char *root = NULL, *outside = fx_tempdir(), *id = fx_id();
	const char *record = fx_str("{\"id\":\"%s\",\"pid\":1,\"start_time\":1}", id);
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *bundle = fx_bundle_sh("true", 0);
	exec_container *c = NULL;
	char text[256];
	FILE *f;

	REQUIRE(rt && outside && bundle);
	REQUIRE((f = fopen(fx_str("%s/container.json", outside), "w")) != NULL);
	fputs(record, f);
	fclose(f);
	mkdir(fx_str("%s/containers", root), 0700);
	REQUIRE(symlink(outside, fx_str("%s/containers/%s", root, id)) == 0);

	CHECK(exec_container_load(rt, id, &c) != EXEC_OK);
	CHECK(exec_container_create(rt, id, bundle, NULL, &c) != EXEC_OK);
	CHECK_INT(fx_count_dir(outside), ==, 1);
	REQUIRE((f = fopen(fx_str("%s/container.json", outside), "r")) != NULL);
	text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
	fclose(f);
	CHECK_STR(text, record);
}

/* Containers that flood their stdout and their terminal, never read, block no other. */
static void flood_blocks_no_other(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *flood = fx_bundle_sh("yes flood", 0);
	const char *flood_tty = fx_bundle_sh("yes flood", 1);
	const char *quick = fx_bundle_sh("echo done", 0);
	exec_io io = EXEC_IO_INIT, tty = EXEC_IO_INIT;
	exec_container *f = NULL, *t = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	char buf[256];

	REQUIRE(rt && flood && flood_tty && quick);
	io.stdout_fd = EXEC_IO_PIPE;
	tty.terminal = 1;
	CHECK_OK(exec_container_run(rt, fx_id(), flood, &io, &f));
	CHECK_OK(exec_container_run(rt, fx_id(), flood_tty, &tty, &t));
	for (int i = 0; i < 3; i++) {
		CHECK(fx_run_output(rt, fx_id(), quick, buf, sizeof(buf), &ex) == 0);
		CHECK_STR(buf, "done\n");
	}
	CHECK(fx_kill_delete(f) == 0);
	CHECK(fx_kill_delete(t) == 0);
}

const test_case host_tests[] = {
	{ "host.fds_stay_home", fds_stay_home },
	{ "host.state_private", state_private },
	{ "host.planted_symlink", planted_symlink },
	{ "host.flood_blocks_no_other", flood_blocks_no_other },
	{ NULL, NULL },
};
