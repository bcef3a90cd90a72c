/*
 * secret: secret sources, and running a command without a shell (used by
 * X_cmd here, and by providers that call out to a program).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/files.h"
#include "provider/secret.h"
#include "util/str.h"

extern char **environ;

#define SECRET_MAX (64 * 1024)

static void strip_newline(char *s, size_t *len)
{
	while(*len && (s[*len - 1] == '\n' || s[*len - 1] == '\r'))
		s[--*len] = '\0';
}

static int read_file(const char *path, char **out, char *errbuf,
		     size_t errlen)
{
	struct stat st;
	char why[256], *text;
	size_t len;

	if(ts_read_regular(path, SECRET_MAX, &text, &len, &st, why,
			   sizeof(why))) {
		snprintf(errbuf, errlen, "secret file %s %s%s", path,
			 errno == EINVAL || errno == EFBIG || errno == ELOOP ||
			 errno == EAGAIN ? "" : "cannot be read: ", why);
		return -1;
	}
	/* Like ssh with a private key: what anyone may read is no secret.
	   Group-readable files are fine, for shared service accounts. */
	if(st.st_mode & S_IROTH) {
		ts_wipe(text, len);
		free(text);
		snprintf(errbuf, errlen, "secret file %s is readable by others; "
			 "not used (chmod o-r it)", path);
		return -1;
	}
	strip_newline(text, &len);
	if(!len) {
		free(text);
		snprintf(errbuf, errlen, "secret file %s is empty", path);
		return -1;
	}
	*out = text;
	return 0;
}

const char *ts_secret_find(const char *key, ts_setting_fn *get, const void *ctx,
			   enum ts_secret_src *src, char *name, size_t namelen)
{
	static const char *const suffixes[] = TS_SECRET_SUFFIXES;
	static const enum ts_secret_src srcs[] = { TS_SECRET_ENV, TS_SECRET_FILE,
						   TS_SECRET_CMD };
	char n[96];
	size_t i;

	for(i = 0; i <= sizeof(srcs) / sizeof(srcs[0]); i++) {
		const char *v;

		snprintf(n, sizeof(n), "%s%s", key, i ? suffixes[i - 1] : "");
		v = get(ctx, n);
		if(!v)
			continue;
		*src = i ? srcs[i - 1] : TS_SECRET_LITERAL;
		if(name)
			snprintf(name, namelen, "%s", n);
		return v;
	}
	return NULL;
}

int ts_secret_read(enum ts_secret_src src, const char *spec, long timeout_ms,
		   char **out, char *errbuf, size_t errlen)
{
	const char *v;
	char **argv, *o = NULL, *e = NULL;
	size_t olen = 0;
	int status, rc;

	switch(src) {
	case TS_SECRET_LITERAL:
		*out = strdup(spec);
		return *out ? 0 : -1;
	case TS_SECRET_ENV:
		v = getenv(spec);
		if(!v) {
			snprintf(errbuf, errlen,
				 "environment variable %s is not set", spec);
			return -1;
		}
		*out = strdup(v);
		return *out ? 0 : -1;
	case TS_SECRET_FILE:
		return read_file(spec, out, errbuf, errlen);
	case TS_SECRET_CMD:
		argv = ts_argv_split(spec, errbuf, errlen);
		if(!argv)
			return -1;
		rc = ts_run(argv, NULL, timeout_ms, SECRET_MAX, &o, &olen, &e,
			    &status, errbuf, errlen);
		if(rc == 0 && status != 0) {
			/* stderr is the program's own words: show its first line */
			char *nl = e ? strchr(e, '\n') : NULL;

			if(nl)
				*nl = '\0';
			snprintf(errbuf, errlen, "secret command %s exited with status %d%s%s",
				 argv[0], status, e && *e ? ": " : "", e ? e : "");
			rc = -1;
		}
		if(rc == 0) {
			strip_newline(o, &olen);
			/* the program only: its arguments are config text */
			if(!olen) {
				snprintf(errbuf, errlen, "secret command %s printed nothing",
					 argv[0]);
				rc = -1;
			}
		}
		ts_argv_free(&argv);
		free(e);
		if(rc) {
			ts_free_secret(&o);
			return -1;
		}
		*out = o;
		return 0;
	}
	return -1;
}

char **ts_argv_split(const char *line, char *errbuf, size_t errlen)
{
	char **argv = NULL;
	size_t argc = 0;
	const char *s = line;

	for(;;) {
		struct ts_buf w = {0};
		char quote = 0;
		char **nv;

		while(*s == ' ' || *s == '\t')
			s++;
		if(!*s)
			break;
		ts_buf_add(&w, "", 0);
		while(*s && (quote || (*s != ' ' && *s != '\t'))) {
			if(quote && *s == quote) {
				quote = 0;
				s++;
			}
			else if(!quote && (*s == '\'' || *s == '"'))
				quote = *s++;
			else if(*s == '\\' && quote != '\'' && s[1])
				ts_buf_add(&w, ++s, 1), s++;
			else
				ts_buf_add(&w, s++, 1);
		}
		if(quote) {
			snprintf(errbuf, errlen, "unterminated %c quote in command",
				 quote);
			ts_buf_free(&w);
			ts_argv_free(&argv);
			return NULL;
		}
		nv = realloc(argv, (argc + 2) * sizeof(*argv));
		if(!nv) {
			ts_buf_free(&w);
			ts_argv_free(&argv);
			return NULL;
		}
		argv = nv;
		argv[argc++] = ts_buf_steal(&w);
		argv[argc] = NULL;
	}
	if(!argc) {
		snprintf(errbuf, errlen, "empty command");
		return NULL;
	}
	return argv;
}

