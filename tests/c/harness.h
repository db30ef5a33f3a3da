/*
 * harness.h - a minimal test runner for the C suite.
 *
 * A test is a void function registered in a group table. A failed CHECK
 * records where it failed (file:line, the expression, and for calls into the
 * library the result code, its exec_strerror() and exec_last_error()), then
 * returns from the enclosing function; the runner reports the first failure
 * of each test. Everything a test registered through fixture.h is swept
 * afterwards, whether it passed or not.
 */
#ifndef TEST_HARNESS_H
#define TEST_HARNESS_H

#include <string.h>

#include "execution.h"

/** One test: a name ("group.behaviour") and its body. */
typedef struct {
	const char *name;
	void (*fn)(void);
} test_case;

/** Record a failure of the running test. Thread-safe. */
void t_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Record that `expr` returned `got` instead of `want`, with the library's message. */
void t_fail_rc(const char *file, int line, const char *expr, int got, int want,
               const char *last_error);

/** Non-zero once the running test has recorded a failure. Thread-safe. */
int t_failed(void);

/**
 * Run every test of `groups` (a NULL-ended list of tables) whose name starts
 * with one of argv[1..], or all of them; print one line per test and the
 * totals. Returns 0 when all passed, 1 otherwise.
 */
int run_tests(const test_case *const *groups, int argc, char **argv);

/** Raise the running test's time limit (default 60 s) to `seconds`. */
void t_set_timeout(int seconds);

/*
 * The *_R forms return `ret` on failure, for helpers and thread bodies; the
 * plain forms return from a void function.
 */
#define CHECK_R(cond, ret)                                                   \
	do {                                                                 \
		if (!(cond)) {                                               \
			t_fail(__FILE__, __LINE__, "%s", #cond);             \
			return ret;                                          \
		}                                                            \
	} while (0)

#define CHECK_RC_R(call, want, ret)                                          \
	do {                                                                 \
		int rc_ = (call);                                            \
		if (rc_ != (want)) {                                         \
			t_fail_rc(__FILE__, __LINE__, #call, rc_, (want),    \
			          exec_last_error());                        \
			return ret;                                          \
		}                                                            \
	} while (0)

#define CHECK_INT_R(a, op, b, ret)                                           \
	do {                                                                 \
		long long a_ = (long long)(a), b_ = (long long)(b);          \
		if (!(a_ op b_)) {                                           \
			t_fail(__FILE__, __LINE__, "%s %s %s: %lld vs %lld", \
			       #a, #op, #b, a_, b_);                         \
			return ret;                                          \
		}                                                            \
	} while (0)

#define CHECK_STR_R(got, want, ret)                                          \
	do {                                                                 \
		const char *g_ = (got), *w_ = (want);                        \
		if (g_ == NULL || strcmp(g_, w_) != 0) {                     \
			t_fail(__FILE__, __LINE__, "%s: got \"%s\", want \"%s\"", \
			       #got, g_ ? g_ : "(null)", w_);                \
			return ret;                                          \
		}                                                            \
	} while (0)

#define CHECK_CONTAINS_R(hay, needle, ret)                                   \
	do {                                                                 \
		const char *h_ = (hay), *n_ = (needle);                      \
		if (h_ == NULL || strstr(h_, n_) == NULL) {                  \
			t_fail(__FILE__, __LINE__, "%s: \"%s\" does not contain \"%s\"", \
			       #hay, h_ ? h_ : "(null)", n_);                \
			return ret;                                          \
		}                                                            \
	} while (0)

/* A failure already recorded by a helper: just leave. */
#define REQUIRE_R(cond, ret)                                                 \
	do {                                                                 \
		if (!(cond)) {                                               \
			if (!t_failed())                                     \
				t_fail(__FILE__, __LINE__, "%s", #cond);     \
			return ret;                                          \
		}                                                            \
	} while (0)

#define CHECK(cond) CHECK_R(cond, )
#define CHECK_RC(call, want) CHECK_RC_R(call, want, )
#define CHECK_OK(call) CHECK_RC_R(call, EXEC_OK, )
#define CHECK_INT(a, op, b) CHECK_INT_R(a, op, b, )
#define CHECK_STR(got, want) CHECK_STR_R(got, want, )
#define CHECK_CONTAINS(hay, needle) CHECK_CONTAINS_R(hay, needle, )
#define REQUIRE(cond) REQUIRE_R(cond, )

/* The groups, one table per file, each ended by {NULL, NULL}. */
extern const test_case lifecycle_tests[];
extern const test_case log_tests[];
extern const test_case pool_tests[];
extern const test_case exit_tests[];
extern const test_case io_tests[];
extern const test_case terminal_tests[];
extern const test_case exec_tests[];
extern const test_case pause_tests[];
extern const test_case kill_tests[];
extern const test_case delete_tests[];
extern const test_case load_tests[];
extern const test_case args_tests[];
extern const test_case handle_tests[];
extern const test_case error_tests[];
extern const test_case failing_runtime_tests[];
extern const test_case thread_tests[];
extern const test_case fork_tests[];
extern const test_case leak_tests[];
extern const test_case stress_tests[];
extern const test_case promise_tests[];
extern const test_case image_tests[];
extern const test_case pull_tests[];
extern const test_case observe_tests[];
extern const test_case hardened_tests[];
extern const test_case workload_tests[];
extern const test_case rootless_tests[];
extern const test_case host_tests[];
extern const test_case event_tests[];
extern const test_case fds_tests[];

/** Entry points of the re-executed test binary (load tests); see child.c. */
int child_main(int argc, char **argv);

#endif /* TEST_HARNESS_H */
