/*
 * file.h - file I/O: bounded reads, the one atomic-write helper, directories.
 *
 * Files that matter are written with mn_file_write_atomic: temp file in the
 * same directory, write all, fsync, close, rename, fsync the directory; on
 * failure the old file is untouched. Every fd is opened O_CLOEXEC.
 */
#ifndef MN_FILE_H
#define MN_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/err.h"

/* Read a whole file into out (NUL-terminated); MN_EINVAL if over limit bytes,
 * MN_ENOTFOUND if missing. */
int mn_file_read(struct mn_buf *out, const char *path, size_t limit, struct mn_err *err);
/* Atomically replace path with (data, len), file mode `mode`. The temp
 * file beside it gets a fresh name and is created O_EXCL|O_NOFOLLOW with
 * mode 0600 (then set to `mode`), so nothing at the temp name - a link or
 * another writer's file - is written through. */
int mn_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 struct mn_err *err);
/* mkdir -p with `mode` for created directories. */
int mn_file_mkdir_p(const char *path, mode_t mode, struct mn_err *err);
/* fsync a directory so a rename inside it is durable. */
int mn_file_fsync_dir(const char *dir, struct mn_err *err);
bool mn_file_exists(const char *path);
bool mn_file_is_dir(const char *path);
/* True when dir exists and holds at least one entry besides . and .. */
bool mn_file_dir_nonempty(const char *dir);
/* rm -rf; missing path is success. */
int mn_file_remove_tree(const char *path, struct mn_err *err);
/* Deepest directory nesting mn_file_copy_tree and mn_file_check_tree accept. */
#define MN_FILE_TREE_DEPTH 32
/* mn_file_copy_tree flags: follow symbolic links in src (default: refuse them). */
#define MN_FILE_COPY_FOLLOW 1u
/* Copy src (a directory tree or one file) to dst, which must not exist yet:
 * directories are created 0700, regular files 0600 (fsynced, at most
 * MN_LIMIT_COPY_BYTES each). Anything else - a symbolic link (unless
 * MN_FILE_COPY_FOLLOW), FIFO, socket or device - is MN_EINVAL naming it and
 * is never opened, so no source can block the copy. On failure dst may
 * hold a partial copy (the caller removes it). */
int mn_file_copy_tree(const char *src, const char *dst, unsigned flags, struct mn_err *err);
/* Check that dir is a directory (not a link to one) holding only regular
 * files and directories, at most MN_FILE_TREE_DEPTH deep, without opening
 * any file or following any link: MN_EINVAL naming the first other entry
 * ("'<dir>/x' is a FIFO: only regular files and directories are accepted"). */
int mn_file_check_tree(const char *dir, struct mn_err *err);
/* Lowercase hex sha256 of a file into out[65]. */
int mn_file_sha256(char out[65], const char *path, struct mn_err *err);
/* Atomically point symlink `link` at `target` (new link + rename). */
int mn_file_symlink_atomic(const char *target, const char *link, struct mn_err *err);
/* Heap copy of the directory part of path ("." if none). */
char *mn_file_dirname(const char *path);

#endif
