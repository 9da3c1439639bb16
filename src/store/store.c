#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/dates.h"
#include "base/file.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/sha256.h"
#include "base/text.h"
#include "store/store_internal.h"
#include "store/store_schema.h"

_Static_assert(MN_STORE_N_MIGRATIONS == MN_STORE_SCHEMA_VERSION,
	       "MN_STORE_SCHEMA_VERSION must equal the number of migrations");

/* ---- internal helpers shared with store_<area>.c ---- */

int mn_store_fail(struct mn_store *st, struct mn_err *err, const char *what)
{
	int rc = sqlite3_extended_errcode(st->db) & 0xff;
	int code = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? MN_EBUSY : MN_EIO;

	return mn_err_set(err, code, "could not %s: %s", what, sqlite3_errmsg(st->db));
}

sqlite3_stmt *mn_store_stmt(struct mn_store *st, const char *sql, struct mn_err *err)
{
	sqlite3_stmt *s = NULL;

	for (int i = 0; i < st->ncached; i++) {
		if (st->sql[i] == sql) {
			sqlite3_reset(st->stmt[i]);
			sqlite3_clear_bindings(st->stmt[i]);
			return st->stmt[i];
		}
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
		mn_store_fail(st, err, "prepare statement");
		return NULL;
	}
	if (st->ncached < MN_STORE_STMT_CACHE) {
		st->sql[st->ncached] = sql;
		st->stmt[st->ncached++] = s;
	} else {
		/* Cache full is a programming error: keep working, but leak-free. */
		mn_warn("store", "statement cache full");
		sqlite3_finalize(st->stmt[0]);
		st->sql[0] = sql;
		st->stmt[0] = s;
	}
	return s;
}

void mn_store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

const char *mn_store_col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

void mn_store_col_copy(char *dst, size_t cap, sqlite3_stmt *s, int i)
{
	const char *t = mn_store_col_text(s, i);

	snprintf(dst, cap, "%s", t ? t : "");
}

char *mn_store_col_dup(sqlite3_stmt *s, int i)
{
	const char *t = mn_store_col_text(s, i);

	return t ? mn_xstrndup(t, (size_t)sqlite3_column_bytes(s, i)) : NULL;
}

json_t *mn_store_col_json(sqlite3_stmt *s, int i)
{
	const char *t = mn_store_col_text(s, i);

	if (!t)
		return NULL;
	return json_loadb(t, (size_t)sqlite3_column_bytes(s, i), 0, NULL);
}

int mn_store_step_done(struct mn_store *st, sqlite3_stmt *s, struct mn_err *err,
		       const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mn_store_fail(st, err, what);
	return 0;
}

/* ---- recall index keys (store_recall.c ranks; docs/recall.md) ---- */

char *mn_store_date_keys(const char *content, size_t len, const char *occurred_at)
{
	struct mn_date dates[MN_DATES_MAX], day;
	struct mn_buf b = MN_BUF_INIT;
	int64_t ref = 0;
	size_t n;

	if (!occurred_at || !mn_time_parse(&ref, occurred_at))
		ref = mn_time_now_ms();
	mn_dates_day(&day, ref);
	mn_dates_index_keys(&b, &day);
	n = mn_dates_find(dates, MN_DATES_MAX, content, len, ref);
	for (size_t i = 0; i < n; i++)
		mn_dates_index_keys(&b, &dates[i]);
	return mn_buf_detach(&b, NULL);
}

char *mn_store_keyterms(const json_t *sc)
{
	struct mn_buf b = MN_BUF_INIT;
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(sc, "entities"), i, v) {
		const char *name = mn_json_str(v, "name", NULL);

		if (name)
			mn_buf_addf(&b, "%s%s", b.len ? " " : "", name);
	}
	json_array_foreach(json_object_get(sc, "topics"), i, v) {
		const char *label = mn_json_str(v, "label", NULL);

		if (label)
			mn_buf_addf(&b, "%s%s", b.len ? " " : "", label);
	}
	return mn_buf_detach(&b, NULL);
}

static void sql_date_keys(sqlite3_context *c, int n, sqlite3_value **v)
{
	const char *content = (const char *)sqlite3_value_text(v[0]);
	char *keys = mn_store_date_keys(content ? content : "", (size_t)sqlite3_value_bytes(v[0]),
					(const char *)sqlite3_value_text(v[1]));

	sqlite3_result_text(c, keys, -1, free);
}

static void sql_keyterms(sqlite3_context *c, int n, sqlite3_value **v)
{
	const char *text = (const char *)sqlite3_value_text(v[0]);
	json_t *sc = text ? json_loads(text, 0, NULL) : NULL;
	char *keys = mn_store_keyterms(sc);

	json_decref(sc);
	sqlite3_result_text(c, keys, -1, free);
}

/* ---- open, migrate, close ---- */

static int exec(struct mn_store *st, const char *sql, struct mn_err *err, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		mn_err_set(err, MN_EIO, "could not %s: %s", what, msg ? msg : "unknown error");
		sqlite3_free(msg);
		return MN_EIO;
	}
	return 0;
}

static int user_version(struct mn_store *st, int *out, struct mn_err *err)
{
	sqlite3_stmt *s = NULL;
	int ret = 0;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		ret = mn_store_fail(st, err, "read schema version");
		goto out;
	}
	*out = sqlite3_column_int(s, 0);
out:
	sqlite3_finalize(s);
	return ret;
}

/* Schema version 0 is a database no mnemo has migrated; one that holds
 * tables already belongs to another program, and is left alone. Called
 * under the write lock, so a concurrent first migration is not mistaken
 * for one. */
static int check_foreign(struct mn_store *st, struct mn_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT name FROM sqlite_schema LIMIT 1", -1, &s, NULL) !=
	    SQLITE_OK)
		return mn_store_fail(st, err, "read the schema");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		ret = mn_err_set(err, MN_EIO,
				 "database '%s' is corrupt or not a mnemo database: it has "
				 "tables but no mnemo schema version; move it aside to start "
				 "fresh or restore a backup",
				 st->path);
	else if (rc != SQLITE_DONE)
		ret = mn_store_fail(st, err, "read the schema");
	sqlite3_finalize(s);
	return ret;
}

/* Migration 7 stores a memory in about 40% of the space, but SQLite
 * keeps the freed pages in the file: give them back once, right after
 * migrating (a VACUUM cannot run inside the migration's transaction).
 * Best effort: when it cannot run now (another process writing, no room
 * for the copy), the store works as it is and `sqlite3 mnemo.db VACUUM`
 * with mnemo stopped does it later (docs/architecture.md). */
