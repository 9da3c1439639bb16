/*
 * log.h - one line per event: UTC time, level, component, message.
 *
 * Logs go to stderr (default) or an append-only file, one write(2) per
 * line, so concurrent processes never interleave inside a line. Never log
 * secrets or whole prompts at info level.
 */
#ifndef MN_LOG_H
#define MN_LOG_H

#include <stdarg.h>

enum mn_log_level { MN_LOG_DEBUG, MN_LOG_INFO, MN_LOG_WARN, MN_LOG_ERROR, MN_LOG_OFF };

void mn_log_set_level(enum mn_log_level level);
/* Parse "debug|info|warn|error|off"; -1 when unknown. */
int mn_log_level_parse(const char *s);
/* Log to this file (append, 0600) instead of stderr; NULL = stderr. A
 * missing parent directory is created (0700). -1 with errno on failure. */
int mn_log_open_file(const char *path);
void mn_log_close(void);
void mn_log(enum mn_log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append "<UTC time> [mnemo] <message>\n" to fd in one write (a training
 * run's train.log, beside its trainer's output); fd < 0 = nowhere. */
void mn_log_vline_fd(int fd, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define mn_debug(comp, ...) mn_log(MN_LOG_DEBUG, comp, __VA_ARGS__)
#define mn_info(comp, ...) mn_log(MN_LOG_INFO, comp, __VA_ARGS__)
#define mn_warn(comp, ...) mn_log(MN_LOG_WARN, comp, __VA_ARGS__)
#define mn_error(comp, ...) mn_log(MN_LOG_ERROR, comp, __VA_ARGS__)

#endif
