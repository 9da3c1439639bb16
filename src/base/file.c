#include "base/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

int mn_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 struct mn_err *err)
{
	char *tmp = mn_xasprintf("%s.tmp.%ld", path, (long)getpid());
	char *dir = mn_file_dirname(path);
	int fd = -1, ret = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		ret = mn_err_set(err, MN_EIO, "could not create '%s': %s", tmp, strerror(errno));
		goto out;
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
	if (ret)
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

static int copy_file(const char *src, const char *dst, mode_t mode, struct mn_err *err)
{
	struct mn_buf b = MN_BUF_INIT;
	int ret = mn_file_read(&b, src, MN_LIMIT_COPY_BYTES, err);

	if (!ret)
		ret = mn_file_write_atomic(dst, b.data, b.len, mode & 0777, err);
	mn_buf_release(&b);
	return ret;
}

int mn_file_copy_tree(const char *src, const char *dst, struct mn_err *err)
{
	struct stat st;
	DIR *d = NULL;
	struct dirent *e;
	int ret = 0;

	if (stat(src, &st) < 0)
		return mn_err_set(err, MN_EIO, "could not stat '%s': %s", src, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return copy_file(src, dst, st.st_mode, err);
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
		ret = mn_file_copy_tree(s, t, err);
		free(s);
		free(t);
	}
	closedir(d);
	return ret;
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
