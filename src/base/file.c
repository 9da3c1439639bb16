#include "base/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/limits.h"
#include "base/sha256.h"

int mn_file_read(struct mn_buf *out, const char *path, size_t limit, struct mn_err *err)
{
	int fd = -1, ret = 0;
	char chunk[65536];
	ssize_t n;

	mn_buf_reset(out);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = mn_err_set(err, errno == ENOENT ? MN_ENOTFOUND : MN_EIO,
				 "could not open '%s': %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = mn_err_set(err, MN_EIO, "could not read '%s': %s", path,
					 strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > limit) {
			ret = mn_err_set(err, MN_EINVAL, "file '%s' is larger than %zu bytes",
					 path, limit);
			goto out;
		}
		mn_buf_add(out, chunk, (size_t)n);
	}
	mn_buf_add(out, "", 0);
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

char *mn_file_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return mn_xstrdup(".");
	if (slash == path)
		return mn_xstrdup("/");
	return mn_xstrndup(path, (size_t)(slash - path));
}

int mn_file_fsync_dir(const char *dir, struct mn_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return mn_err_set(err, MN_EIO, "could not open directory '%s': %s", dir,
				  strerror(errno));
	if (fsync(fd) < 0 && errno != EINVAL)
		ret = mn_err_set(err, MN_EIO, "could not fsync directory '%s': %s", dir,
				 strerror(errno));
	close(fd);
	return ret;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Distinguishes the temp files of concurrent writers in one process. */
static atomic_uint tmp_seq;

int mn_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 struct mn_err *err)
{
	char *tmp = NULL;
	char *dir = mn_file_dirname(path);
	int fd = -1, ret = 0;

	/* A fresh name, created here (O_EXCL) and never through a link: an
	 * existing file or symlink at the temp name is not written through.
	 * 0600 until fchmod sets the requested mode. */
	for (int tries = 0; fd < 0; tries++) {
		free(tmp);
		tmp = mn_xasprintf("%s.tmp.%ld.%u", path, (long)getpid(),
				   atomic_fetch_add(&tmp_seq, 1u));
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && (errno != EEXIST || tries >= 1000)) {
			ret = mn_err_set(err, MN_EIO, "could not create '%s': %s", tmp,
					 strerror(errno));
			free(tmp);
			tmp = NULL;
			goto out;
		}
	}
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		ret = mn_err_set(err, MN_EIO, "could not write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		ret = mn_err_set(err, MN_EIO, "could not close '%s': %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		ret = mn_err_set(err, MN_EIO, "could not rename '%s' to '%s': %s", tmp, path,
				 strerror(errno));
		goto out;
	}
	ret = mn_file_fsync_dir(dir, err);
out:
	if (fd >= 0)
		close(fd);
	if (ret && tmp)
		unlink(tmp);
	free(tmp);
	free(dir);
	return ret;
}

int mn_file_mkdir_p(const char *path, mode_t mode, struct mn_err *err)
{
	char *p = mn_xstrdup(path);
	int ret = 0;

	for (char *s = p + 1; ; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			ret = mn_err_set(err, MN_EIO, "could not create directory '%s': %s", p,
					 strerror(errno));
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	if (!mn_file_is_dir(path))
		ret = mn_err_set(err, MN_EIO, "'%s' exists and is not a directory", path);
out:
	free(p);
	return ret;
}

bool mn_file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

bool mn_file_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool mn_file_dir_nonempty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			found = true;
			break;
		}
	}
	closedir(d);
	return found;
}

