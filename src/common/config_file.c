/*
 * config_file.c — read renewd.conf and hand it to the pure parser.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fileio.h"
#include "util.h"

struct config *
config_load(const char *path, struct strlist *errors)
{
	struct config *cfg;
	size_t len;
	char *text;

	if ((text = file_read(path, CONFIG_MAX_SIZE, &len)) == NULL) {
		if (errno == EFBIG)
			strlist_add_owned(errors, xasprintf("%s: cannot read: "
			    "larger than %d MiB (a smaller file expected)",
			    path, CONFIG_MAX_SIZE / (1024 * 1024)));
		else
			strlist_add_owned(errors, xasprintf("%s: cannot read: "
			    "%s", path, strerror(errno)));
		return NULL;
	}
	cfg = config_new();
	if (config_parse_len(cfg, path, text, len, errors) == -1) {
		config_free(cfg);
		cfg = NULL;
	}
	free(text);
	return cfg;
}