#define MN_STORE_COMPACT_SCHEMA 7

static void compact(struct mn_store *st)
{
	struct mn_err err = MN_ERR_INIT;
	struct stat before, after;
	bool sized = stat(st->path, &before) == 0;

	mn_info("store", "compacting '%s' after migration %d (once)", st->path,
		MN_STORE_COMPACT_SCHEMA);
	if (exec(st, "VACUUM", &err, "compact the database")) {
		mn_warn("store", "%s; the freed space stays in the file until `sqlite3 '%s' VACUUM` "
			"runs with mnemo stopped", err.msg, st->path);
		return;
	}
	/* the copy went through the WAL: give that back too */
	exec(st, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, "checkpoint");
	if (sized && stat(st->path, &after) == 0)
		mn_info("store", "compacted '%s': %.1f MB -> %.1f MB", st->path,
			(double)before.st_size / 1e6, (double)after.st_size / 1e6);
}

/* A migration that rebuilds a table runs with foreign keys off (dropping
 * the old table would cascade into its children): this checks, before its
 * commit, that every reference still holds. */
static int check_references(struct mn_store *st, struct mn_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(st->db, "PRAGMA foreign_key_check", -1, &s, NULL) != SQLITE_OK)
		return mn_store_fail(st, err, "check references");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		ret = mn_err_set(err, MN_EIO, "migration left a row of '%s' without its parent '%s'",
				 mn_store_col_text(s, 0), mn_store_col_text(s, 2));
	else if (rc != SQLITE_DONE)
		ret = mn_store_fail(st, err, "check references");
	sqlite3_finalize(s);
	return ret;
}

static int migrate_steps(struct mn_store *st, int *from, int *v, struct mn_err *err);

static int migrate(struct mn_store *st, struct mn_err *err)
{
	int v = 0, from = 0, ret;

	ret = user_version(st, &v, err);
	if (ret || v == (int)MN_STORE_N_MIGRATIONS)
		return ret;
	/* a no-op inside a transaction: set around them */
	ret = exec(st, "PRAGMA foreign_keys=OFF", err, "configure migration");
	if (!ret)
		ret = migrate_steps(st, &from, &v, err);
	if (exec(st, "PRAGMA foreign_keys=ON", ret ? NULL : err, "configure database") && !ret)
		ret = MN_EIO;
	if (!ret && from > 0 && from < MN_STORE_COMPACT_SCHEMA && v < MN_STORE_COMPACT_SCHEMA)
		compact(st);
	return ret;
}

static int migrate_steps(struct mn_store *st, int *from_out, int *v_out, struct mn_err *err)
{
	int v = 0, from, ret;

	ret = user_version(st, &v, err);
	if (ret)
		return ret;
	from = v;
	if (v > (int)MN_STORE_N_MIGRATIONS)
		return mn_err_set(err, MN_EVERSION,
				  "database '%s' has schema version %d, newer than this mnemo "
				  "(%d); upgrade mnemo or use another MNEMO_HOME",
				  st->path, v, (int)MN_STORE_N_MIGRATIONS);
	for (int n = v + 1; n <= (int)MN_STORE_N_MIGRATIONS; n++) {
		char pragma[64];

		ret = exec(st, "BEGIN IMMEDIATE", err, "begin migration");
		if (ret)
			return ret;
		/* Re-check under the write lock: another process may have migrated. */
		ret = user_version(st, &v, err);
		if (!ret && v == 0)
			ret = check_foreign(st, err);
		if (ret || v >= n) {
			exec(st, "ROLLBACK", NULL, "rollback");
			if (ret)
				return ret;
			continue;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", n);
		for (const char *const *q = mn_store_migrations[n - 1]; *q && !ret; q++)
			ret = exec(st, *q, err, "apply migration");
		if (!ret)
			ret = check_references(st, err);
		if (!ret)
			ret = exec(st, pragma, err, "set schema version");
		if (!ret)
			ret = exec(st, "COMMIT", err, "commit migration");
		if (ret) {
			exec(st, "ROLLBACK", NULL, "rollback");
			return ret;
		}
		/* a new data home is created, not migrated: no chatter */
		if (from == 0)
			mn_debug("store", "applied migration %d", n);
		else
			mn_info("store", "applied migration %d", n);
	}
	*from_out = from;
	*v_out = v;
	return 0;
}

/* "file:" URI for path with every byte that could be URI syntax escaped. */
static char *path_uri(const char *path, const char *query)
{
	struct mn_buf b = MN_BUF_INIT;

	mn_buf_adds(&b, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (isalnum(*p) || *p == '/' || *p == '.' || *p == '-' || *p == '_')
			mn_buf_addc(&b, (char)*p);
		else
			mn_buf_addf(&b, "%%%02X", *p);
	}
	mn_buf_addf(&b, "?%s", query);
	return mn_buf_detach(&b, NULL);
}

/* A database we may read but not write (a read-only data home): recall
 * and status still work. WAL needs its -shm file; when that cannot be
 * created (read-only directory, no -wal left behind) no writer can be
 * running either, and the file is read as immutable. */
static int open_readonly(struct mn_store *st, struct mn_err *err)
{
	static const char *const queries[] = { "mode=ro", "immutable=1" };
	int rc = SQLITE_CANTOPEN;

	for (size_t i = 0; i < sizeof(queries) / sizeof(*queries); i++) {
		char *uri = path_uri(st->path, queries[i]);

		rc = sqlite3_open_v2(uri, &st->db,
				     SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
				     NULL);
		free(uri);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(st->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL,
					  NULL);
		if (rc == SQLITE_OK)
			break;
		sqlite3_close(st->db);
		st->db = NULL;
	}
	if (rc != SQLITE_OK)
		return mn_err_set(err, MN_EIO, "could not open database '%s' read-only: %s",
				  st->path, sqlite3_errstr(rc));
	st->readonly = true;
	mn_debug("store", "database '%s' is read-only", st->path);
	return 0;
}

/* Drop group and other bits a user, a umask or an older mnemo left on the
 * data home or the database; owner bits stay (a read-only home stays
 * read-only). Best effort: a file of another user or a read-only file
 * system keeps its mode, and the open decides. */
static void make_private(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) < 0 || !(sb.st_mode & 077))
		return;
	/* a shared directory (the sticky bit: /tmp, /var/tmp) is not ours to
	 * close: a database put straight in it keeps its neighbours' access */
	if (S_ISDIR(sb.st_mode) && (sb.st_mode & S_ISVTX))
		return;
	if (chmod(path, sb.st_mode & 07700) < 0)
		mn_debug("store", "could not chmod '%s': %s", path, strerror(errno));
	else
		mn_info("store", "'%s' was mode %04o; now %04o", path,
			(unsigned)(sb.st_mode & 07777), (unsigned)(sb.st_mode & 07700));
}

