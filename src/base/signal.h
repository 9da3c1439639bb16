/*
 * signal.h - the stop flag a long-running command polls.
 *
 * One helper for the front ends (dream, mcp, serve, train run): a handler
 * that sets a flag on the named signals, and SIG_IGN on others.
 */
#ifndef MN_SIGNAL_H
#define MN_SIGNAL_H

#include <signal.h>

/* Set *flag = 1 on each signal in stop (0-terminated), with an empty mask
 * and no SA_RESTART, so a blocking call returns EINTR and the caller can
 * look at the flag. Then ignore each signal in ignore (0-terminated; may be
 * NULL). One flag per process: a later call replaces the earlier one. */
void mn_signal_stop_on(volatile sig_atomic_t *flag, const int *stop, const int *ignore);

#endif
