/*
 * files: file-system helpers more than one layer needs.
 */
#ifndef TS_FILES_H
#define TS_FILES_H

#include <stddef.h>
#include <sys/stat.h>

/* Creates path and its missing parents, each with mode 0700. Returns 0
   (also when it exists already), or -1 with errno set. */
int ts_make_dirs(const char *path);

/* Reads the whole regular file at path, of at most max bytes, into *out
   (malloc'ed, NUL-terminated; *len without the NUL) and its status into
   *st. Never waits: the file is opened with O_NONBLOCK|O_NOFOLLOW, so a
   FIFO, a device, a directory or a symbolic link is refused before any
   read. On failure returns -1 with why ("not a regular file (a FIFO)",
   "larger than 65536 bytes", strerror) in why; errno is ENOENT when the
   file does not exist. The buffer read through is wiped. */
int ts_read_regular(const char *path, size_t max, char **out, size_t *len,
		    struct stat *st, char *why, size_t whylen);

/* A name for the type of file st describes: "a FIFO", "a directory"... */
const char *ts_file_kind(const struct stat *st);

#endif
