/*
 * harness.c - the runner: failure records, per-test time limit, report.
 */
#include "harness.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

#define DEFAULT_TIMEOUT_S 60

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char first_failure[2048];
static int failures;

static const char *current;
static long long deadline_ms;
static int passed, failed;

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&lock);
	if (failures++ == 0) {
		int n = snprintf(first_failure, sizeof(first_failure), "%s:%d: ", file, line);
		if (n > 0 && (size_t)n < sizeof(first_failure)) {
			va_start(ap, fmt);
			vsnprintf(first_failure + n, sizeof(first_failure) - n, fmt, ap);
			va_end(ap);
		}
	}
	pthread_mutex_unlock(&lock);
}

void t_fail_rc(const char *file, int line, const char *expr, int got, int want,
               const char *last_error)
{
	if (got == EXEC_OK)
		t_fail(file, line, "%s = 0 (%s), want %d (%s)", expr, exec_strerror(got), want,
		       exec_strerror(want));
	else
		t_fail(file, line, "%s = %d (%s), want %d (%s); last error: \"%s\"", expr, got,
		       exec_strerror(got), want, exec_strerror(want),
		       last_error ? last_error : "(NULL)");
}

int t_failed(void)
{
	int n;

	pthread_mutex_lock(&lock);
	n = failures;
	pthread_mutex_unlock(&lock);
	return n != 0;
}

void t_set_timeout(int seconds)
{
	pthread_mutex_lock(&lock);
	deadline_ms = fx_now_ms() + seconds * 1000LL;
	pthread_mutex_unlock(&lock);
}

/* The message with its newlines escaped, so that a report stays one line. */
static const char *one_line(const char *msg)
{
	static char buf[4096];
	size_t n = 0;

	for (; *msg && n + 3 < sizeof(buf); msg++) {
		if (*msg == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else {
			buf[n++] = *msg;
		}
	}
	buf[n] = '\0';
	return buf;
}

/* Ends the whole run when a test exceeds its time limit: a hang is a failure. */
static void *watchdog(void *arg)
{
	struct timespec tick = { 0, 200 * 1000 * 1000 };

	(void)arg;
	for (;;) {
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&lock);
		if (current && fx_now_ms() > deadline_ms) {
			printf("FAIL %s: time limit exceeded (a hang)%s%s\n", current,
			       failures ? "; first failure: " : "",
			       failures ? one_line(first_failure) : "");
			printf("%d passed, %d failed\n", passed, failed + 1);
			fflush(stdout);
			_exit(1);
		}
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static int selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strncmp(name, argv[i], strlen(argv[i])) == 0)
			return 1;
	return 0;
}

/**
 * Run every test of `groups` whose name starts with one of argv[1..] (all
 * when there is none); print one line per test and the totals.
 *
 * @return 0 when all passed, 1 otherwise.
 */
int run_tests(const test_case *const *groups, int argc, char **argv)
{
	pthread_t dog;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pthread_create(&dog, NULL, watchdog, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pthread_detach(dog);

	for (const test_case *const *g = groups; *g; g++) {
		for (const test_case *t = *g; t->name; t++) {
			if (!selected(t->name, argc, argv))
				continue;
			pthread_mutex_lock(&lock);
			failures = 0;
			first_failure[0] = '\0';
			current = t->name;
			deadline_ms = fx_now_ms() + DEFAULT_TIMEOUT_S * 1000LL;
			pthread_mutex_unlock(&lock);

			t->fn();
			fx_sweep();

			pthread_mutex_lock(&lock);
			if (failures) {
				failed++;
				printf("FAIL %s: %s\n", t->name, one_line(first_failure));
			} else {
				passed++;
				printf("ok %s\n", t->name);
			}
			current = NULL;
			pthread_mutex_unlock(&lock);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
