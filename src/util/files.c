/*
 * files: file-system helpers.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "util/files.h"

int ts_make_dirs(const char *path)
{
	char p[4096], *c;

	if(snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for(c = p + 1; *c; c++)
		if(*c == '/') {
			*c = '\0';
			if(mkdir(p, 0700) && errno != EEXIST)
				return -1;
			*c = '/';
		}
	if(mkdir(p, 0700) == 0 || errno == EEXIST)
		return 0;
	return -1;
}
