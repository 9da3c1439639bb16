/*
 * replay.c - main() for fuzz targets built without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on every regular file of the directory named
 * by argv[1] (the target's seed corpus) and prints "N inputs replayed".
 * `make test` uses it so every corpus is replayed under ASan+UBSan; a crash
 * names the file on stderr first.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_BYTES (16 * 1024 * 1024) /* no seed should come near this */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read a whole file; NULL on failure. */
static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	struct stat st;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) || st.st_size < 0 || st.st_size > REPLAY_MAX_BYTES)
		goto out;
	/* +1: malloc(0) may return NULL, and an empty input is valid */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto out;
	*len = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
out:
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *de;
	size_t n = 0;
	int ret = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	d = opendir(argv[1]);
	if (!d) {
		perror(argv[1]);
		return 1;
	}
	for (;;) {
		char path[4096];
		struct stat st;
		uint8_t *data;
		size_t len = 0;

		de = readdir(d);
		if (!de)
			break;
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name) >= (int)sizeof(path))
			continue;
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		data = read_file(path, &len);
		if (!data) {
			fprintf(stderr, "could not read '%s'\n", path);
			ret = 1;
			continue;
		}
		fprintf(stderr, "replaying '%s' (%zu bytes)\n", path, len);
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		n++;
	}
	closedir(d);
	printf("%zu inputs replayed\n", n);
	return ret;
}
