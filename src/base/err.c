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
