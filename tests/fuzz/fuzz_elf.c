/*
 * fuzz_elf: the ELF reader that decides whether a dlopen'ed object links
 * libcurl. The input is written to a file, as the reader maps one.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"
#include "hook/elfdeps.h"

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "/tmp/tokenshim-fuzz-elf.%d", (int)getpid());
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if(fd < 0)
		return 0;
	if(write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	close(fd);
	ts_elf_needs(path, "libcurl");
	unlink(path);
	return 0;
}
