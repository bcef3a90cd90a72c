/*
 * provider_smoke: loads one provider module with RTLD_NOW, as tokenshim
 * does, negotiates the ABI and checks the table it answers with. Built
 * once per provider folder with MODULE and NAME set.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "tokenshim_provider.h"

int main(void)
{
	const struct tokenshim_provider *p = NULL;
	tokenshim_provider_init_fn *init;
	int version = 0, failed = 0;
	void *dl = dlopen(MODULE, RTLD_NOW | RTLD_LOCAL);

	if(!dl) {
		printf("FAIL: dlopen %s: %s\n", MODULE, dlerror());
		return 1;
	}
	*(void **)&init = dlsym(dl, TOKENSHIM_PROVIDER_INIT);
	if(!init) {
		printf("FAIL: no %s in %s\n", TOKENSHIM_PROVIDER_INIT, MODULE);
		return 1;
	}
	if(init(0, &version, &p) == TOKENSHIM_OK) {
		printf("FAIL: accepted ABI version 0\n");
		failed++;
	}
	if(init(TOKENSHIM_PROVIDER_ABI, &version, &p) != TOKENSHIM_OK || !p ||
	   version != TOKENSHIM_PROVIDER_ABI) {
		printf("FAIL: init refused ABI %d\n", TOKENSHIM_PROVIDER_ABI);
		return 1;
	}
	if(strcmp(p->name, NAME) || !p->acquire || !p->keys || !p->inject) {
		printf("FAIL: table of %s is incomplete\n", NAME);
		failed++;
	}
	/* exports nothing but the init symbol: every symbol the module
	   defines in its dynamic table, as nm lists them */
	{
		char line[512];
		int others = 0, inits = 0;
		FILE *nm = popen("nm -D --defined-only '" MODULE "'", "r");

		if(!nm) {
			printf("FAIL: cannot run nm\n");
			failed++;
		}
		while(nm && fgets(line, sizeof(line), nm)) {
			char *name = strrchr(line, ' ');

			if(!name)
				continue;
			name[strcspn(name, "\n")] = '\0';
			if(!strcmp(name + 1, TOKENSHIM_PROVIDER_INIT))
				inits++;
			else {
				printf("FAIL: %s exports %s\n", MODULE, name + 1);
				others++;
			}
		}
		if(nm && (pclose(nm) != 0 || inits != 1 || others)) {
			if(!others)
				printf("FAIL: nm saw %d init symbol(s) in %s\n", inits,
				       MODULE);
			failed++;
		}
	}
	dlclose(dl);
	printf("%s: %d passed, %d failed\n", NAME, failed ? 0 : 1, failed ? 1 : 0);
	return failed ? 1 : 0;
}
