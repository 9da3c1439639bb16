#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>

int mn_err_set(struct mn_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void mn_err_clear(struct mn_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

int mn_err_exit_code(int code)
{
	switch (code) {
	case MN_OK:
		return 0;
	case MN_EINVAL:
	case MN_EPARSE:
		return 4;
	case MN_ENOTFOUND:
		return 3;
	case MN_EBUSY:
	case MN_EDECLINED:
		return 5;
	default:
		return 1;
	}
}
