/*
 * lifecycle.c - one busybox `true` container from create to delete, by every
 * tool, interleaved round by round so that the machine's drift and noise
 * spread over all variants alike.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/** The steps a variant may time besides its whole lifecycle. */
enum { STEP_CREATE, STEP_START, STEP_WAIT, STEP_DELETE, NSTEPS };

/** Step names of the create/start/wait/delete and the run/wait/delete shapes. */
static const char *const csd_steps[NSTEPS] = { "create", "start", "wait", "delete" };
static const char *const rwd_steps[NSTEPS] = { "run --detach", NULL, "wait after run", "delete after run" };

struct variant;

/** One lifecycle; ms[0..NSTEPS) get the steps' times, -1 for steps it lacks. */
typedef void (*cycle_fn)(struct variant *v, const char *id, double *total, double *ms);

/** A way to run a container's lifecycle, and what was measured of it. */
typedef struct variant {
	const char *name;
	const char *ratio_vs;
	cycle_fn cycle;
	const char *runtime; /* the CLI for CLI variants */
	const char *step_label; /* prefix of its step rows, NULL for none */
	const char *step_vs;    /* prefix of the step rows they compare with */
	const char *const *step_names;
	char root[PATH_MAX];
	exec_runtime *rt;
	worker *w;
	const char *op;
	samples total;
	samples steps[NSTEPS];
	samples cpu_self;     /* CPU ms of this process per lifecycle */
	samples cpu_children; /* CPU ms of the runtime and the container */
	int lost;    /* exits whose status went to the runtime, not to us */
	int retried; /* deletes that failed at once after such an exit */
} variant;

static double ms_since(long long *t)
{
	long long now = now_ns();
	double ms = (double)(now - *t) / 1e6;

	*t = now;
	return ms;
}

