/*
 * capi.h - private declarations shared by the C and Go halves of capi/.
 *
 * Not installed: the public contract is include/execution.h alone.
 */
#ifndef EXECUTION_CAPI_H
#define EXECUTION_CAPI_H

#include <stdint.h>
#include <stdlib.h>

#include "execution.h"

/*
 * Record `msg` as the calling thread's last error and return `code`. The
 * message is copied. Called from Go on the caller's thread, and from C.
 */
int capi_set_error(int code, const char *msg);

/*
 * Call a progress callback: Go cannot call a C function pointer itself.
 * Called from Go on the thread of the call the callback was given to.
 */
int capi_call_progress(exec_progress_fn fn, const char *blob, long long done,
                       long long total, void *payload);

/* Non-zero in a child forked from the process that loaded the library. */
int capi_forked(void);

/* Call fn(level, message, payload): Go cannot call a C function pointer. */
void capi_log_deliver(exec_log_fn fn, int level, const char *message, void *payload);

/* Non-zero while the calling thread runs a receiver set by exec_log_set(). */
int capi_log_delivering(void);

#endif /* EXECUTION_CAPI_H */
