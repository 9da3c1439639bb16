/*
 * dynlib.c - libcurl, libmicrohttpd and liblinear behind dlopen (dynlib.h).
 *
 * Each forwarded function resolves its target once (dlsym on the library's
 * own handle, so the definition here is never found again) and keeps it in
 * a static pointer. Two variadic functions need care: curl_easy_setopt and
 * curl_easy_getinfo take exactly one argument after the option, whose type
 * the option number encodes (CURLOPTTYPE_* in steps of 10000, CURLINFO_*
 * in its type mask), and MHD_start_daemon has MHD_start_daemon_va.
 */
#define CURL_DISABLE_TYPECHECK 1
#include "base/dynlib.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <linear.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"

#ifndef MN_SONAME_CURL
#define MN_SONAME_CURL "libcurl.so.4"
#endif
#ifndef MN_SONAME_MHD
#define MN_SONAME_MHD "libmicrohttpd.so.12"
#endif
#ifndef MN_SONAME_LINEAR
#define MN_SONAME_LINEAR "liblinear.so.4"
#endif

struct lib {
	const char *soname;
	pthread_once_t once;
	void *handle;
	char error[256];
};

static struct lib libs[MN_DYNLIB_COUNT] = {
	[MN_DYNLIB_CURL] = { MN_SONAME_CURL, PTHREAD_ONCE_INIT, NULL, "" },
	[MN_DYNLIB_MHD] = { MN_SONAME_MHD, PTHREAD_ONCE_INIT, NULL, "" },
	[MN_DYNLIB_LINEAR] = { MN_SONAME_LINEAR, PTHREAD_ONCE_INIT, NULL, "" },
};

static void open_lib(struct lib *l)
{
	const char *why;

	l->handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (l->handle)
		return;
	why = dlerror();
	snprintf(l->error, sizeof(l->error), "could not load %s: %s", l->soname,
		 why ? why : "unknown error");
	mn_error("dynlib", "%s", l->error);
}

static void open_curl(void) { open_lib(&libs[MN_DYNLIB_CURL]); }
static void open_mhd(void) { open_lib(&libs[MN_DYNLIB_MHD]); }
static void open_linear(void) { open_lib(&libs[MN_DYNLIB_LINEAR]); }

bool mn_dynlib_load(enum mn_dynlib_id id)
{
	static void (*const openers[MN_DYNLIB_COUNT])(void) = { open_curl, open_mhd, open_linear };

	if ((unsigned)id >= MN_DYNLIB_COUNT)
		return false;
	pthread_once(&libs[id].once, openers[id]);
	return libs[id].handle != NULL;
}

bool mn_dynlib_loaded(enum mn_dynlib_id id)
{
	/* only meaningful after the once ran; a racing reader sees false */
	return (unsigned)id < MN_DYNLIB_COUNT && __atomic_load_n(&libs[id].handle, __ATOMIC_ACQUIRE);
}

const char *mn_dynlib_error(enum mn_dynlib_id id)
{
	return (unsigned)id < MN_DYNLIB_COUNT ? libs[id].error : "";
}

/* The address of `name` in library `id`, NULL (logged once per library)
 * when the library or the symbol is missing. */
static void *sym(enum mn_dynlib_id id, const char *name)
{
	void *p;

	if (!mn_dynlib_load(id))
		return NULL;
	p = dlsym(libs[id].handle, name);
	if (!p)
		mn_error("dynlib", "%s has no %s", libs[id].soname, name);
	return p;
}

/* RESOLVE(lib, var, name): the static function pointer var, resolved
 * once. Two threads racing store the same address, which is harmless. */
#define RESOLVE(id, var, name)                                                   \
	do {                                                                     \
		if (!__atomic_load_n(&(var), __ATOMIC_ACQUIRE)) {                \
			void *p_ = sym(id, name);                                \
			__typeof__(var) f_;                                      \
			memcpy(&f_, &p_, sizeof(f_)); /* object -> function */   \
			__atomic_store_n(&(var), f_, __ATOMIC_RELEASE);          \
		}                                                                \
	} while (0)

/* ---- libcurl ---- */

static char curl_unloaded_msg[300];

CURLcode curl_global_init(long flags)
{
	static CURLcode (*fn)(long);

	RESOLVE(MN_DYNLIB_CURL, fn, "curl_global_init");
	return fn ? fn(flags) : CURLE_FAILED_INIT;
}

void curl_global_cleanup(void)
{
	static void (*fn)(void);

	if (!mn_dynlib_loaded(MN_DYNLIB_CURL))
		return;
	RESOLVE(MN_DYNLIB_CURL, fn, "curl_global_cleanup");
	if (fn)
		fn();
}

const char *curl_easy_strerror(CURLcode code)
{
	static const char *(*fn)(CURLcode);

	RESOLVE(MN_DYNLIB_CURL, fn, "curl_easy_strerror");
	if (fn)
		return fn(code);
	snprintf(curl_unloaded_msg, sizeof(curl_unloaded_msg), "%s",
		 libs[MN_DYNLIB_CURL].error[0] ? libs[MN_DYNLIB_CURL].error : "libcurl is not loaded");
	return curl_unloaded_msg;
}

CURL *curl_easy_init(void)
{
	static CURL *(*fn)(void);

	RESOLVE(MN_DYNLIB_CURL, fn, "curl_easy_init");
	return fn ? fn() : NULL;
}

void curl_easy_cleanup(CURL *curl)
{
	static void (*fn)(CURL *);

	RESOLVE(MN_DYNLIB_CURL, fn, "curl_easy_cleanup");
	if (fn)
		fn(curl);
}

