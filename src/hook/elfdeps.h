/*
 * elfdeps: does a shared object link libcurl? PHP loads its extensions with
 * RTLD_DEEPBIND, which makes curl.so bind to its own libcurl before the
 * preloaded hooks. The dlopen hook asks this question to drop DEEPBIND for
 * such modules only, leaving every other module's isolation alone.
 */
#ifndef TS_ELFDEPS_H
#define TS_ELFDEPS_H

/* Non-zero when the ELF file at path has a DT_NEEDED entry starting with
   prefix. Zero for anything unreadable or not a 64-bit ELF object. */
int ts_elf_needs(const char *path, const char *prefix);

#endif