static void cli(variant *v, const char *const *args, const char *id)
{
	const char *argv[16];
	int i, n = 0, rc;

	argv[n++] = v->runtime;
	argv[n++] = "--root";
	argv[n++] = v->root;
	for (i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	rc = run_cmd(argv);
	if (rc != 0)
		die("%s %s for %s exited with %d (see %s/spawn.log)", v->runtime, args[0], id, rc, cfg.work);
}

static void wait_init(variant *v, const char *pid_file, const char *id)
{
	pid_t pid = read_pid_file(pid_file);
	int status;

	if (pid <= 0)
		die("%s left no pid file for %s", v->runtime, id);
	status = reap(pid);
	if (status == -1 && errno == ECHILD) {
		/* crun's run --detach returns while a helper of its own is still
		 * the init's parent: the exit status goes to that helper. */
		v->lost++;
		wait_gone(pid);
		unlink(pid_file);
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("container %s's init ended with wait status %d", id, status);
	unlink(pid_file);
}

/* `runc run`: the whole lifecycle as one runtime process. */
static void cli_run(variant *v, const char *id, double *total, double *ms)
{
	const char *args[] = { "run", "--bundle", bundle_true, id, NULL };
	long long t0 = now_ns();

	(void)ms;
	cli(v, args, id);
	*total = ms_since(&t0);
}

/* `runc create`, `runc start`, wait for the init (a child of this subreaper),
 * `runc delete`: the runtime calls the library's create path makes. */
static void cli_create_start(variant *v, const char *id, double *total, double *ms)
{
	char pid_file[PATH_MAX];
	const char *create[] = { "create", "--bundle", bundle_true, "--pid-file", pid_file, id, NULL };
	const char *start[] = { "start", id, NULL };
	const char *del[] = { "delete", id, NULL };
	long long t0, t;

	pathf(pid_file, sizeof(pid_file), "%s/%s.pid", v->root, id);
	t0 = t = now_ns();
	cli(v, create, id);
	ms[STEP_CREATE] = ms_since(&t);
	cli(v, start, id);
	ms[STEP_START] = ms_since(&t);
	wait_init(v, pid_file, id);
	ms[STEP_WAIT] = ms_since(&t);
	cli(v, del, id);
	ms[STEP_DELETE] = ms_since(&t);
	*total = (double)(t - t0) / 1e6;
}

/* `runc run --detach`, wait, `runc delete`: the library's run path. */
static void cli_run_detach(variant *v, const char *id, double *total, double *ms)
{
	char pid_file[PATH_MAX];
	const char *run[] = { "run", "--detach", "--bundle", bundle_true, "--pid-file", pid_file, id, NULL };
	const char *del[] = { "delete", id, NULL };
	long long t0, t;

	pathf(pid_file, sizeof(pid_file), "%s/%s.pid", v->root, id);
	t0 = t = now_ns();
	cli(v, run, id);
	ms[STEP_CREATE] = ms_since(&t);
	wait_init(v, pid_file, id);
	ms[STEP_WAIT] = ms_since(&t);
	cli(v, del, id);
	ms[STEP_DELETE] = ms_since(&t);
	*total = (double)(t - t0) / 1e6;
}

static void check_exit(const exec_exit *e, const char *id)
{
	if (e->status != 0)
		die("container %s exited with status %d", id, e->status);
}

static void lib_create_start(variant *v, const char *id, double *total, double *ms)
{
	exec_container *c = NULL;
	exec_exit e = EXEC_EXIT_INIT;
	long long t0, t;

	t0 = t = now_ns();
	check(exec_container_create(v->rt, id, bundle_true, NULL, &c), "exec_container_create");
	ms[STEP_CREATE] = ms_since(&t);
	check(exec_container_start(c), "exec_container_start");
	ms[STEP_START] = ms_since(&t);
	check(exec_container_wait(c, -1, &e), "exec_container_wait");
	ms[STEP_WAIT] = ms_since(&t);
	check(exec_container_delete(c, 0), "exec_container_delete");
	exec_container_free(c);
	ms[STEP_DELETE] = ms_since(&t);
	*total = (double)(t - t0) / 1e6;
	check_exit(&e, id);
}

static void lib_run(variant *v, const char *id, double *total, double *ms)
{
	exec_container *c = NULL;
	exec_exit e = EXEC_EXIT_INIT;
	long long t0, t;

	int rc, pid = -1, lost = 0;

	t0 = t = now_ns();
	check(exec_container_run(v->rt, id, bundle_true, NULL, &c), "exec_container_run");
	ms[STEP_CREATE] = ms_since(&t);
	check(exec_container_pid(c, &pid), "exec_container_pid");
	rc = exec_container_wait(c, -1, &e);
	ms[STEP_WAIT] = ms_since(&t);
	if (rc == EXEC_ESYS) {
		/* The init's exit status went to the runtime (crun), not to us. */
		v->lost++;
		lost = 1;
		e.status = 0;
	} else {
		check(rc, "exec_container_wait");
	}
	rc = exec_container_delete(c, 0);
	if (rc != EXEC_OK && lost) {
		/* The runtime's helper may still hold the init as a zombie. */
		fprintf(stderr, "bench: %s: delete after a lost exit: %s\n", id, exec_last_error());
		v->retried++;
		wait_gone(pid);
		rc = exec_container_delete(c, 0);
	}
	check(rc, "exec_container_delete");
	exec_container_free(c);
	ms[STEP_DELETE] = ms_since(&t);
	*total = (double)(t - t0) / 1e6;
	check_exit(&e, id);
}

/* A lifecycle in a worker, which times it in its own process. */
static void worker_cycle(variant *v, const char *id, double *total, double *ms)
{
	double ns;

	(void)ms;
	if (worker_ask(v->w, &ns, "%s %s %s", v->op, id, bundle_true) != 0)
		die("the %s worker failed a lifecycle", v->w->name);
	if (v->w->lost)
		v->lost++;
	*total = ns / 1e6;
}

/* ---- Variants ------------------------------------------------------- */

#define MAX_VARIANTS 16

static variant variants[MAX_VARIANTS];
static int nvariants;

static variant *add(const char *name, const char *ratio_vs, cycle_fn cycle)
{
	variant *v;

	if (nvariants == MAX_VARIANTS)
		die("too many variants");
	v = &variants[nvariants++];
	memset(v, 0, sizeof(*v));
	v->name = name;
	v->ratio_vs = ratio_vs;
	v->cycle = cycle;
	return v;
}

/* Which steps a lifecycle function times. */
static const char *const *steps_of(cycle_fn cycle)
{
	if (cycle == cli_create_start || cycle == lib_create_start)
		return csd_steps;
	return rwd_steps;
}

static variant *add_cli(const char *name, const char *ratio_vs, cycle_fn cycle,
                        const char *runtime, const char *step_label)
{
	variant *v = add(name, ratio_vs, cycle);

	v->runtime = runtime;
	v->step_label = step_label;
	v->step_names = steps_of(cycle);
	make_root(runtime, strrchr(runtime, '/') ? strrchr(runtime, '/') + 1 : runtime, v->root,
	          sizeof(v->root));
	return v;
}

static variant *add_lib(const char *name, const char *ratio_vs, cycle_fn cycle,
                        exec_runtime *rt, const char *step_label, const char *step_vs)
{
	variant *v = add(name, ratio_vs, cycle);

	v->rt = rt;
	v->step_label = step_label;
	v->step_vs = step_vs;
	v->step_names = steps_of(cycle);
	return v;
}

static void add_worker(const char *name, const char *ratio_vs, worker *w, const char *op)
{
	variant *v;

	if (!w || w->pid < 0)
		return;
	v = add(name, ratio_vs, worker_cycle);
	v->w = w;
	v->op = op;
}

static double cpu_ms(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

#define MAX_MONITORS 64

/* CPU time of every libexecution monitor: its own and its reaped
 * children's (the runtime calls and containers it spawned), by pid. */
typedef struct {
	int n;
	int pid[MAX_MONITORS];
	double ms[MAX_MONITORS];
} monitor_cpu;

static void monitors_cpu(monitor_cpu *m)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	double tick = (double)sysconf(_SC_CLK_TCK);

	m->n = 0;
	while (d && m->n < MAX_MONITORS && (e = readdir(d)) != NULL) {
		char path[64], buf[1024], *p;
		unsigned long long ut, st, cut, cst;
		int pid = atoi(e->d_name);
		FILE *f;
		size_t n;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (!(f = fopen(path, "re")))
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if (!strstr(buf, "(exec-monitor)") || !(p = strrchr(buf, ')')))
			continue;
		/* Fields 14-17 (utime stime cutime cstime) follow field 3 (state). */
		if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
		           &ut, &st, &cut, &cst) != 4)
			continue;
		m->pid[m->n] = pid;
		m->ms[m->n++] = (double)(ut + st + cut + cst) * 1e3 / tick;
	}
	if (d)
		closedir(d);
}

