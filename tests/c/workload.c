/*
 * workload.c - the container a CI job needs, and the network modes. Traffic
 * goes only to 127.0.0.1 and to addresses of containers the tests made.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

/* A workspace bound in, written as uid 1000; env, cwd and hostname; an exec
 * naming only its command inherits them. */
static void ci_job(void)
{
	const char *root = NULL;
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *ws = fx_tempdir();
	const char *argv[] = { "sh", "-c", "echo built > artifact; sleep 1000", NULL };
	const char *env[] = { "CI=true", NULL };
	const char *mounts[] = { NULL, NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	exec_process *p = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	const char *bundle;
	char buf[256];
	struct stat st;
	int out = -1;

	REQUIRE(rt && ws);
	REQUIRE(chown(ws, 1000, 1000) == 0);
	mounts[0] = fx_str("%s:/workspace", ws);
	opts.env = env;
	opts.cwd = "/workspace";
	opts.user = "1000:1000";
	opts.hostname = "ci-runner";
	opts.mounts = mounts;
	bundle = fx_bundle_ext(argv, &opts);
	REQUIRE(bundle);
	CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
	REQUIRE(c);
	io.stdout_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_exec(c, "job",
		"{\"args\":[\"sh\",\"-c\",\"id -u; pwd; hostname; echo $CI; sleep 0.2; cat artifact\"]}",
		&io, &p));
	CHECK_OK(exec_process_stdio(p, EXEC_STDOUT, &out));
	CHECK_INT(fx_read_all(out, buf, sizeof(buf), 10000), >=, 0);
	close(out);
	CHECK_STR(buf, "1000\n/workspace\nci-runner\ntrue\nbuilt\n");
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	exec_process_free(p);
	CHECK_INT(stat(fx_str("%s/artifact", ws), &st), ==, 0);
	CHECK_INT(st.st_uid, ==, 1000);
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
}

/* The default network is a namespace of the container's own: only lo. */
static void network_none(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *argv[] = { "ls", "/sys/class/net", NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_exit ex = EXEC_EXIT_INIT;
	char buf[256];

	REQUIRE(rt);
	opts.network = "none";
	REQUIRE(fx_run_output(rt, fx_id(), fx_bundle_ext(argv, &opts), buf, sizeof(buf), &ex) == 0);
	CHECK_STR(buf, "lo\n");
}

/* A free TCP port of 127.0.0.1. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

/* GET /hello from 127.0.0.1:port into buf; 0 on an answer. */
static int get_hello(int port, char *buf, size_t cap)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const char *req = "GET /hello HTTP/1.0\r\n\r\n";
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc = -1;
	long n;

	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    write(s, req, strlen(req)) == (ssize_t)strlen(req)) {
		n = fx_read_all(s, buf, cap, 5000);
		rc = n > 0 ? 0 : -1;
	}
	close(s);
	return rc;
}

/* A bridge container serves a port (httpd answers, 404 for a file it has
 * not) the host reaches at 127.0.0.1; its
 * address is on the library's subnet; delete leaves no namespace. */
