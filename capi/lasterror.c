/*
 * lasterror.c - the calling thread's last error message, and the text of
 * each result code.
 *
 * The message lives in a pthread key rather than a __thread buffer: the key's
 * destructor frees it when the thread exits, and the library's TLS block
 * stays a few bytes (Go's c-shared runtime puts it in static TLS, which a
 * dlopen() of a library with a large TLS block can exhaust).
 */
#include <pthread.h>
#include <string.h>

#include "capi.h"

/* Kept when a message cannot be copied; never freed. */
static char out_of_memory[] = "out of memory while recording an error";

static pthread_key_t error_key;
static pthread_once_t error_once = PTHREAD_ONCE_INIT;
static int error_key_ok;

/* Frees a thread's message when the thread exits. */
static void release_message(void *msg)
{
	if (msg != out_of_memory)
		free(msg);
}

/* Creates the key holding each thread's message. */
static void make_error_key(void)
{
	error_key_ok = pthread_key_create(&error_key, release_message) == 0;
}

int capi_set_error(int code, const char *msg)
{
	char *copy, *old;

	pthread_once(&error_once, make_error_key);
	if (!error_key_ok)
		return code;
	copy = strdup(msg ? msg : "");
	if (!copy)
		copy = out_of_memory;
	old = pthread_getspecific(error_key);
	if (pthread_setspecific(error_key, copy) != 0) {
		release_message(copy);
		return code;
	}
	release_message(old);
	return code;
}

const char *exec_last_error(void)
{
	const char *msg;

	pthread_once(&error_once, make_error_key);
	if (!error_key_ok)
		return "";
	msg = pthread_getspecific(error_key);
	return msg ? msg : "";
}

const char *exec_strerror(int code)
{
	switch (code) {
	case EXEC_OK:
		return "success";
	case EXEC_EINVAL:
		return "invalid argument";
	case EXEC_ENOTFOUND:
		return "no such container or process";
	case EXEC_EEXIST:
		return "id already in use";
	case EXEC_ESTATE:
		return "not allowed in the current state";
	case EXEC_ERUNTIME:
		return "the OCI runtime failed";
	case EXEC_ETIMEDOUT:
		return "timed out";
	case EXEC_ECLOSED:
		return "invalid, freed or stale handle";
	case EXEC_ESYS:
		return "system call failed";
	case EXEC_EINTERNAL:
		return "internal error";
	case EXEC_ENOTSUP:
		return "not supported for this user or host";
	case EXEC_ECANCELED:
		return "cancelled";
	}
	return "unknown error";
}