/* CPU ms the monitors alive at both readings spent between them. */
static double monitors_cpu_delta(const monitor_cpu *a, const monitor_cpu *b)
{
	double sum = 0;

	for (int i = 0; i < b->n; i++)
		for (int j = 0; j < a->n; j++)
			if (a->pid[j] == b->pid[i])
				sum += b->ms[i] - a->ms[j];
	return sum;
}

static variant *find(const char *name)
{
	int i;

	for (i = 0; name && i < nvariants; i++) {
		if (strcmp(variants[i].name, name) == 0)
			return &variants[i];
	}
	return NULL;
}

/* The variant whose steps a step of v compares with. */
static variant *step_base(const variant *v)
{
	int i;

	for (i = 0; v->step_vs && i < nvariants; i++) {
		const variant *b = &variants[i];

		if (b->step_label && strcmp(b->step_label, v->step_vs) == 0 && b->step_names == v->step_names)
			return &variants[i];
	}
	return NULL;
}

/* Run every variant `rounds` times after one warm-up round, each round in
 * an order shifted by one, then write the rows: the lifecycles, their steps,
 * and the CPU time they cost this process and its children. */
/* The library's loops beside the go-runc peer's making the same runtime
 * calls, round by round, whole lifecycle and host CPU, into group. */
static void emit_against_gorunc(const char *group)
{
	static const char *const pairs[][2] = {
		{ "lib C create/start/wait/delete", "go-runc create/start/wait/delete" },
		{ "lib C run/wait/delete", "go-runc run -d/wait/delete" },
		{ "lib C on crun create/start/wait/delete", "go-runc on crun create/start/wait/delete" },
		{ "lib C on crun run/wait/delete", "go-runc on crun run -d/wait/delete" },
	};
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		variant *v = find(pairs[i][0]), *peer = find(pairs[i][1]);
		char name[160], vs[160];

		if (!v || !peer || peer->total.n != v->total.n || peer->cpu_self.n != v->cpu_self.n)
			continue;
		emit_row(group, peer->name, "ms", &peer->total, NULL, NULL);
		emit_paired(group, v->name, "ms", &v->total, peer->name, &peer->total, NULL);
		pathf(vs, sizeof(vs), "%s: host CPU", peer->name);
		emit_row(group, vs, "ms", &peer->cpu_self, NULL, NULL);
		pathf(name, sizeof(name), "%s: host CPU", v->name);
		emit_paired(group, name, "ms", &v->cpu_self, vs, &peer->cpu_self, NULL);
	}
}