/* Create a missing database whole: a valid one-page SQLite file is built
 * under a temporary name and linked into place, so a process killed while
 * creating it never leaves a 0-byte mnemo.db behind (which open refuses).
 * link() does not replace: when another process wins the race, its file
 * is kept. */
static int create_file(const char *path, struct mn_err *err)
{
	char *tmp = mn_xasprintf("%s.new-XXXXXX", path), *dir = NULL;
	sqlite3 *db = NULL;
	int fd, rc, ret = 0;

	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	if (fd < 0) {
		ret = mn_err_set(err, MN_EIO, "could not create database '%s': %s", path,
				 strerror(errno));
		goto out_free;
	}
	close(fd);
	rc = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) /* writes page 1: the file is a database from here */
		rc = sqlite3_exec(db, "PRAGMA user_version = 0", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		ret = mn_err_set(err, MN_EIO, "could not create database '%s': %s", path,
				 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto out;
	}
	if (sqlite3_close(db) != SQLITE_OK) {
		ret = mn_err_set(err, MN_EIO, "could not create database '%s': %s", path,
				 sqlite3_errmsg(db));
		goto out;
	}
	db = NULL;
	if (link(tmp, path) < 0 && errno != EEXIST) {
		ret = mn_err_set(err, MN_EIO, "could not create database '%s': %s", path,
				 strerror(errno));
		goto out;
	}
	dir = mn_file_dirname(path);
	mn_file_fsync_dir(dir, NULL);
out:
	sqlite3_close(db);
	unlink(tmp);
out_free:
	free(dir);
	free(tmp);
	return ret;
}

/* What open checks before SQLite sees the file. SQLite reads a 0-byte
 * file as a new, empty database; mnemo never leaves one (create_file), so
 * an empty mnemo.db is a truncated or foreign file and starting over on it
 * would hide the loss of every memory. */
static int prepare_file(const char *path, struct mn_err *err)
{
	char *dir = mn_file_dirname(path);
	struct stat sb;
	int ret = 0;

	make_private(dir);
	if (stat(path, &sb) < 0) {
		if (errno == ENOENT)
			ret = create_file(path, err);
		goto out; /* anything else: the open reports it */
	}
	if (S_ISREG(sb.st_mode) && sb.st_size == 0) {
		ret = mn_err_set(err, MN_EIO,
				 "database '%s' is corrupt or not a mnemo database: it is empty "
				 "(0 bytes); move it aside to start fresh or restore a backup",
				 path);
		goto out;
	}
	make_private(path);
out:
	free(dir);
	return ret;
}

/* Name the file and the way out when SQLite finds it is not a database
 * (or a damaged one); other errors keep their message. */
static int explain_unusable(struct mn_store *st, int ret, struct mn_err *err)
{
	int rc = sqlite3_errcode(st->db) & 0xff;
	char why[160];

	if (rc != SQLITE_NOTADB && rc != SQLITE_CORRUPT)
		return ret;
	snprintf(why, sizeof(why), "%s", sqlite3_errmsg(st->db));
	return mn_err_set(err, MN_EIO,
			  "database '%s' is corrupt or not a mnemo database: %s; move it aside "
			  "to start fresh or restore a backup",
			  st->path, why);
}

/* Once per process, before SQLite initialises: no memory statistics. With
 * them every SQLite allocation takes a global mutex, about 15% of a short
 * command's instructions (bench/bench_cli.sh); nothing reads them. */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void configure_sqlite(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_initialize();
}

int mn_store_open(struct mn_store **out, const char *path, struct mn_err *err)
{
	struct mn_store *st = mn_xcalloc(1, sizeof(*st));
	int ret = 0;

	*out = NULL;
	pthread_once(&sqlite_once, configure_sqlite);
	st->path = mn_xstrdup(path);
	ret = prepare_file(path, err);
	if (ret)
		goto out;
	/* prepare_file made sure the file exists (0600). Never open() it
	 * ourselves: closing any descriptor of the file drops every POSIX lock
	 * this process holds on it, those of its other connections (worker
	 * threads) included, and another process then checkpoints and resets
	 * the WAL under them: a corrupt database. */
	if (access(path, W_OK) < 0 && (errno == EACCES || errno == EPERM || errno == EROFS) &&
	    access(path, R_OK) == 0)
		ret = open_readonly(st, err);
	else if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
				 NULL) != SQLITE_OK)
		ret = mn_err_set(err, MN_EIO, "could not open database '%s': %s", path,
				 st->db ? sqlite3_errmsg(st->db) : "out of memory");
	if (ret)
		goto out;
	sqlite3_busy_timeout(st->db, MN_STORE_BUSY_MS);
	sqlite3_extended_result_codes(st->db, 1);
	ret = exec(st, st->readonly ? "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
				    : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
				      "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
				      /* recall reads the index of a large store: map it
				       * rather than copy it page by page */
				      "PRAGMA mmap_size=268435456; PRAGMA cache_size=-16384;",
		   err, "configure database");
	if (!ret && (mn_store_browse_register(st->db) || mn_store_pack_register(st->db)))
		ret = mn_store_fail(st, err, "register SQL functions");
	if (!ret && (sqlite3_create_function(st->db, "mn_date_keys", 2,
					     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
					     NULL, sql_date_keys, NULL, NULL) != SQLITE_OK ||
		     sqlite3_create_function(st->db, "mn_keyterms", 1,
					     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
					     NULL, sql_keyterms, NULL, NULL) != SQLITE_OK))
		ret = mn_store_fail(st, err, "register the index key functions");
	if (ret)
		goto out;
	if (st->readonly) {
		int v = 0;

		ret = user_version(st, &v, err);
		if (!ret && v != (int)MN_STORE_N_MIGRATIONS)
			ret = mn_err_set(err, MN_EIO,
					 "database '%s' is read-only and has schema version %d, "
					 "not %d", path, v, (int)MN_STORE_N_MIGRATIONS);
		if (ret)
			goto out;
	} else {
		ret = migrate(st, err);
		if (ret)
			goto out;
	}
	if (!st->readonly) {
		/* WAL and SHM files inherit nothing: keep them private too. */
		char *wal = mn_xasprintf("%s-wal", path), *shm = mn_xasprintf("%s-shm", path);

		chmod(wal, 0600);
		chmod(shm, 0600);
		free(wal);
		free(shm);
	}
	*out = st;
	st = NULL;
