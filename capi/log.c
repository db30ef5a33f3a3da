/*
 * log.c - the trampoline through which Go calls the caller's exec_log_fn.
 */
#include "capi.h"

/* Set on the library's log thread while it runs the caller's receiver. */
static __thread int in_receiver;

void capi_log_deliver(exec_log_fn fn, int level, const char *message, void *payload)
{
	in_receiver = 1;
	fn(level, message, payload);
	in_receiver = 0;
}

int capi_log_delivering(void)
{
	return in_receiver;
}
