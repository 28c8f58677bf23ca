// SPDX-License-Identifier: GPL-2.0
/*
 * A 32-bit program for the arena_compat32 kselftest: it opens /dev/magpie,
 * creates an arena, maps it with mmap2(), touches and checks a data page,
 * releases it and exits 0. Any other exit code names the step that failed.
 *
 * The build machine has no 32-bit C library, so this is freestanding: it
 * is linked with -nostdlib and makes its system calls with int 0x80.
 */
#include <linux/magpie.h>

/* i386 system call numbers (arch/x86/entry/syscalls/syscall_32.tbl). */
#define NR_EXIT		1
#define NR_OPEN		5
#define NR_IOCTL	54
#define NR_MMAP2	192

#define O_RDWR		2
#define PROT_RW		3
#define MAP_SHARED	1
#define PAGE		4096UL

/*
 * The sixth argument goes in %ebp, which the compiler may be using, so it
 * is saved around the call and loaded from a global (an absolute address,
 * which stays valid after the push moves %esp).
 */
static long sys_arg6;

static long sys6(long nr, long a, long b, long c, long d, long e)
{
	long ret;

	asm volatile("push %%ebp\n\t"
		     "movl %[a6], %%ebp\n\t"
		     "int $0x80\n\t"
		     "pop %%ebp"
		     : "=a"(ret)
		     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e), [a6] "m"(sys_arg6)
		     : "memory");
	return ret;
}

static long sys3(long nr, long a, long b, long c)
{
	return sys6(nr, a, b, c, 0, 0);
}

/* A plain loop: the build keeps GCC from turning it into a memset() call. */
static void zero(void *p, unsigned long n)
{
	unsigned char *b = p;

	while (n--)
		*b++ = 0;
}

static int run(void)
{
	struct magpie_arena_create c;
	struct magpie_arena_stats st;
	struct magpie_release r;
	unsigned char *map, *data;
	unsigned long pgoff;
	long fd, ret;

	fd = sys3(NR_OPEN, (long)MAGPIE_DEVICE_PATH, O_RDWR, 0);
	if (fd < 0)
		return 10;
	zero(&c, sizeof(c));
	c.size = 16 * PAGE;
	if (sys3(NR_IOCTL, fd, MAGPIE_IOC_ARENA_CREATE, (long)&c))
		return 11;
	/* mmap2() counts the offset in 4 KiB units, in 32 bits. */
	if (c.mmap_offset % PAGE || c.mmap_offset / PAGE > 0xffffffffULL)
		return 12;
	pgoff = (unsigned long)(c.mmap_offset / PAGE);
	sys_arg6 = (long)pgoff;
	ret = sys6(NR_MMAP2, 0, (long)c.map_size, PROT_RW, MAP_SHARED, fd);
	if (ret < 0 && ret > -4096)
		return 13;
	/* Each system call clobbers memory: the reads below are real. */
	map = (unsigned char *)ret;
	/* The header the kernel wrote, then a data page that reads zero. */
	if (((struct magpie_arena_header *)map)->magic != MAGPIE_ARENA_MAGIC)
		return 14;
	data = map + c.data_offset;
	if (data[100])
		return 15;
	data[100] = 0x5a;
	zero(&st, sizeof(st));
	st.id = c.id;
	if (sys3(NR_IOCTL, fd, MAGPIE_IOC_ARENA_STATS, (long)&st) || st.pages_backed != 2)
		return 16;
	zero(&r, sizeof(r));
	r.id = c.id;
	r.offset = c.data_offset;
	r.length = PAGE;
	if (sys3(NR_IOCTL, fd, MAGPIE_IOC_RELEASE, (long)&r) || r.released != 1)
		return 17;
	/* Released: the next touch reads a new zeroed page. */
	if (data[100])
		return 18;
	return 0;
}

void _start(void)
{
	int code = run();

	for (;;)
		sys3(NR_EXIT, code, 0, 0);
}