static void network_bridge(void)
{
	const char *root = NULL;
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *argv[] = { "/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/etc", NULL };
	const char *ports[] = { NULL, NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_container *c = NULL;
	const char *id = fx_id(), *bundle;
	char **addrs = NULL;
	size_t n = 0;
	char buf[1024];
	int port = free_port(), i;

	REQUIRE(rt && port > 0);
	ports[0] = fx_str("127.0.0.1:%d:8080", port);
	opts.network = "bridge";
	opts.ports = ports;
	bundle = fx_bundle_ext(argv, &opts);
	REQUIRE(bundle);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	REQUIRE(c);
	CHECK_OK(exec_container_addresses(c, &addrs, &n));
	CHECK_INT(n, ==, 1);
	if (n == 1)
		CHECK(strncmp(addrs[0], "10.217.", 7) == 0);
	exec_strings_free(addrs, n);
	for (i = 0; i < 100 && get_hello(port, buf, sizeof(buf)) != 0; i++)
		fx_sleep_ms(100);
	CHECK(i < 100);
	CHECK(strncmp(buf, "HTTP/1.", 7) == 0);
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
	CHECK(!fx_exists(fx_str("%s/network/netns/%s", root, id)));
	CHECK(!fx_exists(fx_str("%s/network/bundles/%s", root, id)));
}

/* A process that made a bridge container and died without deleting it
 * leaves nothing the next delete does not remove: namespace, config copy,
 * IP lease and port mappings. */
static void crash_leftovers(void)
{
	const char *root = NULL;
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *argv[] = { "sleep", "60", NULL };
	const char *ports[] = { NULL, NULL };
	const char *save[] = { "iptables-save", "-t", "nat", NULL };
	static char rules[1 << 20];
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_container *c = NULL;
	const char *id = fx_id(), *bundle, *lease = NULL;
	char **addrs = NULL;
	size_t n = 0;
	int port = free_port();

	REQUIRE(rt && port > 0);
	ports[0] = fx_str("127.0.0.1:%d:80", port);
	opts.network = "bridge";
	opts.ports = ports;
	bundle = fx_bundle_ext(argv, &opts);
	REQUIRE(bundle);
	REQUIRE(fx_child("--child-run", root, id, bundle) == 0);
	CHECK(fx_exists(fx_str("%s/network/netns/%s", root, id)));
	CHECK_OK(exec_container_load(rt, id, &c));
	REQUIRE(c);
	CHECK_OK(exec_container_addresses(c, &addrs, &n));
	CHECK_INT(n, ==, 1);
	if (n == 1)
		lease = fx_str("%s/network/ipam/libexecution/%s", root, addrs[0]);
	exec_strings_free(addrs, n);
	REQUIRE(lease);
	CHECK(fx_exists(lease));
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
	CHECK(!fx_exists(fx_str("%s/network/netns/%s", root, id)));
	CHECK(!fx_exists(fx_str("%s/network/bundles/%s", root, id)));
	CHECK(!fx_exists(lease));
	CHECK_INT(fx_command(save, rules, sizeof(rules)), ==, 0);
	CHECK(strstr(rules, id) == NULL);
}

/* Bad workloads are EXEC_EINVAL and write nothing. */
static void bad_options(void)
{
	const char *argv[] = { "true", NULL };
	const char *bad_ports[] = { "nonsense", NULL };
	const char *bad_mounts[] = { "/nonexistent/dir:/w", NULL };
	const char *dir = fx_tempdir();
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;

	REQUIRE(dir);
	CHECK_INT(symlink(fx_rootfs(), fx_str("%s/rootfs", dir)), ==, 0);
	opts.network = "somewhere";
	CHECK_RC(exec_bundle_init_ext(dir, argv, &opts), EXEC_EINVAL);
	opts.network = "bridge";
	opts.ports = bad_ports;
	CHECK_RC(exec_bundle_init_ext(dir, argv, &opts), EXEC_EINVAL);
	opts.ports = NULL;
	opts.mounts = bad_mounts;
	CHECK_RC(exec_bundle_init_ext(dir, argv, &opts), EXEC_EINVAL);
	opts.mounts = NULL;
	opts.no_new_privileges = 7;
	CHECK_RC(exec_bundle_init_ext(dir, argv, &opts), EXEC_EINVAL);
	CHECK(!fx_exists(fx_str("%s/config.json", dir)));
}

/* The host uid of pid, from /proc/PID/status; 0 when unknown. */
static unsigned host_uid(int pid)
{
	const char *cat[] = { "cat", fx_str("/proc/%d/status", pid), NULL };
	char status[4096];
	const char *line;
	unsigned ruid = 0, euid = 0;

	if (fx_command(cat, status, sizeof(status)) != 0)
		return 0;
	line = strstr(status, "\nUid:");
	if (line == NULL || sscanf(line, "\nUid:\t%u\t%u", &ruid, &euid) != 2)
		return 0;
	return euid;
}

/* Two hardened containers as root get ranges of ids of their own. */
static void hardened_ranges(void)
{
	const char *argv[] = { "sleep", "60", NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_runtime *rt = fx_runtime(NULL, NULL);
	exec_container *c[2] = { NULL, NULL };
	unsigned uid[2] = { 0, 0 };
	const char *bundle;
	int i, pid;

	opts.hardened = 1;
	REQUIRE(rt);
	bundle = fx_bundle_ext(argv, &opts);
	REQUIRE(bundle);
	for (i = 0; i < 2; i++) {
		CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c[i]));
		REQUIRE(c[i]);
		CHECK_OK(exec_container_pid(c[i], &pid));
		uid[i] = host_uid(pid);
		CHECK(uid[i] >= 0x70000000u);
	}
	CHECK(uid[0] + 65536 <= uid[1] || uid[1] + 65536 <= uid[0]);
	for (i = 0; i < 2; i++)
		CHECK(fx_kill_delete(c[i]) == 0);
}

const test_case workload_tests[] = {
	{ "workload.hardened_ranges", hardened_ranges },
	{ "workload.ci_job", ci_job },
	{ "workload.network_none", network_none },
	{ "workload.network_bridge", network_bridge },
	{ "workload.crash_leftovers", crash_leftovers },
	{ "workload.bad_options", bad_options },
	{ NULL, NULL },
};
