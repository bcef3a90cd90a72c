/*
 * config: the tokenshim.conf file as text. An INI file with an optional
 * [defaults] section and [profile NAME] sections; "#" and ";" start
 * comments at a line's start. This reader knows the file's shape only:
 * it hands back every key with the line it stood on, and leaves what the
 * keys mean to the profile builder (engine/profile.h). Every problem is
 * reported as "file:line: message".
 */
#ifndef TS_CONFIG_H
#define TS_CONFIG_H

#include <stddef.h>

struct ts_kv {
	char *key;
	char *value;
	int line;
};

/* One [profile NAME] section. */
struct ts_section {
	char *name;
	int line;		/* of its header */
	int broken;		/* it has a line that is not 'key = value' */
	struct ts_kv *kv;
	size_t nkv;
};

struct ts_ini {
	char *path;
	int mode;		/* the file's mode bits; 0 for text from elsewhere */
	struct ts_kv *defaults;	/* the [defaults] section */
	size_t ndefaults;
	struct ts_section *sections;
	size_t nsections;
	int errors;		/* how many problems were reported */
};

/* Receives each problem as one line, "file:line: message". */
typedef void ts_report_fn(void *ctx, const char *msg);

/* Where the config is: $TOKENSHIM_CONFIG, else
   $XDG_CONFIG_HOME/tokenshim/tokenshim.conf (~/.config/...), else
   /etc/tokenshim.conf. Returns a malloc'ed path. */
char *ts_config_find(void);
/* When TOKENSHIM_CONFIG is unset and no default place holds a config,
   writes the places searched ("A, B") into out and returns 1; else 0. */
int ts_config_searched(char *out, size_t len);
/* The places a config is looked for, in order, for --version. */
void ts_config_places(char *out, size_t len);

/* Reads the file at path into ini. A missing file is no error unless
   must_exist: there are simply no sections. Returns 0 when the file
   could be read, -1 otherwise; problems go to report and are counted in
   ini->errors. */
int ts_ini_read(const char *path, int must_exist, struct ts_ini *ini,
		ts_report_fn *report, void *rctx);
/* Parses text as if read from path, a file of the given mode. */
int ts_ini_parse(const char *path, const char *text, int mode,
		 struct ts_ini *ini, ts_report_fn *report, void *rctx);
void ts_ini_free(struct ts_ini *ini);

/* Reports one problem of ini's file, at line (0: the file as a whole),
   and counts it. */
void ts_ini_problem(struct ts_ini *ini, ts_report_fn *report, void *rctx,
		    int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The kv named key in kv[0..n), or NULL. */
const struct ts_kv *ts_kv_find(const struct ts_kv *kv, size_t n,
			       const char *key);

/* The kv that stood on line in kv[0..n), or NULL. */
const struct ts_kv *ts_kv_find_line(const struct ts_kv *kv, size_t n,
				    int line);

/* Appends a copy of key = value (from line) to kv[0..*n). Returns 0, or
   -1 when out of memory. */
int ts_kv_add(struct ts_kv **kv, size_t *n, const char *key,
	      const char *value, int line);

#endif
