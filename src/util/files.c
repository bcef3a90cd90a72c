/*
 * files: file-system helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/files.h"
#include "util/buf.h"

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

const char *ts_file_kind(const struct stat *st)
{
	switch(st->st_mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFIFO: return "a FIFO";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFSOCK: return "a socket";
	case S_IFLNK: return "a symbolic link";
	}
	return "not a regular file";
}

int ts_read_regular(const char *path, size_t max, char **out, size_t *len,
		    struct stat *st, char *why, size_t whylen)
{
	char *b;
	size_t got = 0;
	int fd, e;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
		  O_NOCTTY);
	if(fd < 0) {
		e = errno;
		if(e == ELOOP)
			snprintf(why, whylen, "is a symbolic link; name the file itself");
		else
			snprintf(why, whylen, "%s", strerror(e));
		errno = e;
		return -1;
	}
	if(fstat(fd, st)) {
		e = errno;
		snprintf(why, whylen, "%s", strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	if(!S_ISREG(st->st_mode)) {
		snprintf(why, whylen, "is %s, not a regular file",
			 ts_file_kind(st));
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if(st->st_size < 0 || (size_t)st->st_size > max) {
		snprintf(why, whylen, "is larger than %zu bytes", max);
		close(fd);
		errno = EFBIG;
		return -1;
	}
	/* one byte more than the size, to see a file that grew meanwhile */
	b = malloc((size_t)st->st_size + 2);
	if(!b) {
		snprintf(why, whylen, "out of memory");
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	for(;;) {
		ssize_t n = read(fd, b + got, (size_t)st->st_size + 1 - got);

		if(n < 0 && errno == EINTR)
			continue;
		if(n < 0) {
			e = errno;
			snprintf(why, whylen, "%s", strerror(e));
			ts_wipe(b, got);
			free(b);
			close(fd);
			errno = e;
			return -1;
		}
		got += (size_t)n;
		if(n == 0 || got > (size_t)st->st_size)
			break;
	}
	close(fd);
	if(got > (size_t)st->st_size) {
		snprintf(why, whylen, "changed while it was read");
		ts_wipe(b, got);
		free(b);
		errno = EAGAIN;
		return -1;
	}
	b[got] = '\0';
	*out = b;
	*len = got;
	return 0;
}
