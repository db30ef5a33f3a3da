/*
 * fork.c - tell whether the calling process is a child forked after the
 * library was loaded.
 *
 * Go's runtime threads do not survive fork(): in such a child any call into
 * Go can hang. Every public function that enters Go asks capi_forked()
 * first. A pthread_atfork() child handler catches fork(); comparing the pid
 * saved at load time also catches a raw clone() that skips the handlers.
 */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "capi.h"

static volatile sig_atomic_t forked;
static pid_t loaded_pid;

/* pthread_atfork() child handler. */
static void mark_forked(void)
{
	forked = 1;
}

/* Runs when the library is loaded, before any public function. */
__attribute__((constructor)) static void watch_fork(void)
{
	loaded_pid = getpid();
	pthread_atfork(NULL, NULL, mark_forked);
}

int capi_forked(void)
{
	return forked || getpid() != loaded_pid;
}
