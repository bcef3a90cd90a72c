/*
 * secret: where a password, API key or client secret comes from. A secret
 * key X may be given literally, or as X_env (an environment variable),
 * X_file (a file, trailing newline stripped) or X_cmd (a command's stdout,
 * run without a shell). Secrets are read when a login needs them, never at
 * config load, and wiped once the login request is built.
 */
#ifndef TS_SECRET_H
#define TS_SECRET_H

#include <stddef.h>

enum ts_secret_src { TS_SECRET_LITERAL, TS_SECRET_ENV, TS_SECRET_FILE,
		     TS_SECRET_CMD };

/* Looks for the secret key as a login does: X (literal), then X_env,
   X_file, X_cmd. get(ctx, name) is a setting's value, or NULL. Returns
   the first value set, with its source in *src and the setting's name in
   name (namelen bytes, NULL: not wanted); NULL when none is set. */
typedef const char *ts_setting_fn(const void *ctx, const char *name);
const char *ts_secret_find(const char *key, ts_setting_fn *get, const void *ctx,
			   enum ts_secret_src *src, char *name, size_t namelen);

/* Resolves one source. On success returns 0 and a malloc'ed secret in *out
   (free with ts_free_secret). On failure returns -1 and writes a message
   naming the source, never its content, into errbuf. timeout_ms bounds a
   command. */
int ts_secret_read(enum ts_secret_src src, const char *spec, long timeout_ms,
		   char **out, char *errbuf, size_t errlen);

/* Splits a command line into argv without a shell: words are separated by
   blanks, '...' and "..." quote, and a backslash escapes the next character.
   Returns a NULL-terminated vector (free with ts_argv_free), or NULL with a
   message in errbuf. */
char **ts_argv_split(const char *line, char *errbuf, size_t errlen);
void ts_argv_free(char ***argv);

/* Runs argv (no shell) with extra environment entries ("K=V", NULL-ended,
   may be NULL), collecting stdout (capped at cap bytes) and stderr. Kills
   the child after timeout_ms. Returns 0 when it ran to completion (status
   in *status), -1 with errbuf otherwise. Outputs are malloc'ed. */
int ts_run(char *const argv[], char *const extra_env[], long timeout_ms,
	   size_t cap, char **out, size_t *outlen, char **err, int *status,
	   char *errbuf, size_t errlen);

#endif
