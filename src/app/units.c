#include "app/units.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/mem.h"
#include "base/proc.h"

/* systemd unit files quote with "..." and expand % specifiers: escape
 * both so any path survives. */
static void quoted(struct mn_buf *b, const char *s)
{
	mn_buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			mn_buf_addc(b, '\\');
		if (*s == '%')
			mn_buf_addc(b, '%');
		mn_buf_addc(b, *s);
	}
	mn_buf_addc(b, '"');
}

static void exec_line(struct mn_buf *b, const char *key, const char *exe, const char *config,
		      const char *args)
{
	mn_buf_addf(b, "%s=", key);
	quoted(b, exe);
	if (config) {
		mn_buf_adds(b, " --config ");
		quoted(b, config);
	}
	mn_buf_addf(b, " %s\n", args);
}

static void env_line(struct mn_buf *b, const char *home)
{
	struct mn_buf v = MN_BUF_INIT;

	mn_buf_addf(&v, "MNEMO_HOME=%s", home);
	mn_buf_adds(b, "Environment=");
	quoted(b, mn_buf_str(&v));
	mn_buf_addc(b, '\n');
	mn_buf_release(&v);
}

static int write_unit(json_t *files, const char *dir, const char *name, struct mn_buf *b,
		      struct mn_err *err)
{
	char *path = mn_xasprintf("%s/%s", dir, name);
	int ret = b->failed ? mn_err_set(err, MN_EFAIL, "unit '%s' is too large", name)
			    : mn_file_write_atomic(path, b->data, b->len, 0644, err);

	if (!ret)
		json_array_append_new(files, json_string(path));
	free(path);
	return ret;
}

int mn_units_write(json_t **out, struct mn_ctx *a, const char *dir, struct mn_err *err)
{
	char exe[PATH_MAX], real[PATH_MAX];
	char *own_dir = NULL, *pending = NULL, *config = NULL;
	struct mn_buf b = MN_BUF_INIT;
	json_t *files = json_array();
	int ret;

	*out = NULL;
	ret = mn_proc_self_exe(exe, sizeof(exe), err);
	if (ret)
		goto out;
	if (!realpath(exe, real))
		snprintf(real, sizeof(real), "%s", exe);
	if (a->cfg.path) {
		config = realpath(a->cfg.path, NULL);
		if (!config)
			config = mn_xstrdup(a->cfg.path);
	}
	if (!dir) {
		const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");

		own_dir = x && *x ? mn_xasprintf("%s/systemd/user", x)
				  : mn_xasprintf("%s/.config/systemd/user", h ? h : ".");
		dir = own_dir;
	}
	ret = mn_file_mkdir_p(dir, 0755, err);
	if (ret)
		goto out;
	pending = mn_xasprintf("%s/training/pending.json", a->home);

	mn_buf_adds(&b, "# Written by `mnemo install-units`; re-run it after moving mnemo.\n"
			"[Unit]\nDescription=mnemo memory daemon\n"
			"Documentation=file://" MN_DATADIR "/docs/systemd.md\n\n"
			"[Service]\nType=notify\nNotifyAccess=main\n");
	env_line(&b, a->home);
	exec_line(&b, "ExecStart", real, config, "serve");
	mn_buf_adds(&b, "Restart=on-failure\nRestartSec=5\n"
			"# SIGTERM lets a supervised training run finish its hooks.after.\n"
			"TimeoutStopSec=60\n\n[Install]\nWantedBy=default.target\n");
	ret = write_unit(files, dir, "mnemo.service", &b, err);
	if (ret)
		goto out;

	mn_buf_reset(&b);
	mn_buf_adds(&b, "# Written by `mnemo install-units`.\n"
			"[Unit]\nDescription=start a mnemo training run when one is requested\n\n"
			"[Path]\nPathExists=");
	mn_buf_adds(&b, pending);
	mn_buf_adds(&b, "\nUnit=mnemo-train.service\n\n[Install]\nWantedBy=default.target\n");
	ret = write_unit(files, dir, "mnemo-train.path", &b, err);
	if (ret)
		goto out;

	mn_buf_reset(&b);
	mn_buf_adds(&b, "# Written by `mnemo install-units`.\n"
			"[Unit]\nDescription=mnemo training run (orchestrator)\n\n"
			"[Service]\nType=oneshot\n");
	env_line(&b, a->home);
	exec_line(&b, "ExecStart", real, config, "train run --pending");
	mn_buf_adds(&b, "# The orchestrator handles SIGTERM: it stops the trainer, runs\n"
			"# hooks.after and marks the run cancelled; only then is the rest killed.\n"
			"KillMode=mixed\nTimeoutStopSec=660\nNice=10\n");
	ret = write_unit(files, dir, "mnemo-train.service", &b, err);
	if (ret)
		goto out;
	*out = json_pack("{s:s,s:O,s:s,s:s,s:[s,s,s]}", "dir", dir, "files", files, "executable",
			 real, "home", a->home, "next_steps", "systemctl --user daemon-reload",
			 "systemctl --user enable --now mnemo.service mnemo-train.path",
			 "set learning.training.runner: systemd in the config so requests only"
			 " write training/pending.json");
out:
	mn_buf_release(&b);
	json_decref(files);
	free(own_dir);
	free(pending);
	free(config);
	return ret;
}