CURLcode curl_easy_perform(CURL *curl)
{
	static CURLcode (*fn)(CURL *);

	RESOLVE(MN_DYNLIB_CURL, fn, "curl_easy_perform");
	return fn ? fn(curl) : CURLE_FAILED_INIT;
}

CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	static CURLcode (*fn)(CURL *, CURLoption, ...);
	va_list ap;
	CURLcode rc;

	RESOLVE(MN_DYNLIB_CURL, fn, "curl_easy_setopt");
	if (!fn)
		return CURLE_FAILED_INIT;
	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT) {
		long v = va_arg(ap, long);
		rc = fn(curl, option, v);
	} else if (option >= CURLOPTTYPE_OFF_T && option < CURLOPTTYPE_BLOB) {
		curl_off_t v = va_arg(ap, curl_off_t);
		rc = fn(curl, option, v);
	} else if (option >= CURLOPTTYPE_FUNCTIONPOINT && option < CURLOPTTYPE_OFF_T) {
		void (*v)(void) = va_arg(ap, void (*)(void));
		rc = fn(curl, option, v);
	} else {
		void *v = va_arg(ap, void *);
		rc = fn(curl, option, v);
	}
	va_end(ap);
	return rc;
}

CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	static CURLcode (*fn)(CURL *, CURLINFO, ...);
	va_list ap;
	void *out;

	RESOLVE(MN_DYNLIB_CURL, fn, "curl_easy_getinfo");
	if (!fn)
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	out = va_arg(ap, void *); /* every CURLINFO takes one pointer */
	va_end(ap);
	return fn(curl, info, out);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
	static struct curl_slist *(*fn)(struct curl_slist *, const char *);

	RESOLVE(MN_DYNLIB_CURL, fn, "curl_slist_append");
	return fn ? fn(list, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *list)
{
	static void (*fn)(struct curl_slist *);

	if (!list)
		return;
	RESOLVE(MN_DYNLIB_CURL, fn, "curl_slist_free_all");
	if (fn)
		fn(list);
}

/* ---- libmicrohttpd ---- */

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port,
				    MHD_AcceptPolicyCallback apc, void *apc_cls,
				    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	static struct MHD_Daemon *(*fn)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
					MHD_AccessHandlerCallback, void *, va_list);
	struct MHD_Daemon *d;
	va_list ap;

	RESOLVE(MN_DYNLIB_MHD, fn, "MHD_start_daemon_va");
	if (!fn)
		return NULL;
	va_start(ap, dh_cls);
	d = fn(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	static void (*fn)(struct MHD_Daemon *);

	RESOLVE(MN_DYNLIB_MHD, fn, "MHD_stop_daemon");
	if (fn)
		fn(daemon);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header,
					const char *content)
{
	static enum MHD_Result (*fn)(struct MHD_Response *, const char *, const char *);

	RESOLVE(MN_DYNLIB_MHD, fn, "MHD_add_response_header");
	return fn ? fn(response, header, content) : MHD_NO;
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
						     enum MHD_ResponseMemoryMode mode)
{
	static struct MHD_Response *(*fn)(size_t, void *, enum MHD_ResponseMemoryMode);

	RESOLVE(MN_DYNLIB_MHD, fn, "MHD_create_response_from_buffer");
	return fn ? fn(size, buffer, mode) : NULL;
}

struct MHD_Response *MHD_create_response_from_fd64(uint64_t size, int fd)
{
	static struct MHD_Response *(*fn)(uint64_t, int);

	RESOLVE(MN_DYNLIB_MHD, fn, "MHD_create_response_from_fd64");
	return fn ? fn(size, fd) : NULL;
}

void MHD_destroy_response(struct MHD_Response *response)
{
	static void (*fn)(struct MHD_Response *);

	RESOLVE(MN_DYNLIB_MHD, fn, "MHD_destroy_response");
	if (fn)
		fn(response);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection,
					enum MHD_ValueKind kind, const char *key)
{
	static const char *(*fn)(struct MHD_Connection *, enum MHD_ValueKind, const char *);

	RESOLVE(MN_DYNLIB_MHD, fn, "MHD_lookup_connection_value");
	return fn ? fn(connection, kind, key) : NULL;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
				   struct MHD_Response *response)
{
	static enum MHD_Result (*fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *);

	RESOLVE(MN_DYNLIB_MHD, fn, "MHD_queue_response");
	return fn ? fn(connection, status_code, response) : MHD_NO;
}

/* ---- liblinear ---- */

struct model *train(const struct problem *prob, const struct parameter *param)
{
	static struct model *(*fn)(const struct problem *, const struct parameter *);

	RESOLVE(MN_DYNLIB_LINEAR, fn, "train");
	return fn ? fn(prob, param) : NULL;
}

const char *check_parameter(const struct problem *prob, const struct parameter *param)
{
	static const char *(*fn)(const struct problem *, const struct parameter *);

	RESOLVE(MN_DYNLIB_LINEAR, fn, "check_parameter");
	if (fn)
		return fn(prob, param);
	return libs[MN_DYNLIB_LINEAR].error[0] ? libs[MN_DYNLIB_LINEAR].error
					       : "liblinear is not loaded";
}

void free_and_destroy_model(struct model **model_ptr_ptr)
{
	static void (*fn)(struct model **);

	RESOLVE(MN_DYNLIB_LINEAR, fn, "free_and_destroy_model");
	if (fn)
		fn(model_ptr_ptr);
}

void set_print_string_function(void (*print_func)(const char *))
{
	static void (*fn)(void (*)(const char *));

	RESOLVE(MN_DYNLIB_LINEAR, fn, "set_print_string_function");
	if (fn)
		fn(print_func);
}
