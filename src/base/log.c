#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/timeutil.h"

static enum mn_log_level current_level = MN_LOG_INFO;
static int log_fd = -1; /* -1 = stderr */

static const char *const names[] = { "debug", "info", "warn", "error", "off" };

void mn_log_set_level(enum mn_log_level level)
{
	current_level = level;
}

int mn_log_level_parse(const char *s)
{
	for (int i = 0; i <= MN_LOG_OFF; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* A daemon creates the directory its log goes to, private as the data
 * home is; errno says why when it cannot. */
static int make_parent_dir(const char *path)
{
	char *dir = mn_file_dirname(path);
	int ret = 0;

	if (!mn_file_is_dir(dir)) {
		errno = 0;
		if (mn_file_mkdir_p(dir, 0700, NULL)) {
			if (!errno || errno == EEXIST)
				errno = ENOTDIR;
			ret = -1;
		}
	}
	free(dir);
	return ret;
}

int mn_log_open_file(const char *path)
{
	int fd;

	mn_log_close();
	if (!path)
		return 0;
	if (make_parent_dir(path) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return -1;
	log_fd = fd;
	return 0;
}

void mn_log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

void mn_log(enum mn_log_level level, const char *component, const char *fmt, ...)
{
	char line[2048], ts[32];
	va_list ap;
	int n, m;
	int saved = errno;

	if (level < current_level || level >= MN_LOG_OFF)
		return;
	mn_time_format(ts, mn_time_now_ms());
	n = snprintf(line, sizeof(line), "%s %-5s %s: ", ts, names[level], component);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(log_fd >= 0 ? log_fd : STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report a failed log write */
	}
	errno = saved;
}

void mn_log_vline_fd(int fd, const char *fmt, va_list ap)
{
	struct mn_buf b = MN_BUF_INIT;
	char now[MN_TIME_LEN];

	if (fd < 0)
		return;
	mn_time_now_str(now);
	mn_buf_addf(&b, "%s [mnemo] ", now);
	mn_buf_vaddf(&b, fmt, ap);
	mn_buf_addc(&b, '\n');
	if (write(fd, b.data, b.len) < 0)
		mn_debug("log", "could not write a run log line: %s", strerror(errno));
	mn_buf_release(&b);
}
