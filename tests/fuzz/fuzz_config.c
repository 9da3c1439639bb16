/* Fuzz target: the YAML configuration parser (outside bytes: config.yaml). */
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mn_config c;
	struct mn_err err = MN_ERR_INIT;

	mn_config_init(&c);
	(void)mn_config_load_string(&c, (const char *)data, size, "fuzz.yaml", &err);
	mn_config_release(&c);
	return 0;
}
