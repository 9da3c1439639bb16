#include "base/signal.h"

#include <string.h>

static volatile sig_atomic_t *volatile stop_flag;

static void on_signal(int sig)
{
	volatile sig_atomic_t *f = stop_flag;

	(void)sig;
	if (f)
		*f = 1;
}

void mn_signal_stop_on(volatile sig_atomic_t *flag, const int *stop, const int *ignore)
{
	struct sigaction sa;

	stop_flag = flag;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a wait is interrupted */
	sigemptyset(&sa.sa_mask);
	for (; stop && *stop; stop++)
		sigaction(*stop, &sa, NULL);
	for (; ignore && *ignore; ignore++)
		signal(*ignore, SIG_IGN);
}