out:
	if (ret && st && st->db)
		ret = explain_unusable(st, ret, err);
	mn_store_close(st);
	return ret;
}

void mn_store_close(struct mn_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->ncached; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db && sqlite3_close(st->db) != SQLITE_OK)
		mn_warn("store", "database did not close cleanly: %s", sqlite3_errmsg(st->db));
	free(st->path);
	free(st);
}

bool mn_store_readonly(const struct mn_store *st)
{
	return st->readonly;
}

int mn_store_schema_version(struct mn_store *st)
{
	int v = -1;

	user_version(st, &v, NULL);
	return v;
}

int mn_store_begin(struct mn_store *st, struct mn_err *err)
{
	static const char *const sql = "BEGIN IMMEDIATE";
	sqlite3_stmt *s;
	int ret;

	/* Nested: an inner begin/commit pair joins the outer transaction. */
	if (st->txn_depth > 0) {
		st->txn_depth++;
		return 0;
	}
	s = mn_store_stmt(st, sql, err);
	ret = s ? mn_store_step_done(st, s, err, "begin transaction") : MN_EIO;
	if (!ret)
		st->txn_depth = 1;
	return ret;
}

int mn_store_commit(struct mn_store *st, struct mn_err *err)
{
	static const char *const sql = "COMMIT";
	sqlite3_stmt *s;
	int ret;

	if (st->txn_depth == 0)
		return mn_err_set(err, MN_EIO, "could not commit: the transaction was rolled back");
	if (--st->txn_depth > 0)
		return 0;
	s = mn_store_stmt(st, sql, err);
	ret = s ? mn_store_step_done(st, s, err, "commit transaction") : MN_EIO;
	if (ret)
		mn_store_rollback(st);
	return ret;
}

void mn_store_rollback(struct mn_store *st)
{
	/* Rolls back the whole transaction, outer levels included: their
	 * commit then reports the failure. */
	st->txn_depth = 0;
	if (!sqlite3_get_autocommit(st->db))
		exec(st, "ROLLBACK", NULL, "rollback");
}

bool mn_store_in_transaction(const struct mn_store *st)
{
	return st->txn_depth > 0;
}

/* ---- raw memories ---- */

void mn_raw_release(struct mn_raw *r)
{
	if (!r)
		return;
	free(r->content);
	free(r->source);
	free(r->type);
	free(r->project);
	free(r->session);
	free(r->last_error);
	memset(r, 0, sizeof(*r));
}

static int insert_raw(struct mn_store *st, struct mn_raw *r, const char *worker,
		      int64_t lease_ms, struct mn_err *err)
{
	static const char *const sql =
		"INSERT INTO raw_memories(id, content, source, type, project, session,"
		" state, attempts, claimed_by, lease_until, created_at, updated_at,"
		" occurred_at, dates, norm_hash)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?9, ?10, ?11, ?12, ?8, ?8, ?13, ?14, ?15)";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN], until[MN_TIME_LEN];
	int64_t t = mn_time_now_ms();
	char *dates;
	int ret;

	if (!s)
		return MN_EIO;
	mn_text_uuid4(r->id);
	mn_sha256_hex_of(r->content_hash, r->content, r->content_len);
	mn_time_format(now, t);
	mn_time_format(until, t + lease_ms);
	snprintf(r->created_at, sizeof(r->created_at), "%s", now);
	if (!r->occurred_at[0])
		snprintf(r->occurred_at, sizeof(r->occurred_at), "%s", now);
	snprintf(r->state, sizeof(r->state), "%s", worker ? "claimed" : "queued");
	r->attempts = worker ? 1 : 0;
	dates = mn_store_date_keys(r->content, r->content_len, r->occurred_at);
	sqlite3_bind_text(s, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->content, (int)r->content_len, SQLITE_STATIC);
	mn_store_bind_text(s, 3, r->source);
	mn_store_bind_text(s, 4, r->type);
	mn_store_bind_text(s, 5, r->project);
	mn_store_bind_text(s, 6, r->session);
	sqlite3_bind_text(s, 8, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, r->state, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 10, r->attempts);
	mn_store_bind_text(s, 11, worker);
	if (worker)
		sqlite3_bind_text(s, 12, until, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 13, r->occurred_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 14, dates, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 15, mn_store_norm_hash(r->content, r->content_len));
	ret = mn_store_step_done(st, s, err, "store raw memory");
	free(dates);
	return ret;
}

int mn_store_put_raw(struct mn_store *st, struct mn_raw *r, struct mn_err *err)
{
	return insert_raw(st, r, NULL, 0, err);
}

int mn_store_put_raw_claimed(struct mn_store *st, struct mn_raw *r, const char *worker,
			     int64_t lease_ms, struct mn_err *err)
{
	return insert_raw(st, r, worker, lease_ms, err);
}

#define RAW_COLS "id, content, source, type, project, session, state," \
		 " attempts, last_error, created_at, occurred_at"

static void read_raw(struct mn_raw *out, sqlite3_stmt *s)
{
	memset(out, 0, sizeof(*out));
	mn_store_col_copy(out->id, sizeof(out->id), s, 0);
	out->content = mn_store_col_dup(s, 1);
	out->content_len = (size_t)sqlite3_column_bytes(s, 1);
	if (!out->content)
		out->content = mn_xstrdup("");
	out->source = mn_store_col_dup(s, 2);
	out->type = mn_store_col_dup(s, 3);
	out->project = mn_store_col_dup(s, 4);
	out->session = mn_store_col_dup(s, 5);
	/* not stored (schema 7): computed from the text */
	mn_sha256_hex_of(out->content_hash, out->content, out->content_len);
	mn_store_col_copy(out->state, sizeof(out->state), s, 6);
	out->attempts = sqlite3_column_int(s, 7);
	out->last_error = mn_store_col_dup(s, 8);
	mn_store_col_copy(out->created_at, sizeof(out->created_at), s, 9);
	mn_store_col_copy(out->occurred_at, sizeof(out->occurred_at), s, 10);
}

