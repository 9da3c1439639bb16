/*
 * err.h - error codes and the caller-owned error detail.
 *
 * Actions return 0 or a negative MN_E... code. Details go into a
 * caller-owned struct mn_err, set once where the failure is detected.
 */
#ifndef MN_ERR_H
#define MN_ERR_H

enum {
	MN_OK = 0,
	MN_EFAIL = -1,     /* generic failure */
	MN_EINVAL = -2,    /* bad input from a user, client or file */
	MN_ENOTFOUND = -3, /* the named thing does not exist */
	MN_EIO = -4,       /* file system or database I/O */
	MN_ETIMEOUT = -5,  /* a child, request or lock ran out of time */
	MN_EBUSY = -6,     /* someone else holds the resource */
	MN_EVERSION = -7,  /* data from a newer/unknown version */
	MN_EHTTP = -8,     /* network or HTTP failure */
	MN_EPARSE = -9,    /* could not parse outside bytes */
	MN_EDECLINED = -10,/* a request was declined on purpose (reason in msg) */
	MN_EINTR = -11,    /* interrupted by a signal */
};

struct mn_err {
	int code;
	char msg[256];
};

#define MN_ERR_INIT { 0, { 0 } }

/* Record code and message; returns code so callers can `return mn_err_set(...)`. */
int mn_err_set(struct mn_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void mn_err_clear(struct mn_err *err);

#endif
