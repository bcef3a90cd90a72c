/*
 * elfdeps: reads DT_NEEDED from an ELF file's dynamic section. Every
 * offset is checked against the file size: the file is untrusted input.
 */
#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hook/elfdeps.h"

/* File offset of a virtual address, through the PT_LOAD segments. */
static int vaddr_off(const Elf64_Phdr *ph, int n, Elf64_Addr va,
		     Elf64_Off *off)
{
	int i;

	for(i = 0; i < n; i++)
		if(ph[i].p_type == PT_LOAD && va >= ph[i].p_vaddr &&
		   va < ph[i].p_vaddr + ph[i].p_filesz) {
			*off = va - ph[i].p_vaddr + ph[i].p_offset;
			return 0;
		}
	return -1;
}

int ts_elf_needs(const char *path, const char *prefix)
{
	const unsigned char *m;
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;
	const Elf64_Dyn *dyn = NULL;
	Elf64_Off stroff = 0;
	Elf64_Addr strva = 0;
	size_t size, ndyn = 0, i, plen = strlen(prefix);
	struct stat st;
	int fd, found = 0, j;

	/* never waits on a FIFO: what is dlopen'ed is a regular file */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if(fd < 0)
		return 0;
	if(fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	   st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return 0;
	}
	size = (size_t)st.st_size;
	m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if(m == MAP_FAILED)
		return 0;
	eh = (const Elf64_Ehdr *)m;
	if(memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	   eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	   eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > size ||
	   eh->e_phoff % 8 ||	/* tables are aligned in any real object */
	   (size - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		goto out;
	ph = (const Elf64_Phdr *)(m + eh->e_phoff);
	for(j = 0; j < eh->e_phnum; j++)
		if(ph[j].p_type == PT_DYNAMIC && ph[j].p_offset <= size &&
		   !(ph[j].p_offset % 8) &&
		   ph[j].p_filesz <= size - ph[j].p_offset) {
			dyn = (const Elf64_Dyn *)(m + ph[j].p_offset);
			ndyn = ph[j].p_filesz / sizeof(Elf64_Dyn);
		}
	if(!dyn)
		goto out;
	for(i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++)
		if(dyn[i].d_tag == DT_STRTAB)
			strva = dyn[i].d_un.d_ptr;
	if(!strva || vaddr_off(ph, eh->e_phnum, strva, &stroff) ||
	   stroff >= size)
		goto out;
	for(i = 0; i < ndyn && dyn[i].d_tag != DT_NULL && !found; i++) {
		Elf64_Off o;

		if(dyn[i].d_tag != DT_NEEDED)
			continue;
		o = stroff + dyn[i].d_un.d_val;
		if(o < stroff || o >= size || size - o <= plen)
			continue;
		found = !memcmp(m + o, prefix, plen);
	}
out:
	munmap((void *)m, size);
	return found;
}