static void measure(const char *group, const char *step_group, const char *cpu_group,
                    const char *gorunc_group)
{
	int round, i, s;

	fprintf(stderr, "bench: %s: %d variants x %d rounds\n", group, nvariants, cfg.rounds);
	for (round = -1; round < cfg.rounds && !bench_stopping; round++) {
		for (i = 0; i < nvariants && !bench_stopping; i++) {
			variant *v = &variants[(i + (round < 0 ? 0 : round)) % nvariants];
			char id[64];
			double total = 0, ms[NSTEPS] = { -1, -1, -1, -1 }, self, children;
			monitor_cpu mon0, mon1;
			double self0, children0;

			monitors_cpu(&mon0);
			self0 = cpu_ms(RUSAGE_SELF);
			children0 = cpu_ms(RUSAGE_CHILDREN);
			new_id(id, sizeof(id));
			v->cycle(v, id, &total, ms);
			self = cpu_ms(RUSAGE_SELF) - self0;
			children = cpu_ms(RUSAGE_CHILDREN) - children0;
			monitors_cpu(&mon1);
			if (round < 0)
				continue;
			samples_add(&v->total, total);
			/* The runtime runs under the library's monitor, not the host. */
			children += monitors_cpu_delta(&mon0, &mon1);
			if (v->w && v->w->nextra == 2) {
				/* A worker measures its own process. */
				samples_add(&v->cpu_self, v->w->extra[0]);
				samples_add(&v->cpu_children, v->w->extra[1] + children);
			} else if (!v->w) {
				samples_add(&v->cpu_self, self);
				samples_add(&v->cpu_children, children);
			}
			for (s = 0; s < NSTEPS; s++) {
				if (ms[s] >= 0)
					samples_add(&v->steps[s], ms[s]);
			}
		}
	}
	if (bench_stopping)
		die("interrupted");
	for (i = 0; i < nvariants; i++) {
		variant *v = &variants[i], *base = find(v->ratio_vs);
		char note[256];

		if (v->retried)
			pathf(note, sizeof(note),
			      "exit status lost in %d of %d lifecycles: the runtime, not this process, was "
			      "the init's parent when it exited; in %d of them delete failed at once and "
			      "was retried once the init was gone",
			      v->lost, cfg.rounds + 1, v->retried);
		else
			pathf(note, sizeof(note),
			      "exit status lost in %d of %d lifecycles: the runtime, not this process, was "
			      "the init's parent when it exited",
			      v->lost, cfg.rounds + 1);
		emit_paired(group, v->name, "ms", &v->total, v->ratio_vs, base ? &base->total : NULL,
		            v->lost ? note : NULL);
	}
	for (i = 0; i < nvariants; i++) {
		variant *v = &variants[i], *base = step_base(v);

		for (s = 0; s < NSTEPS && v->step_label; s++) {
			char name[128], vs[128];

			if (v->steps[s].n == 0 || !v->step_names[s])
				continue;
			pathf(name, sizeof(name), "%s %s", v->step_label, v->step_names[s]);
			pathf(vs, sizeof(vs), "%s %s", v->step_vs ? v->step_vs : "", v->step_names[s]);
			emit_paired(step_group, name, "ms", &v->steps[s], base ? vs : NULL,
			            base ? &base->steps[s] : NULL, NULL);
		}
	}
	for (i = 0; i < nvariants; i++) {
		variant *v = &variants[i], *base = find(v->ratio_vs);
		char name[160], vs[160];

		if (v->cpu_self.n == 0)
			continue;
		if (base && base->cpu_self.n != v->cpu_self.n)
			base = NULL;
		pathf(name, sizeof(name), "%s: host process", v->name);
		pathf(vs, sizeof(vs), "%s: host process", v->ratio_vs ? v->ratio_vs : "");
		emit_paired(cpu_group, name, "ms", &v->cpu_self, base ? vs : NULL,
		            base ? &base->cpu_self : NULL, NULL);
		pathf(name, sizeof(name), "%s: runtime + container", v->name);
		pathf(vs, sizeof(vs), "%s: runtime + container", v->ratio_vs ? v->ratio_vs : "");
		emit_paired(cpu_group, name, "ms", &v->cpu_children, base ? vs : NULL,
		            base ? &base->cpu_children : NULL, NULL);
	}
	emit_against_gorunc(gorunc_group);
	for (i = 0; i < nvariants; i++) {
		samples_free(&variants[i].total);
		samples_free(&variants[i].cpu_self);
		samples_free(&variants[i].cpu_children);
		for (s = 0; s < NSTEPS; s++)
			samples_free(&variants[i].steps[s]);
	}
	nvariants = 0;
}

