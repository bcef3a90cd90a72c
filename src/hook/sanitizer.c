/*
 * sanitizer: built into libtokenshim.so only by --enable-sanitizers (=yes
 * or =thread).
 *
 * A preloaded ASan or TSan runtime initialises lazily, on the first
 * intercepted call. In curl that call is a malloc inside newlocale(), made
 * by p11-kit's constructor while glibc holds its locale lock. The
 * sanitizer's start-up looks up swift_demangle with dlsym and then calls dlerror(), whose
 * message translation takes that same lock: the lock is corrupted and
 * curl's own setlocale() later hangs forever. With this symbol present the
 * lookup succeeds, dlerror() has nothing to translate, and start-up is
 * clean. Returning NULL tells the sanitizer a name is not a Swift one.
 */
#include <stddef.h>
#include <stdint.h>

__attribute__((visibility("default")))
char *swift_demangle(const char *name, size_t len, char *out, size_t *outlen,
		     uint32_t flags);

char *swift_demangle(const char *name, size_t len, char *out, size_t *outlen,
		     uint32_t flags)
{
	(void)name;
	(void)len;
	(void)out;
	(void)outlen;
	(void)flags;
	return NULL;
}
