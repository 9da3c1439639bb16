#include "base/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t mn_time_now_ms(void)
{
	const char *fake = getenv("MNEMO_FAKE_NOW");
	struct timespec ts;
	int64_t v;

	if (fake && *fake) {
		char *end;
		long long n = strtoll(fake, &end, 10);

		if (*end == '\0')
			return n;
		if (mn_time_parse(&v, fake))
			return v;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mn_time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mn_time_format(char out[MN_TIME_LEN], int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	char tmp[64];

	if (ms < 0)
		ms = 0;
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
		 tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, (int)(ms % 1000));
	memcpy(out, tmp, MN_TIME_LEN - 1);
	out[MN_TIME_LEN - 1] = '\0';
}

void mn_time_now_str(char out[MN_TIME_LEN])
{
	mn_time_format(out, mn_time_now_ms());
}

bool mn_time_parse(int64_t *out, const char *s)
{
	struct tm tm;
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, msec = 0, n = 0;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return false;
	p = s + n;
	if (*p == 'T' || *p == ' ') {
		if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || n != 8)
			return false;
		p += 1 + n;
		if (*p == '.') {
			int digits = 0;

			p++;
			while (*p >= '0' && *p <= '9') {
				if (digits < 3)
					msec = msec * 10 + (*p - '0');
				digits++;
				p++;
			}
			for (; digits < 3; digits++)
				msec *= 10;
		}
		if (*p == 'Z')
			p++;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (int64_t)timegm(&tm) * 1000 + msec;
	return true;
}

int mn_time_local_minutes(int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&secs, &tm);
	return tm.tm_hour * 60 + tm.tm_min;
}

void mn_time_sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}
