#include "learn/ctx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"

int mn_ctx_open_config(struct mn_ctx *a, const char *config_path, struct mn_err *err)
{
	int ret, lvl;

	memset(a, 0, sizeof(*a));
	mn_config_init(&a->cfg);
	ret = mn_config_open(&a->cfg, config_path, err);
	if (ret)
		return ret;
	a->home = mn_config_data_home();
	a->db_path = mn_xasprintf("%s/mnemo.db", a->home);
	lvl = mn_log_level_parse(a->cfg.log.level ? a->cfg.log.level : "info");
	if (lvl >= 0)
		mn_log_set_level((enum mn_log_level)lvl);
	if (getenv("MNEMO_LOG_LEVEL") && mn_log_level_parse(getenv("MNEMO_LOG_LEVEL")) >= 0)
		mn_log_set_level((enum mn_log_level)mn_log_level_parse(getenv("MNEMO_LOG_LEVEL")));
	if (a->cfg.log.file && mn_log_open_file(a->cfg.log.file) < 0)
		return mn_err_set(err, MN_EIO, "could not open log file '%s': %s",
				  a->cfg.log.file, strerror(errno));
	return 0;
}

int mn_ctx_open(struct mn_ctx *a, const char *config_path, struct mn_err *err)
{
	static const char *const subdirs[] = { "training", "training/requests", "models", NULL };
	int ret = mn_ctx_open_config(a, config_path, err);

	if (ret)
		return ret;
	ret = mn_file_mkdir_p(a->home, 0700, err);
	for (const char *const *d = subdirs; !ret && *d; d++) {
		char *p = mn_xasprintf("%s/%s", a->home, *d);

		ret = mn_file_mkdir_p(p, 0700, err);
		free(p);
	}
	if (ret)
		return ret;
	return mn_store_open(&a->store, a->db_path, err);
}

void mn_ctx_close(struct mn_ctx *a)
{
	mn_encoder_free(a->encoder);
	free(a->ranker);
	free(a->ranker_default);
	mn_store_close(a->store);
	mn_config_release(&a->cfg);
	free(a->home);
	free(a->db_path);
	memset(a, 0, sizeof(*a));
}

int mn_ctx_encoder(struct mn_ctx *a, struct mn_encoder **out, struct mn_err *err)
{
	int ret = 0;

	if (!a->encoder)
		ret = mn_encoder_open(&a->encoder, &a->cfg, a->home, err);
	*out = a->encoder;
	return ret;
}
