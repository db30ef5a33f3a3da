/*
 * util.c - time, samples, rows, ids, bundles, state roots and their cleanup.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

bench_config cfg;
volatile int bench_stopping;

long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void pathf(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		die("a path or name is too long: %s", out);
}

void samples_add(samples *s, double v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die("out of memory");
	}
	s->v[s->n++] = v;
}

void samples_free(samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of sorted v, interpolated linearly between ranks. */
static double quantile(const double *v, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

/* Append s to out as a JSON string (our names hold no control characters). */
static void json_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* Append " <key>: <v>" as a JSON number, or null for NAN. */
static void json_number(FILE *out, const char *key, double v)
{
	if (isnan(v))
		fprintf(out, ", \"%s\": null", key);
	else
		fprintf(out, ", \"%s\": %.6g", key, v);
}

/* The median, p10 and p90 of v[0..n), which it sorts. */
static void spread(double *v, size_t n, double out[3])
{
	qsort(v, n, sizeof(*v), cmp_double);
	out[0] = quantile(v, n, 0.5);
	out[1] = quantile(v, n, 0.1);
	out[2] = quantile(v, n, 0.9);
}

static void write_row(const char *group, const char *name, const char *unit,
                      double median, double p10, double p90, size_t n,
                      const char *ratio_vs, const double *ratio, const char *note)
{
	int fd = open(cfg.out_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	FILE *out;

	if (fd < 0 || !(out = fdopen(fd, "a")))
		die("open %s: %s", cfg.out_path, strerror(errno));
	fputs("{\"group\": ", out);
	json_string(out, group);
	fputs(", \"name\": ", out);
	json_string(out, name);
	fputs(", \"unit\": ", out);
	json_string(out, unit);
	fprintf(out, ", \"median\": %.6g, \"p10\": %.6g, \"p90\": %.6g, \"n\": %zu, \"ratio_vs\": ",
	        median, p10, p90, n);
	json_string(out, ratio_vs);
	if (ratio) {
		json_number(out, "ratio", ratio[0]);
		json_number(out, "ratio_p10", ratio[1]);
		json_number(out, "ratio_p90", ratio[2]);
	}
	fputs(", \"note\": ", out);
	json_string(out, note);
	fputs("}\n", out);
	fclose(out);
	fprintf(stderr, "  %-16s %-44s %12.4g %-6s p10 %-10.4g p90 %-10.4g n=%zu", group, name,
	        median, unit, p10, p90, n);
	if (ratio)
		fprintf(stderr, "  %.3gx (%.3g-%.3g)", ratio[0], ratio[1], ratio[2]);
	fputc('\n', stderr);
}

void emit_paired(const char *group, const char *name, const char *unit, const samples *s,
                 const char *ratio_vs, const samples *base, const char *note)
{
	double st[3], ratio[3];
	double *v;
	size_t i;

	if (s->n == 0)
		die("row %s/%s has no samples", group, name);
	if (base && base->n != s->n)
		die("row %s/%s: %zu samples, its baseline %zu", group, name, s->n, base->n);
	v = malloc(s->n * sizeof(*v));
	if (!v)
		die("out of memory");
	memcpy(v, s->v, s->n * sizeof(*v));
	spread(v, s->n, st);
	if (base) {
		for (i = 0; i < s->n; i++)
			v[i] = base->v[i] > 0 ? s->v[i] / base->v[i] : NAN;
		spread(v, s->n, ratio);
	}
	write_row(group, name, unit, st[0], st[1], st[2], s->n, ratio_vs, base ? ratio : NULL, note);
	free(v);
}

void emit_row(const char *group, const char *name, const char *unit,
              const samples *s, const char *ratio_vs, const char *note)
{
	emit_paired(group, name, unit, s, ratio_vs, NULL, note);
}

void emit_quoted(const char *group, const char *name, const char *unit,
                 double value, const char *ratio_vs, const char *note)
{
	write_row(group, name, unit, value, value, value, 0, ratio_vs, NULL, note);
}

void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup_all();
	exit(1);
}

void check(int rc, const char *what)
{
	if (rc != EXEC_OK)
		die("%s: %s (%s)", what, exec_strerror(rc), exec_last_error());
}

void new_id(char *buf, size_t len)
{
	static atomic_int counter;

	pathf(buf, len, "bench-%d-%d", (int)getpid(), atomic_fetch_add(&counter, 1));
}

/* ---- Tracked roots -------------------------------------------------- */

#define MAX_ROOTS 64

static struct {
	const char *runtime;
	char root[PATH_MAX];
} roots[MAX_ROOTS];
static int nroots;

void track_root(const char *runtime, const char *root)
{
	if (nroots == MAX_ROOTS)
		die("too many state roots");
	roots[nroots].runtime = runtime;
	pathf(roots[nroots].root, sizeof(roots[nroots].root), "%s", root);
	nroots++;
}

/* Delete with force every container the runtime lists under root. */
static void sweep(const char *runtime, const char *root)
{
	char ids[65536], *line, *save = NULL;
	const char *list[] = { runtime, "--root", root, "list", "-q", NULL };
	struct stat st;

	if (stat(root, &st) != 0)
		return;
	if (run_capture(list, ids, sizeof(ids)) != 0)
		return;
	for (line = strtok_r(ids, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *del[] = { runtime, "--root", root, "delete", "--force", line, NULL };

		if (!*line)
			continue;
		fprintf(stderr, "bench: deleting leftover container %s under %s\n", line, root);
		run_cmd(del);
	}
}

void cleanup_all(void)
{
	static int done;
	int i;

	if (done)
		return;
	done = 1;
	for (i = nroots - 1; i >= 0; i--) {
		const char *rm[] = { "rm", "-rf", roots[i].root, NULL };

		if (roots[i].runtime)
			sweep(roots[i].runtime, roots[i].root);
		run_cmd(rm);
	}
	nroots = 0;
}

/* ---- Bundles and roots ---------------------------------------------- */

void mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	pathf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			die("mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0755) != 0 && errno != EEXIST)
		die("mkdir %s: %s", buf, strerror(errno));
}

void make_bundle(const char *name, const char *const *argv, char *out, size_t len)
{
	char rootfs[PATH_MAX];
	const char *rm[] = { "rm", "-rf", out, NULL };
	const char *cp[] = { "cp", "-a", cfg.rootfs, rootfs, NULL };

	pathf(out, len, "%s/bundles/%s", cfg.work, name);
	pathf(rootfs, sizeof(rootfs), "%s/rootfs", out);
	run_cmd(rm);
	mkdir_p(out);
	if (run_cmd(cp) != 0)
		die("cp -a %s %s failed", cfg.rootfs, rootfs);
	check(exec_bundle_init(out, argv, 0), "exec_bundle_init");
}

void make_root(const char *runtime, const char *name, char *out, size_t len)
{
	static atomic_int counter;

	pathf(out, len, "%s/roots/%s-%d-%d", cfg.work, name, (int)getpid(),
	         atomic_fetch_add(&counter, 1));
	mkdir_p(out);
	track_root(runtime, out);
}

exec_runtime *open_runtime(const char *runtime, const char *root)
{
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	exec_runtime *rt = NULL;
	char runtime_root[PATH_MAX];

	opts.root = root;
	opts.runtime_path = runtime;
	check(exec_runtime_new(&opts, &rt), "exec_runtime_new");
	pathf(runtime_root, sizeof(runtime_root), "%s/runc", root);
	track_root(runtime, runtime_root);
	return rt;
}

/* VmRSS of process `pid` ("self" for 0) in MiB. */
double rss_mib_of(int pid)
{
	char line[256], path[64];
	double kib = -1;
	FILE *f;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		die("open %s failed", path);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtod(line + 6, NULL);
	}
	fclose(f);
	if (kib < 0)
		die("no VmRSS in %s", path);
	return kib / 1024.0;
}


/* The pid of the monitor serving root: its comm and its argv[1]. */
int monitor_of(const char *root)
{
	char path[64], buf[PATH_MAX + 64];
	int pid, found = -1;
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		die("open /proc failed");
	while (found < 0 && (e = readdir(d)) != NULL) {
		FILE *f;
		size_t n;

		if ((pid = atoi(e->d_name)) <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if (!(f = fopen(path, "re")))
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if (strcmp(buf, "exec-monitor\n") != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
		if (!(f = fopen(path, "re")))
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if (n > strlen(buf) + 1 && strcmp(buf + strlen(buf) + 1, root) == 0)
			found = pid;
	}
	closedir(d);
	if (found < 0)
		die("no monitor serves %s", root);
	return found;
}
