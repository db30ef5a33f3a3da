/*
 * scale.c - one root with many containers running, from a host whose soft
 * fd limit is 1024: how fast containers are created with 1, 1000 and N
 * running, and what each running container costs the root's monitor in
 * memory and fds. Run in a process of its own (its fd limit is lowered).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"

/* Creates timed around each mark: the window of creates that ends there. */
#define WINDOW 20

/* Open fds of process pid. */
static int fds_of(int pid)
{
	char path[64];
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	if (!(d = opendir(path)))
		die("open %s failed", path);
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2;
}

void group_scale(void)
{
	int n = cfg.scale, monitor = -1, i, k;
	int marks[3] = { 1, 1000, n };
	samples window[3] = { { 0 } }, rss = { 0 }, fds = { 0 };
	exec_container **cs = calloc((size_t)n, sizeof(*cs));
	char root[PATH_MAX], id[64], label[96];
	struct rlimit lim;
	exec_runtime *rt;
	double rss0 = 0;
	int fds0 = 0;

	if (!cs)
		die("out of memory");
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur > 1024) {
		lim.rlim_cur = 1024;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
	make_root(NULL, "lib-scale", root, sizeof(root));
	rt = open_runtime(cfg.runc, root);
	fprintf(stderr, "bench: scale: %d running containers on one root\n", n);
	for (i = 0; i < n && !bench_stopping; i++) {
		long long t0 = now_ns();

		new_id(id, sizeof(id));
		check(exec_container_run(rt, id, bundle_sleep, NULL, &cs[i]), "exec_container_run");
		for (k = 0; k < 3; k++)
			if (i + 1 <= marks[k] && i + 1 > marks[k] - WINDOW)
				samples_add(&window[k], (double)(now_ns() - t0) / 1e6);
		if (i == 0) {
			monitor = monitor_of(root);
			rss0 = rss_mib_of(monitor);
			fds0 = fds_of(monitor);
		}
	}
	if (bench_stopping)
		die("interrupted");
	for (k = 0; k < 5; k++) {
		samples_add(&rss, (rss_mib_of(monitor) - rss0) * 1024.0 / (n > 1 ? n - 1 : 1));
		samples_add(&fds, (double)(fds_of(monitor) - fds0) / (n > 1 ? n - 1 : 1));
		usleep(20000);
	}
	for (i = 0; i < n; i++) {
		check(exec_container_delete(cs[i], 1), "exec_container_delete");
		exec_container_free(cs[i]);
	}
	exec_runtime_free(rt);

	for (k = 0; k < 3; k++) {
		if (marks[k] > n || (k == 1 && n == 1000) || (k == 2 && n == 1))
			continue;
		pathf(label, sizeof(label), "exec_container_run() with %d running", marks[k]);
		emit_row("scale", label, "ms", &window[k], k ? "exec_container_run() with 1 running" : NULL,
		         k ? "the last creates up to that many" : "the first create");
	}
	pathf(label, sizeof(label), "(with %d - with 1) / %d, soft fd limit of the host 1024", n, n - 1);
	emit_row("scale", "monitor RSS per running container", "KiB", &rss, NULL, label);
	emit_row("scale", "monitor fds per running container", "fds", &fds, NULL, label);
	for (k = 0; k < 3; k++)
		samples_free(&window[k]);
	samples_free(&rss);
	samples_free(&fds);
	free(cs);
}