static int claim(struct mn_store *st, struct mn_raw *out, const char *id, const char *worker,
		 int64_t lease_ms, struct mn_err *err)
{
	static const char *const sql_any =
		"UPDATE raw_memories SET state = 'claimed', claimed_by = ?1, lease_until = ?2,"
		" attempts = attempts + 1, updated_at = ?3"
		" WHERE id = (SELECT id FROM raw_memories WHERE state = 'queued'"
		"   AND state <> 'encoded' ORDER BY created_at LIMIT 1)"
		" RETURNING " RAW_COLS;
	static const char *const sql_id =
		"UPDATE raw_memories SET state = 'claimed', claimed_by = ?1, lease_until = ?2,"
		" attempts = attempts + 1, updated_at = ?3"
		" WHERE id = ?4 AND (state = 'queued' OR (state = 'claimed' AND lease_until < ?3))"
		" RETURNING " RAW_COLS;
	sqlite3_stmt *s = mn_store_stmt(st, id ? sql_id : sql_any, err);
	char now[MN_TIME_LEN], until[MN_TIME_LEN];
	int64_t t = mn_time_now_ms();
	int rc, ret = 0;

	if (!s)
		return MN_EIO;
	mn_time_format(now, t);
	mn_time_format(until, t + lease_ms);
	sqlite3_bind_text(s, 1, worker, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, until, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
	if (id)
		sqlite3_bind_text(s, 4, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		read_raw(out, s);
		rc = sqlite3_step(s);
	} else if (rc == SQLITE_DONE) {
		ret = mn_err_set(err, MN_ENOTFOUND, "no queued raw memory");
	}
	if (rc != SQLITE_DONE && !ret)
		ret = mn_store_fail(st, err, "claim raw memory");
	sqlite3_reset(s);
	if (ret && ret != MN_ENOTFOUND)
		mn_raw_release(out);
	return ret;
}

int mn_store_claim_raw(struct mn_store *st, struct mn_raw *out, const char *worker,
		       int64_t lease_ms, struct mn_err *err)
{
	return claim(st, out, NULL, worker, lease_ms, err);
}

int mn_store_claim_raw_id(struct mn_store *st, struct mn_raw *out, const char *id,
			  const char *worker, int64_t lease_ms, struct mn_err *err)
{
	return claim(st, out, id, worker, lease_ms, err);
}

int mn_store_fail_raw(struct mn_store *st, const char *id, const char *error, int max_attempts,
		      const struct mn_claim *claim, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE raw_memories SET state = CASE WHEN attempts >= ?3 THEN 'failed'"
		" ELSE 'queued' END, last_error = ?2, claimed_by = NULL, lease_until = NULL,"
		" updated_at = ?4 WHERE id = ?1 AND state = 'claimed'"
		" AND (?5 IS NULL OR (claimed_by = ?5 AND attempts = ?6))";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];

	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	mn_store_bind_text(s, 2, error);
	sqlite3_bind_int(s, 3, max_attempts);
	sqlite3_bind_text(s, 4, now, -1, SQLITE_STATIC);
	if (claim) {
		sqlite3_bind_text(s, 5, claim->worker, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 6, claim->attempt);
	}
	return mn_store_step_done(st, s, err, "record failed encoding");
}

int mn_store_recover_leases(struct mn_store *st, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE raw_memories SET state = 'queued', claimed_by = NULL, lease_until = NULL,"
		" last_error = coalesce(last_error, 'lease expired'), updated_at = ?1"
		" WHERE state = 'claimed' AND state <> 'encoded' AND lease_until < ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];
	int ret;

	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, now, -1, SQLITE_STATIC);
	ret = mn_store_step_done(st, s, err, "recover expired leases");
	return ret ? ret : sqlite3_changes(st->db);
}

int mn_store_recover_claims(struct mn_store *st, struct mn_err *err)
{
	static const char *const sql =
		"UPDATE raw_memories SET state = 'queued', claimed_by = NULL, lease_until = NULL,"
		" last_error = coalesce(last_error, 'worker stopped before finishing'),"
		" updated_at = ?1 WHERE state = 'claimed' AND state <> 'encoded'";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	char now[MN_TIME_LEN];
	int ret;

	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, now, -1, SQLITE_STATIC);
	ret = mn_store_step_done(st, s, err, "recover claims");
	return ret ? ret : sqlite3_changes(st->db);
}

int mn_store_get_raw(struct mn_store *st, struct mn_raw *out, const char *id,
		     struct mn_err *err)
{
	static const char *const sql = "SELECT " RAW_COLS " FROM raw_memories WHERE id = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc, ret = 0;

	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_raw(out, s);
	else if (rc == SQLITE_DONE)
		ret = mn_err_set(err, MN_ENOTFOUND, "no raw memory '%s'", id);
	else
		ret = mn_store_fail(st, err, "read raw memory");
	sqlite3_reset(s);
	return ret;
}

/* ---- memories ---- */

void mn_memory_release(struct mn_memory *m)
{
	if (!m)
		return;
	json_decref(m->encoding);
	json_decref(m->flags);
	json_decref(m->explain);
	free(m->encoding_json);
	free(m->encoder);
	free(m->encoder_version);
	free(m->source);
	free(m->type);
	free(m->project);
	free(m->raw_content);
	memset(m, 0, sizeof(*m));
}