int mn_file_remove_tree(const char *path, struct mn_err *err)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int ret = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : mn_err_set(err, MN_EIO, "could not stat '%s': %s",
							  path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0)
			return mn_err_set(err, MN_EIO, "could not remove '%s': %s", path,
					  strerror(errno));
		return 0;
	}
	d = opendir(path);
	if (!d)
		return mn_err_set(err, MN_EIO, "could not open '%s': %s", path, strerror(errno));
	while (!ret && (e = readdir(d))) {
		char *child;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		child = mn_xasprintf("%s/%s", path, e->d_name);
		ret = mn_file_remove_tree(child, err);
		free(child);
	}
	closedir(d);
	if (!ret && rmdir(path) < 0)
		ret = mn_err_set(err, MN_EIO, "could not remove '%s': %s", path, strerror(errno));
	return ret;
}

/* What a file that is neither regular nor a directory is, for messages. */
static const char *kind_of(mode_t m)
{
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a regular file";
}

static int refuse(struct mn_err *err, const char *path, mode_t m)
{
	return mn_err_set(err, MN_EINVAL,
			  "'%s' is %s: only regular files and directories are accepted", path,
			  kind_of(m));
}

/* Copy one regular file into a new dst (0600, fsynced), streaming. The
 * source is opened non-blocking and checked again after open, so a file
 * swapped for a FIFO or device in between is refused, not waited on. */