void ts_argv_free(char ***argv)
{
	char **a;

	if(!argv || !*argv)
		return;
	for(a = *argv; *a; a++)
		free(*a);
	free(*argv);
	*argv = NULL;
}

/* environ plus extra entries, for posix_spawn. */
static char **merged_env(char *const extra[])
{
	size_t n = 0, m = 0, i;
	char **env;

	while(environ && environ[n])
		n++;
	while(extra && extra[m])
		m++;
	env = calloc(n + m + 1, sizeof(*env));
	if(!env)
		return NULL;
	for(i = 0; i < m; i++)
		env[i] = extra[i];
	for(i = 0; i < n; i++)
		env[m + i] = environ[i];
	return env;
}

int ts_run(char *const argv[], char *const extra_env[], long timeout_ms,
	   size_t cap, char **out, size_t *outlen, char **err, int *status,
	   char *errbuf, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	int po[2] = {-1, -1}, pe[2] = {-1, -1}, devnull, rc = -1, wst;
	struct ts_buf ob = {0}, eb = {0};
	char **env = NULL;
	long deadline = ts_now_ms() + timeout_ms;
	pid_t pid = -1;
	int open_fds = 2, killed = 0, over = 0;
	long nap = 1;

	*out = *err = NULL;
	*outlen = 0;
	if(pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		snprintf(errbuf, errlen, "cannot run %s: %s", argv[0],
			 strerror(errno));
		goto out;
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	posix_spawn_file_actions_init(&fa);
	if(devnull >= 0)
		posix_spawn_file_actions_adddup2(&fa, devnull, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	env = merged_env(extra_env);
	/* The child must not inherit tokenshim itself: a command that uses
	   curl would otherwise ask us for the very token we are fetching. */
	if(env) {
		size_t i;

		for(i = 0; env[i]; i++)
			if(!strncmp(env[i], "LD_PRELOAD=", 11))
				env[i] = (char *)"LD_PRELOAD=";
	}
	errno = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env ? env : environ);
	posix_spawn_file_actions_destroy(&fa);
	if(devnull >= 0)
		close(devnull);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	if(errno) {
		snprintf(errbuf, errlen, "cannot run %s: %s", argv[0],
			 strerror(errno));
		pid = -1;
		goto out;
	}
	while(open_fds > 0 && !killed && !over) {
		struct pollfd pf[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
		long left = deadline - ts_now_ms();
		char chunk[4096];
		int i;

		if(left <= 0) {
			kill(pid, SIGKILL);
			killed = 1;
			break;
		}
		if(poll(pf, 2, (int)left) < 0 && errno != EINTR)
			break;
		for(i = 0; i < 2; i++) {
			struct ts_buf *b = i ? &eb : &ob;
			ssize_t n;

			if(pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(pf[i].fd, chunk, sizeof(chunk));
			if(n <= 0) {
				close(i ? pe[0] : po[0]);
				if(i)
					pe[0] = -1;
				else
					po[0] = -1;
				open_fds--;
				continue;
			}
			/* more than the cap is an error, never a cut-down
			   secret; stderr is only ever shown in part */
			if(b->len + (size_t)n <= cap)
				ts_buf_add(b, chunk, (size_t)n);
			else if(!i)
				over = 1;
		}
		ts_wipe(chunk, sizeof(chunk));
	}
	if(over)
		kill(pid, SIGKILL);
	/* The child may close its pipes and live on ("exec >&-; sleep 8"):
	   the deadline covers the wait as well. */
	for(;;) {
		pid_t w = waitpid(pid, &wst, killed || over ? 0 : WNOHANG);

		if(w == pid)
			break;
		if(w < 0 && errno == EINTR)
			continue;
		if(w < 0) {
			/* ECHILD: the host ignores SIGCHLD, so the kernel
			   reaped the child and its status is gone */
			snprintf(errbuf, errlen, "%s: its exit status could not be read "
				 "(%s; does the program ignore SIGCHLD?)", argv[0],
				 strerror(errno));
			pid = -1;
			goto out;
		}
		if(ts_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			killed = 1;
			continue;
		}
		{
			/* it is usually gone within the first nap */
			struct timespec ts = {0, nap * 1000000L};

			nanosleep(&ts, NULL);
			if(nap < 16)
				nap *= 2;
		}
	}
	pid = -1;
	if(killed) {
		snprintf(errbuf, errlen, "%s did not finish within %ld ms and was killed",
			 argv[0], timeout_ms);
		goto out;
	}
	if(over) {
		snprintf(errbuf, errlen, "%s printed more than %zu bytes; not used",
			 argv[0], cap);
		goto out;
	}
	*status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
	ts_buf_add(&ob, "", 0);
	ts_buf_add(&eb, "", 0);
	*outlen = ob.len;
	*out = ts_buf_steal(&ob);
	*err = ts_buf_steal(&eb);
	rc = 0;
out:
	free(env);
	ts_buf_free(&ob);
	ts_buf_free(&eb);
	if(po[0] >= 0) close(po[0]);
	if(pe[0] >= 0) close(pe[0]);
	if(po[1] >= 0) close(po[1]);
	if(pe[1] >= 0) close(pe[1]);
	return rc;
}