int mn_store_put_memory(struct mn_store *st, struct mn_memory *m, const char *category,
			const struct mn_claim *claim, struct mn_err *err)
{
	static const char *const sql_mem =
		"INSERT INTO memories(id, raw_id, encoder_output, encoding, base_salience,"
		" salience, encoder, encoder_version, fallback, epr, fr, sc, np, ted, mig, flags,"
		" confidence, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		" ?17, ?21)";
	static const char *const sql_buf =
		"INSERT INTO experience_buffer(id, memory_id, category, created_at, updated_at)"
		" VALUES (?1, ?2, ?14, ?15, ?15)";
	/* With a claim, only while it still holds: a row whose lease expired
	 * and went back to the queue (or to another worker), or that was
	 * forgotten, changes nothing, and the result is dropped. */
	static const char *const sql_raw =
		"UPDATE raw_memories SET state = 'encoded', claimed_by = NULL, lease_until = NULL,"
		" last_error = NULL, updated_at = ?2 WHERE id = ?1 AND (?3 IS NULL"
		" OR (state = 'claimed' AND claimed_by = ?3 AND attempts = ?4))";
	sqlite3_stmt *s;
	char now[MN_TIME_LEN], buf_id[37];
	char *flags = NULL;
	const json_t *e = m->encoding;
	double base_sal = mn_json_num(e, "salience", 0.5);
	int ret = 0;

	mn_text_uuid4(m->id);
	mn_time_now_str(now);
	snprintf(m->created_at, sizeof(m->created_at), "%s", now);
	flags = m->flags ? mn_json_dumps(m->flags) : mn_xstrdup("[]");
	ret = mn_store_begin(st, err);
	if (ret)
		goto out;
	s = mn_store_stmt(st, sql_raw, err);
	if (!s) {
		ret = MN_EIO;
		goto out;
	}
	sqlite3_bind_text(s, 1, m->raw_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
	if (claim) {
		sqlite3_bind_text(s, 3, claim->worker, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 4, claim->attempt);
	}
	ret = mn_store_step_done(st, s, err, "mark raw memory encoded");
	if (!ret && claim && sqlite3_changes(st->db) == 0)
		ret = mn_err_set(err, MN_ENOTFOUND,
				 "raw memory '%s' is no longer claimed by '%s' (attempt %d)",
				 m->raw_id, claim->worker, claim->attempt);
	if (ret)
		goto out;
	s = mn_store_stmt(st, sql_mem, err);
	if (!s) {
		ret = MN_EIO;
		goto out;
	}
	sqlite3_bind_text(s, 1, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, m->raw_id, -1, SQLITE_STATIC);
	mn_store_bind_encoding(s, 3, 4, m->encoding_json, e);
	sqlite3_bind_double(s, 5, base_sal);
	sqlite3_bind_double(s, 6, m->salience);
	sqlite3_bind_text(s, 7, m->encoder ? m->encoder : "unknown", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, m->encoder_version ? m->encoder_version : "unknown", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int(s, 9, m->fallback);
	sqlite3_bind_double(s, 10, m->epr);
	sqlite3_bind_double(s, 11, m->fr);
	sqlite3_bind_int(s, 12, m->sc);
	sqlite3_bind_double(s, 13, m->np);
	sqlite3_bind_int(s, 14, m->ted);
	sqlite3_bind_int(s, 15, m->mig);
	sqlite3_bind_text(s, 16, flags, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 17, m->confidence);
	sqlite3_bind_text(s, 21, now, -1, SQLITE_STATIC);
	ret = mn_store_step_done(st, s, err, "store memory");
	if (ret)
		goto out;
	s = mn_store_stmt(st, sql_buf, err);
	if (!s) {
		ret = MN_EIO;
		goto out;
	}
	mn_text_uuid4(buf_id);
	sqlite3_bind_text(s, 1, buf_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 14, m->fallback ? "excluded" : (category ? category : "ambiguous"),
			  -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 15, now, -1, SQLITE_STATIC);
	ret = mn_store_step_done(st, s, err, "store experience row");
	if (!ret)
		ret = mn_store_commit(st, err);
out:
	if (ret)
		mn_store_rollback(st);
	free(flags);
	return ret;
}

void mn_store_read_memory(struct mn_memory *m, sqlite3_stmt *s)
{
	memset(m, 0, sizeof(*m));
	mn_store_col_copy(m->id, sizeof(m->id), s, 0);
	mn_store_col_copy(m->raw_id, sizeof(m->raw_id), s, 1);
	m->encoding_json = mn_store_unpack_col(s, 2);
	m->encoder = mn_store_col_dup(s, 3);
	m->encoder_version = mn_store_col_dup(s, 4);
	m->fallback = sqlite3_column_int(s, 5);
	m->epr = sqlite3_column_double(s, 6);
	m->fr = sqlite3_column_double(s, 7);
	m->np = sqlite3_column_double(s, 8);
	m->confidence = sqlite3_column_double(s, 9);
	m->sc = sqlite3_column_int(s, 10);
	m->ted = sqlite3_column_int(s, 11);
	m->mig = sqlite3_column_int(s, 12);
	m->flags = mn_store_col_json(s, 13);
	if (!m->flags)
		m->flags = json_array();
	m->salience = sqlite3_column_double(s, 14);
	m->feedback_score = sqlite3_column_double(s, 15);
	m->source = mn_store_col_dup(s, 16);
	m->type = mn_store_col_dup(s, 17);
	m->project = mn_store_col_dup(s, 18);
	mn_store_col_copy(m->created_at, sizeof(m->created_at), s, 19);
	m->encoding = mn_store_read_encoding(s, 2, 20);
	mn_store_col_copy(m->state, sizeof(m->state), s, 21);
	mn_store_col_copy(m->occurred_at, sizeof(m->occurred_at), s, 22);
}

int mn_store_get_memory(struct mn_store *st, struct mn_memory *out, const char *id,
			struct mn_err *err)
{
	static const char *const sql =
		"SELECT " MN_STORE_MEM_COLS " FROM memories m WHERE m.id = ?1 OR m.raw_id = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc, ret = 0;

	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		mn_store_read_memory(out, s);
	else if (rc == SQLITE_DONE)
		ret = mn_err_set(err, MN_ENOTFOUND, "no memory '%s'", id);
	else
		ret = mn_store_fail(st, err, "read memory");
	sqlite3_reset(s);
	return ret;
}

int mn_store_list_memories(struct mn_store *st, struct mn_memory **out, size_t *out_n,
			   int limit, const char *category, struct mn_err *err)
{
	static const char *const sql =
		"SELECT " MN_STORE_MEM_COLS ", b.category FROM memories m"
		" LEFT JOIN experience_buffer b ON b.memory_id = m.id"
		" WHERE (?2 IS NULL OR b.category = ?2)"
		" ORDER BY m.created_at DESC, m.rowid DESC LIMIT ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	struct mn_memory *items = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	*out = NULL;
	*out_n = 0;
	if (!s)
		return MN_EIO;
	sqlite3_bind_int(s, 1, limit > 0 ? limit : 20);
	mn_store_bind_text(s, 2, category);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		items = mn_xgrow(items, &alloc, n + 1, sizeof(*items));
		mn_store_read_memory(&items[n], s);
		mn_store_col_copy(items[n].category, sizeof(items[n].category), s,
				  MN_STORE_MEM_NCOLS);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		for (size_t i = 0; i < n; i++)
			mn_memory_release(&items[i]);
		free(items);
		return mn_store_fail(st, err, "list memories");
	}
	*out = items;
	*out_n = n;
	return 0;
}

