/*
 * files: file-system helpers more than one layer needs.
 */
#ifndef TS_FILES_H
#define TS_FILES_H

/* Creates path and its missing parents, each with mode 0700. Returns 0
   (also when it exists already), or -1 with errno set. */
int ts_make_dirs(const char *path);

#endif