static int copy_regular(const char *src, const char *dst, bool follow, struct mn_err *err)
{
	char chunk[65536];
	struct stat st;
	int in = -1, out = -1, ret = 0;
	long long total = 0;

	in = open(src, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (in < 0) {
		if (errno == ELOOP)
			return refuse(err, src, S_IFLNK);
		return mn_err_set(err, MN_EIO, "could not open '%s': %s", src, strerror(errno));
	}
	if (fstat(in, &st) < 0) {
		ret = mn_err_set(err, MN_EIO, "could not stat '%s': %s", src, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = refuse(err, src, st.st_mode);
		goto out;
	}
	if (fcntl(in, F_SETFL, fcntl(in, F_GETFL) & ~O_NONBLOCK) < 0) {
		ret = mn_err_set(err, MN_EIO, "could not read '%s': %s", src, strerror(errno));
		goto out;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		ret = mn_err_set(err, MN_EIO, "could not create '%s': %s", dst, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = read(in, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = mn_err_set(err, MN_EIO, "could not read '%s': %s", src,
					 strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		total += n;
		if (total > MN_LIMIT_COPY_BYTES) {
			ret = mn_err_set(err, MN_EINVAL, "file '%s' is larger than %lld bytes", src,
					 (long long)MN_LIMIT_COPY_BYTES);
			goto out;
		}
		if (write_all(out, chunk, (size_t)n) < 0) {
			ret = mn_err_set(err, MN_EIO, "could not write '%s': %s", dst,
					 strerror(errno));
			goto out;
		}
	}
	if (fsync(out) < 0) {
		ret = mn_err_set(err, MN_EIO, "could not write '%s': %s", dst, strerror(errno));
		goto out;
	}
	ret = close(out) < 0 ? mn_err_set(err, MN_EIO, "could not close '%s': %s", dst,
					  strerror(errno))
			     : 0;
	out = -1;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return ret;
}

static int copy_tree(const char *src, const char *dst, bool follow, int depth,
		     struct mn_err *err)
{
	struct stat st;
	DIR *d = NULL;
	struct dirent *e;
	int ret = 0;

	if ((follow ? stat(src, &st) : lstat(src, &st)) < 0)
		return mn_err_set(err, MN_EIO, "could not stat '%s': %s", src, strerror(errno));
	if (S_ISREG(st.st_mode))
		return copy_regular(src, dst, follow, err);
	if (!S_ISDIR(st.st_mode))
		return refuse(err, src, st.st_mode);
	if (depth > MN_FILE_TREE_DEPTH)
		return mn_err_set(err, MN_EINVAL, "'%s' is nested more than %d levels deep", src,
				  MN_FILE_TREE_DEPTH);
	ret = mn_file_mkdir_p(dst, 0700, err);
	if (ret)
		return ret;
	d = opendir(src);
	if (!d)
		return mn_err_set(err, MN_EIO, "could not open '%s': %s", src, strerror(errno));
	while (!ret && (e = readdir(d))) {
		char *s, *t;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		s = mn_xasprintf("%s/%s", src, e->d_name);
		t = mn_xasprintf("%s/%s", dst, e->d_name);
		ret = copy_tree(s, t, follow, depth + 1, err);
		free(s);
		free(t);
	}
	closedir(d);
	return ret;
}

int mn_file_copy_tree(const char *src, const char *dst, unsigned flags, struct mn_err *err)
{
	return copy_tree(src, dst, (flags & MN_FILE_COPY_FOLLOW) != 0, 0, err);
}

static int check_tree(int dfd, const char *path, int depth, struct mn_err *err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	int ret = 0;

	if (!d) {
		close(dfd);
		return mn_err_set(err, MN_EIO, "could not open '%s': %s", path, strerror(errno));
	}
	while (!ret && (e = readdir(d))) {
		struct stat st;
		char *child;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		child = mn_xasprintf("%s/%s", path, e->d_name);
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = mn_err_set(err, MN_EIO, "could not stat '%s': %s", child,
					 strerror(errno));
		} else if (S_ISDIR(st.st_mode) && depth >= MN_FILE_TREE_DEPTH) {
			ret = mn_err_set(err, MN_EINVAL, "'%s' is nested more than %d levels deep",
					 child, MN_FILE_TREE_DEPTH);
		} else if (S_ISDIR(st.st_mode)) {
			int fd = openat(dfd, e->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			ret = fd < 0 ? mn_err_set(err, MN_EIO, "could not open '%s': %s", child,
						  strerror(errno))
				     : check_tree(fd, child, depth + 1, err);
		} else if (!S_ISREG(st.st_mode)) {
			ret = refuse(err, child, st.st_mode);
		}
		free(child);
	}
	closedir(d);
	return ret;
}

int mn_file_check_tree(const char *dir, struct mn_err *err)
{
	struct stat st;
	int fd;

	if (lstat(dir, &st) < 0)
		return mn_err_set(err, errno == ENOENT ? MN_ENOTFOUND : MN_EIO,
				  "could not stat '%s': %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode)
			       ? mn_err_set(err, MN_EINVAL, "'%s' is not a directory", dir)
			       : refuse(err, dir, st.st_mode);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return mn_err_set(err, MN_EIO, "could not open '%s': %s", dir, strerror(errno));
	return check_tree(fd, dir, 0, err);
}

int mn_file_sha256(char out[65], const char *path, struct mn_err *err)
{
	struct mn_sha256 ctx;
	unsigned char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return mn_err_set(err, errno == ENOENT ? MN_ENOTFOUND : MN_EIO,
				  "could not open '%s': %s", path, strerror(errno));
	mn_sha256_init(&ctx);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = mn_err_set(err, MN_EIO, "could not read '%s': %s", path,
					 strerror(errno));
			break;
		}
		mn_sha256_update(&ctx, chunk, (size_t)n);
	}
	close(fd);
	if (!ret)
		mn_sha256_hex(&ctx, out);
	return ret;
}

int mn_file_symlink_atomic(const char *target, const char *link, struct mn_err *err)
{
	char *tmp = mn_xasprintf("%s.new.%ld", link, (long)getpid());
	char *dir = mn_file_dirname(link);
	int ret = 0;

	unlink(tmp);
	if (symlink(target, tmp) < 0) {
		ret = mn_err_set(err, MN_EIO, "could not create link '%s': %s", tmp,
				 strerror(errno));
		goto out;
	}
	if (rename(tmp, link) < 0) {
		ret = mn_err_set(err, MN_EIO, "could not rename '%s' to '%s': %s", tmp, link,
				 strerror(errno));
		unlink(tmp);
		goto out;
	}
	ret = mn_file_fsync_dir(dir, err);
out:
	free(tmp);
	free(dir);
	return ret;
}
