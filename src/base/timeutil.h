/*
 * timeutil.h - the one time format (UTC ISO-8601 with milliseconds) and
 * the clock.
 *
 * The clock can be set for tests through MNEMO_FAKE_NOW (an ISO time or
 * epoch milliseconds); everything that decides by time asks mn_time_now_ms.
 */
#ifndef MN_TIMEUTIL_H
#define MN_TIMEUTIL_H

#include <stdbool.h>
#include <stdint.h>

#define MN_TIME_LEN 25 /* "2026-04-14T06:00:00.123Z" + NUL */

/* Wall clock in epoch milliseconds (honours MNEMO_FAKE_NOW). */
int64_t mn_time_now_ms(void);
/* Monotonic clock in milliseconds, for timeouts. */
int64_t mn_time_mono_ms(void);
/* Format epoch ms as 2026-04-14T06:00:00.123Z into out[MN_TIME_LEN]. */
void mn_time_format(char out[MN_TIME_LEN], int64_t ms);
/* Current time, formatted. */
void mn_time_now_str(char out[MN_TIME_LEN]);
/* Parse ISO-8601 (date, date+time, with optional ms and Z) into epoch ms. */
bool mn_time_parse(int64_t *out, const char *s);
/* Minutes since local midnight of epoch ms (for training windows). */
int mn_time_local_minutes(int64_t ms);
void mn_time_sleep_ms(int64_t ms);

#endif