int mn_store_forget(struct mn_store *st, const char *id, struct mn_err *err)
{
	/* The memory row goes first, then the raw row: each deletion takes
	 * its own fields out of the recall index (store_schema.h, migration 2)
	 * and never relies on the foreign key's cascade order. */
	static const char *const sql_mem =
		"DELETE FROM memories WHERE raw_id = ?1 OR id = ?1 RETURNING raw_id";
	static const char *const sql_raw = "DELETE FROM raw_memories WHERE id = ?1";
	sqlite3_stmt *s;
	char raw_id[37] = "";
	int rc, ret, changed = 0;

	ret = mn_store_begin(st, err);
	if (ret)
		return ret;
	s = mn_store_stmt(st, sql_mem, err);
	if (!s) {
		ret = MN_EIO;
		goto out;
	}
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		mn_store_col_copy(raw_id, sizeof(raw_id), s, 0);
		changed++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		ret = mn_store_fail(st, err, "forget memory");
		goto out;
	}
	s = mn_store_stmt(st, sql_raw, err);
	if (!s) {
		ret = MN_EIO;
		goto out;
	}
	sqlite3_bind_text(s, 1, raw_id[0] ? raw_id : id, -1, SQLITE_STATIC);
	ret = mn_store_step_done(st, s, err, "forget raw memory");
	if (ret)
		goto out;
	changed += sqlite3_changes(st->db);
	if (!changed)
		ret = mn_err_set(err, MN_ENOTFOUND, "no memory '%s'", id);
	else
		ret = mn_store_commit(st, err);
out:
	if (ret)
		mn_store_rollback(st);
	return ret;
}

void mn_memories_free(struct mn_memory *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mn_memory_release(&items[i]);
	free(items);
}

/* ---- feedback ---- */

static int rate_one(struct mn_store *st, const char *query_id, const char *memory_id,
		    const char *rating, const char *session, struct mn_err *err)
{
	static const char *const sql_up =
		"INSERT INTO recall_feedback(query_id, memory_id, rating, session, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(query_id, memory_id) DO UPDATE SET"
		" rating = excluded.rating, session = excluded.session,"
		" created_at = excluded.created_at";
	/* recall score = mean rating over distinct (query, memory) pairs */
	static const char *const sql_buf =
		"UPDATE experience_buffer SET"
		" recall_score = (SELECT avg(CASE rating WHEN 'helpful' THEN 1.0"
		"   WHEN 'partial' THEN 0.5 ELSE 0.0 END) FROM recall_feedback WHERE memory_id = ?1),"
		" recall_count = (SELECT count(*) FROM recall_feedback WHERE memory_id = ?1),"
		" updated_at = ?2 WHERE memory_id = ?1";
	/* feedback score in [-1, 1]; salience moves with it, at most 0.2 */
	static const char *const sql_mem =
		"UPDATE memories SET feedback_score = (SELECT 2.0 * avg(CASE rating"
		"   WHEN 'helpful' THEN 1.0 WHEN 'partial' THEN 0.5 ELSE 0.0 END) - 1.0"
		"   FROM recall_feedback WHERE memory_id = ?1),"
		" salience = max(0.0, min(1.0, base_salience - 0.1 * ted + 0.2 * (SELECT 2.0 *"
		"   avg(CASE rating WHEN 'helpful' THEN 1.0 WHEN 'partial' THEN 0.5 ELSE 0.0 END)"
		"   - 1.0 FROM recall_feedback WHERE memory_id = ?1))) WHERE id = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql_up, err);
	char now[MN_TIME_LEN];
	int ret;

	if (!s)
		return MN_EIO;
	mn_time_now_str(now);
	sqlite3_bind_text(s, 1, query_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, memory_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, rating, -1, SQLITE_STATIC);
	mn_store_bind_text(s, 4, session);
	sqlite3_bind_text(s, 5, now, -1, SQLITE_STATIC);
	ret = mn_store_step_done(st, s, err, "record feedback");
	if (ret)
		return ret;
	s = mn_store_stmt(st, sql_buf, err);
	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
	ret = mn_store_step_done(st, s, err, "update recall score");
	if (ret)
		return ret;
	s = mn_store_stmt(st, sql_mem, err);
	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
	return mn_store_step_done(st, s, err, "update feedback score");
}

static bool in_results(const json_t *results, const char *memory_id)
{
	for (size_t i = 0; i < json_array_size(results); i++)
		if (!strcmp(mn_json_str(json_array_get(results, i), "memory_id", ""), memory_id))
			return true;
	return false;
}

