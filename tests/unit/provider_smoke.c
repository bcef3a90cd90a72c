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
	/* exports nothing but the init symbol */
	if(dlsym(dl, "nb_acquire") || dlsym(dl, "provider")) {
		printf("FAIL: %s exports internal symbols\n", MODULE);
		failed++;
	}
	dlclose(dl);
	printf("%s: %d passed, %d failed\n", NAME, failed ? 0 : 1, failed ? 1 : 0);
	return failed ? 1 : 0;
}
