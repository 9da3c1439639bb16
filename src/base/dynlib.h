/*
 * dynlib.h - libcurl, libmicrohttpd and liblinear loaded on first use.
 *
 * Most mnemo processes are short CLI commands from agent hooks. Linking
 * these three libraries made every process pay for the dynamic loader
 * mapping and relocating their ~35 dependencies (TLS stacks, Kerberos,
 * LDAP, BLAS, libstdc++): about 19M of the 20M instructions `mnemo version`
 * cost. The binary is therefore linked without them; dynlib.c defines the
 * few functions mnemo calls from each (same names, same signatures) and
 * forwards them to the real library, which it dlopen()s the first time one
 * of them is called. Callers (model/llm.c, serve/http.c, train/...) are
 * written against the libraries' own headers and do not know.
 *
 * When a library cannot be loaded its entry points fail the way the
 * library's own failure would (curl_global_init returns CURLE_FAILED_INIT,
 * MHD_start_daemon NULL, check_parameter an error string), and the reason
 * (dlerror) is logged once at error level and returned by
 * mn_dynlib_error().
 *
 * The sonames come from the build (Makefile: MN_SONAME_CURL, _MHD,
 * _LINEAR, read from the development libraries' .so links), so the ABI
 * loaded is the one compiled against.
 */
#ifndef MN_DYNLIB_H
#define MN_DYNLIB_H

#include <stdbool.h>

enum mn_dynlib_id { MN_DYNLIB_CURL, MN_DYNLIB_MHD, MN_DYNLIB_LINEAR, MN_DYNLIB_COUNT };

/* Load the library now (idempotent, thread-safe); false when it cannot be. */
bool mn_dynlib_load(enum mn_dynlib_id id);
/* Whether this process has loaded it (a CLI command that needs no HTTP
 * model keeps this false for curl). */
bool mn_dynlib_loaded(enum mn_dynlib_id id);
/* Why the last load of `id` failed ("" when it did not). */
const char *mn_dynlib_error(enum mn_dynlib_id id);

#endif