int mn_store_feedback(struct mn_store *st, size_t *out_n, const char *query_id,
		      const char *rating, const char *const *memory_ids, size_t n_ids,
		      const char *session, struct mn_err *err)
{
	static const char *const sql = "SELECT results FROM recall_log WHERE query_id = ?1";
	sqlite3_stmt *s;
	json_t *results = NULL;
	int rc, ret = 0;
	size_t n = 0;

	*out_n = 0;
	if (strcmp(rating, "helpful") && strcmp(rating, "partial") && strcmp(rating, "irrelevant"))
		return mn_err_set(err, MN_EINVAL,
				  "rating must be helpful, partial or irrelevant, not '%s'", rating);
	ret = mn_store_begin(st, err);
	if (ret)
		return ret;
	s = mn_store_stmt(st, sql, err);
	if (!s) {
		ret = MN_EIO;
		goto out;
	}
	sqlite3_bind_text(s, 1, query_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		results = mn_store_col_json(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE) {
		ret = mn_err_set(err, MN_ENOTFOUND, "no recall with query id '%s'", query_id);
		goto out;
	}
	if (rc != SQLITE_ROW || !results) {
		ret = mn_store_fail(st, err, "read recall log");
		goto out;
	}
	if (n_ids) {
		for (size_t i = 0; i < n_ids; i++) {
			if (!in_results(results, memory_ids[i])) {
				ret = mn_err_set(err, MN_ENOTFOUND,
						 "memory '%s' was not returned by query '%s'",
						 memory_ids[i], query_id);
				goto out;
			}
		}
		for (size_t i = 0; i < n_ids && !ret; i++, n++)
			ret = rate_one(st, query_id, memory_ids[i], rating, session, err);
	} else {
		for (size_t i = 0; i < json_array_size(results) && !ret; i++) {
			const char *mid = mn_json_str(json_array_get(results, i), "memory_id", "");
			sqlite3_stmt *chk;

			if (!*mid)
				continue; /* raw-only hit: nothing encoded to rate */
			/* a memory forgotten since the recall is skipped */
			chk = mn_store_stmt(st, "SELECT 1 FROM memories WHERE id = ?1", err);
			if (!chk) {
				ret = MN_EIO;
				break;
			}
			sqlite3_bind_text(chk, 1, mid, -1, SQLITE_STATIC);
			rc = sqlite3_step(chk);
			sqlite3_reset(chk);
			if (rc != SQLITE_ROW)
				continue;
			ret = rate_one(st, query_id, mid, rating, session, err);
			n++;
		}
	}
	if (!ret)
		ret = mn_store_commit(st, err);
out:
	if (ret)
		mn_store_rollback(st);
	else
		*out_n = n;
	json_decref(results);
	return ret;
}

int mn_store_exp_stats(struct mn_store *st, json_t **out, struct mn_err *err)
{
	static const char *const sql =
		"SELECT category, count(*) FROM experience_buffer GROUP BY category";
	static const char *const sql2 =
		"SELECT count(*) FILTER (WHERE corrected_output IS NOT NULL),"
		" count(*) FILTER (WHERE batch_id IS NOT NULL AND trained_in_run IS NULL),"
		" count(*) FILTER (WHERE trained_in_run IS NOT NULL) FROM experience_buffer";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	json_t *o = json_pack("{s:i,s:i,s:i,s:i}", "gold", 0, "needs_improvement", 0,
			      "ambiguous", 0, "excluded", 0);
	json_int_t total = 0;
	int rc;

	*out = NULL;
	if (!s) {
		json_decref(o);
		return MN_EIO;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_int_t n = sqlite3_column_int64(s, 1);

		json_object_set_new(o, mn_store_col_text(s, 0), json_integer(n));
		total += n;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		goto fail;
	json_object_set_new(o, "total", json_integer(total));
	s = mn_store_stmt(st, sql2, err);
	if (!s || sqlite3_step(s) != SQLITE_ROW)
		goto fail;
	json_object_set_new(o, "corrected", json_integer(sqlite3_column_int64(s, 0)));
	json_object_set_new(o, "in_batch", json_integer(sqlite3_column_int64(s, 1)));
	json_object_set_new(o, "trained", json_integer(sqlite3_column_int64(s, 2)));
	sqlite3_reset(s);
	*out = o;
	return 0;
fail:
	if (s)
		sqlite3_reset(s);
	json_decref(o);
	return mn_store_fail(st, err, "count experience buffer");
}

int mn_store_counts(struct mn_store *st, json_t **out, struct mn_err *err)
{
	static const char *const sql_raw =
		"SELECT state, count(*) FROM raw_memories WHERE state <> 'encoded' GROUP BY state"
		" UNION ALL SELECT 'encoded', (SELECT count(*) FROM raw_memories)"
		" - (SELECT count(*) FROM raw_memories WHERE state <> 'encoded')";
	static const char *const sql_n =
		"SELECT (SELECT count(*) FROM memories), (SELECT count(*) FROM recall_log),"
		" (SELECT count(*) FROM recall_feedback),"
		" (SELECT min(created_at) FROM raw_memories WHERE state = 'queued'"
		"  AND state <> 'encoded')";
	sqlite3_stmt *s = mn_store_stmt(st, sql_raw, err);
	json_t *o = json_object(), *q = json_pack("{s:i,s:i,s:i,s:i}", "queued", 0, "claimed", 0,
						  "encoded", 0, "failed", 0);
	json_t *buf = NULL;
	int rc;

	*out = NULL;
	if (!s)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_object_set_new(q, mn_store_col_text(s, 0),
				    json_integer(sqlite3_column_int64(s, 1)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		goto fail;
	s = mn_store_stmt(st, sql_n, err);
	if (!s || sqlite3_step(s) != SQLITE_ROW)
		goto fail;
	json_object_set_new(o, "memories", json_integer(sqlite3_column_int64(s, 0)));
	json_object_set_new(o, "recalls", json_integer(sqlite3_column_int64(s, 1)));
	json_object_set_new(o, "ratings", json_integer(sqlite3_column_int64(s, 2)));
	if (sqlite3_column_type(s, 3) != SQLITE_NULL)
		json_object_set_new(q, "oldest_queued_at", json_string(mn_store_col_text(s, 3)));
	sqlite3_reset(s);
	json_object_set(o, "raw", q);
	/* every observation (queued or encoded) by project; "" = none */
	s = mn_store_stmt(st, "SELECT coalesce(project, ''), count(*) FROM raw_memories"
			      " GROUP BY 1 ORDER BY 1", err);
	if (!s)
		goto fail;
	buf = json_object();
	json_object_set_new(o, "projects", buf);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_object_set_new(buf, mn_store_col_text(s, 0),
				    json_integer(sqlite3_column_int64(s, 1)));
	sqlite3_reset(s);
	buf = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	if (mn_store_exp_stats(st, &buf, err))
		goto fail;
	json_object_set_new(o, "experience", buf);
	json_decref(q);
	*out = o;
	return 0;
fail:
	if (s)
		sqlite3_reset(s);
	json_decref(o);
	json_decref(q);
	return err && err->code ? err->code : mn_store_fail(st, err, "count rows");
}

/* ---- meta ---- */

int mn_store_meta_get(struct mn_store *st, char **out, const char *key, struct mn_err *err)
{
	static const char *const sql = "SELECT value FROM meta WHERE key = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, sql, err);
	int rc;

	*out = NULL;
	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = mn_store_col_dup(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return mn_store_fail(st, err, "read state");
	return 0;
}

int mn_store_meta_set(struct mn_store *st, const char *key, const char *value,
		      struct mn_err *err)
{
	static const char *const sql_set =
		"INSERT INTO meta(key, value) VALUES (?1, ?2)"
		" ON CONFLICT(key) DO UPDATE SET value = excluded.value";
	static const char *const sql_del = "DELETE FROM meta WHERE key = ?1";
	sqlite3_stmt *s = mn_store_stmt(st, value ? sql_set : sql_del, err);

	if (!s)
		return MN_EIO;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	return mn_store_step_done(st, s, err, "write state");
}