/* The ratio baselines by name, as the rows below spell them. */
#define RUNC_RUN "runc run"
#define RUNC_CSWD "runc create/start/wait/delete"
#define CRUN_RUN "crun run"
#define CRUN_CSWD "crun create/start/wait/delete"

void group_lifecycle(void)
{
	char root[PATH_MAX];
	exec_runtime *rt;

	make_root(NULL, "lib", root, sizeof(root));
	rt = open_runtime(cfg.runc, root);
	add_cli(RUNC_RUN, NULL, cli_run, cfg.runc, NULL);
	add_cli(RUNC_CSWD, RUNC_RUN, cli_create_start, cfg.runc, "runc");
	add_cli("runc run -d/wait/delete", RUNC_RUN, cli_run_detach, cfg.runc, "runc");
	add_lib("lib C create/start/wait/delete", RUNC_CSWD, lib_create_start, rt, "lib C", "runc");
	add_lib("lib C run/wait/delete", RUNC_RUN, lib_run, rt, "lib C", "runc");
	add_worker("lib Python create/start/wait/delete", RUNC_CSWD, workers.python, "csd");
	add_worker("lib Python run/wait/delete", RUNC_RUN, workers.python, "rwd");
	add_worker("lib Rust create/start/wait/delete", RUNC_CSWD, workers.rust, "csd");
	add_worker("lib Rust run/wait/delete", RUNC_RUN, workers.rust, "rwd");
	add_worker("go-runc create/start/wait/delete", RUNC_CSWD, workers.gorunc, "csd");
	add_worker("go-runc run -d/wait/delete", RUNC_RUN, workers.gorunc, "rwd");
	measure("lifecycle", "steps", "cpu", "vs-gorunc");
	exec_runtime_free(rt);
}

void group_crun(void)
{
	char root[PATH_MAX];
	exec_runtime *rt;
	worker gorunc;

	make_root(NULL, "lib-crun", root, sizeof(root));
	rt = open_runtime(cfg.crun, root);
	add_cli(RUNC_RUN, NULL, cli_run, cfg.runc, NULL);
	add_cli(CRUN_RUN, RUNC_RUN, cli_run, cfg.crun, NULL);
	add_cli(CRUN_CSWD, CRUN_RUN, cli_create_start, cfg.crun, "crun");
	add_cli("crun run -d/wait/delete", CRUN_RUN, cli_run_detach, cfg.crun, "crun");
	add_lib("lib C on crun create/start/wait/delete", CRUN_CSWD, lib_create_start, rt,
	        "lib C on crun", "crun");
	add_lib("lib C on crun run/wait/delete", CRUN_RUN, lib_run, rt, "lib C on crun", "crun");
	gorunc.pid = -1;
	if (cfg.gorunc) {
		const char *gargv[] = { cfg.gorunc, NULL };

		if (worker_start(&gorunc, "go-runc-crun", gargv, cfg.crun, 0) != 0)
			die("cannot start the go-runc worker");
		add_worker("go-runc on crun create/start/wait/delete", CRUN_CSWD, &gorunc, "csd");
		add_worker("go-runc on crun run -d/wait/delete", CRUN_RUN, &gorunc, "rwd");
	}
	measure("lifecycle-crun", "steps-crun", "cpu-crun", "vs-gorunc-crun");
	worker_stop(&gorunc);
	exec_runtime_free(rt);
}
