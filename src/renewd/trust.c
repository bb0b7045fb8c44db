/*
 * trust.c — the trust anchors of ca_file, for the probe engine.
 */
#include <stdlib.h>

#include "fileio.h"
#include "inspect.h"
#include "log.h"
#include "renewd.h"

X509_STORE *
trust_load(const char *path)
{
	char err[256];
	size_t len;
	char *pem;
	X509_STORE *store;

	if ((pem = file_read(path, RENEWD_CA_FILE_MAX, &len)) == NULL) {
		log_warn("ca_file %s", path);
		return NULL;
	}
	store = inspect_store_from_pem(pem, len, err, sizeof(err));
	free(pem);
	if (store == NULL)
		log_warnx("ca_file %s: %s", path, err);
	return store;
}
