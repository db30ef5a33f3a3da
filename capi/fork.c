/*
 * fork.c - tell whether the calling process is a child forked after the
 * library was loaded.
 *
 * Go's runtime threads do not survive fork(): in such a child any call into
 * Go can hang. Every public function that enters Go asks capi_forked()
 * first, so it must cost next to nothing: a pthread_atfork() child handler
 * sets a flag, and the check reads it. (getpid() would also catch a raw
 * clone() that skips the handlers, but it is a system call on every call.)
 */
#include <pthread.h>
#include <signal.h>

#include "capi.h"

static volatile sig_atomic_t forked;

/* pthread_atfork() child handler. */
static void mark_forked(void)
{
	forked = 1;
}

/* Runs when the library is loaded, before any public function. */
__attribute__((constructor)) static void watch_fork(void)
{
	pthread_atfork(NULL, NULL, mark_forked);
}

int capi_forked(void)
{
	return forked;
}
