// SPDX-License-Identifier: GPL-2.0
/*
 * libmagpie-malloc.so: the C allocation functions on libmagpie arenas, for
 * LD_PRELOAD. One arena of MAGPIE_ARENA_SIZE (default 64 GiB of virtual
 * space, backed lazily) takes every allocation; when it is full, another
 * is made (up to MGP_SHIM_ARENAS). Sizes of 17 to 24 bytes are served from
 * the 32-byte class so that every block above 8 bytes is 16-byte aligned.
 *
 * Bootstrap: the first allocation makes the arena under shim_lock. What
 * that allocates itself (getenv() does not, but pthread_atfork() or a
 * key's storage may) is served from a static buffer, as is anything the
 * initialising thread asks for meanwhile; such blocks are never freed.
 *
 * MAGPIE_MALLOC_STATS=1 prints one line of statistics to stderr at exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fastpath.h"

#define MGP_EXPORT		__attribute__((visibility("default")))
#define MGP_SHIM_ARENAS		16
#define MGP_BOOT_BYTES		(64 << 10)

/*
 * shim_lock protects making arenas and shim_state's transitions. The
 * arena table is append-only: an arena's slot and range are written
 * before shim_nr is raised with a release store, and readers load shim_nr
 * with acquire, so a reader sees every slot below it complete.
 */
static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mgp_arena *shim_arena[MGP_SHIM_ARENAS];
static uintptr_t shim_lo[MGP_SHIM_ARENAS], shim_hi[MGP_SHIM_ARENAS];
static unsigned int shim_nr;
/* The arena new allocations go to (the newest); acquire/release as shim_nr. */
static struct mgp_arena *shim_cur;
static u64 shim_arena_size;
static int shim_stats;

static __thread int shim_in_init __attribute__((tls_model("initial-exec")));

/* The bootstrap buffer: a bump allocator with the size before each block. */
static alignas(16) char shim_boot[MGP_BOOT_BYTES];
static size_t shim_boot_used;	/* atomic */

static void *boot_alloc(size_t size)
{
	size_t need = ((size + 15) & ~(size_t)15) + 16, at;

	if (size > MGP_BOOT_BYTES)
		goto full;
	at = __atomic_fetch_add(&shim_boot_used, need, __ATOMIC_RELAXED);
	if (at + need > MGP_BOOT_BYTES)
		goto full;
	*(size_t *)(shim_boot + at) = size;
	return shim_boot + at + 16;
full:
	errno = ENOMEM;
	return NULL;
}

static bool is_boot(const void *p)
{
	return (const char *)p >= shim_boot && (const char *)p < shim_boot + MGP_BOOT_BYTES;
}

static size_t boot_size(const void *p)
{
	return *(const size_t *)((const char *)p - 16);
}

/* Messages without stdio buffers (which would allocate). */
static void shim_say(const char *msg)
{
	ssize_t ret = write(2, msg, strlen(msg));

	(void)ret;
}

/* Arena sizes MAGPIE_ARENA_SIZE may ask for. */
#define SHIM_MIN_ARENA		(1024ULL * 1024)
/* A refused reservation is retried at half the size down to this. */
#define SHIM_MIN_HALVED		(256ULL << 20)

/*
 * MAGPIE_ARENA_SIZE: bytes, with an optional K, M or G, from
 * SHIM_MIN_ARENA to MAGPIE_ARENA_MAX_SIZE; 0 for anything else.
 */
static u64 shim_env_size(void)
{
	const char *s = getenv("MAGPIE_ARENA_SIZE");
	unsigned int shift = 0;
	char *end;
	u64 v;

	if (!s || !*s)
		return MAGPIE_ARENA_MAX_SIZE;
	if (*s < '0' || *s > '9')
		return 0;	/* strtoull() would take a sign */
	v = strtoull(s, &end, 0);	/* ULLONG_MAX on overflow, too big below */
	if (*end == 'G' || *end == 'g')
		shift = 30;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'K' || *end == 'k')
		shift = 10;
	if (shift)
		end++;
	if (*end || v > MAGPIE_ARENA_MAX_SIZE >> shift)
		return 0;
	v <<= shift;
	return v >= SHIM_MIN_ARENA ? v : 0;
}

static void shim_atfork_prepare(void)
{
	pthread_mutex_lock(&shim_lock);
}

static void shim_atfork_release(void)
{
	pthread_mutex_unlock(&shim_lock);
}

static const char shim_fork_copy_msg[] =
	"libmagpie-malloc: a fork() child without memory to copy its heap stops here\n";

/*
 * Runs after the library's child handler, which copies device arenas
 * into private memory. Where that copy failed the arena is dead, but this
 * thread's cache still holds objects in the parent's pages, which the
 * fast paths would hand out: stop the child instead.
 */
static void shim_atfork_child(void)
{
	unsigned int i, n = __atomic_load_n(&shim_nr, __ATOMIC_ACQUIRE);

	pthread_mutex_unlock(&shim_lock);
	for (i = 0; i < n; i++) {
		if (!mgp_arena_ok(shim_arena[i])) {
			shim_say(shim_fork_copy_msg);
			abort();
		}
	}
}

/*
 * The first arena could not be made. A setting that can never work stops
 * the program with a message (it would otherwise die later of a malloc()
 * that returned NULL, saying only "memory exhausted"); running out of
 * memory is said too, and left to the program as ENOMEM.
 */
enum shim_no_arena {
	SHIM_BAD_SIZE,
	SHIM_BAD_BACKEND,
	SHIM_NO_DEVICE,
	SHIM_DEVICE_DENIED,
	SHIM_DEVICE_VERSION,
	SHIM_NO_MEMORY,
};

static const char *const shim_no_arena_msg[] = {
	[SHIM_BAD_SIZE] =
	"libmagpie-malloc: MAGPIE_ARENA_SIZE must be from 1M to 64G (bytes, or a number with K, M or G)\n",
	[SHIM_BAD_BACKEND] =
	"libmagpie-malloc: MAGPIE_BACKEND must be device, anon or auto\n",
	[SHIM_NO_DEVICE] =
	"libmagpie-malloc: MAGPIE_BACKEND=device but there is no /dev/magpie (is magpie.ko loaded?)\n",
	[SHIM_DEVICE_DENIED] =
	"libmagpie-malloc: MAGPIE_BACKEND=device but /dev/magpie may not be opened by this user\n",
	[SHIM_DEVICE_VERSION] =
	"libmagpie-malloc: /dev/magpie speaks another API version than this library\n",
	[SHIM_NO_MEMORY] =
	"libmagpie-malloc: no memory for a first arena (MAGPIE_ARENA_SIZE?)\n",
};

static void shim_no_first_arena(int err)
{
	enum shim_no_arena why;

	switch (err) {
	case EINVAL:
		why = SHIM_BAD_BACKEND;
		break;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		why = SHIM_NO_DEVICE;
		break;
	case EACCES:
	case EPERM:
		why = SHIM_DEVICE_DENIED;
		break;
	case EPROTO:
	case EOPNOTSUPP:
		why = SHIM_DEVICE_VERSION;
		break;
	default:
		shim_say(shim_no_arena_msg[SHIM_NO_MEMORY]);
		errno = ENOMEM;
		return;
	}
	shim_say(shim_no_arena_msg[why]);
	abort();
}

/*
 * Adds an arena; shim_lock held. Without overcommit a huge reservation may
 * be refused, so the size halves down to SHIM_MIN_HALVED before giving
 * up (a smaller size asked for is tried once). A later arena that cannot
 * be made fails the allocation with ENOMEM, whatever the reason.
 */
static struct mgp_arena *shim_add_arena(void)
{
	struct mgp_arena_opts o = { .backend = MGP_BACKEND_ENV };
	struct mgp_arena *a = NULL;
	u64 size = shim_arena_size;
	unsigned int n = shim_nr;

	if (n == MGP_SHIM_ARENAS) {
		errno = ENOMEM;
		return NULL;
	}
	shim_in_init = 1;
	for (;;) {
		o.size = size;
		a = mgp_arena_create(&o);
		if (a || errno != ENOMEM || size / 2 < SHIM_MIN_HALVED)
			break;
		size /= 2;
	}
	if (a) {
		shim_arena[n] = a;
		shim_lo[n] = (uintptr_t)a->data;
		shim_hi[n] = (uintptr_t)a->data + ((uintptr_t)a->nr_pages << MGP_PAGE_SHIFT);
		__atomic_store_n(&shim_nr, n + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&shim_cur, a, __ATOMIC_RELEASE);
		/* After the library's own handlers: ours run first in prepare. */
		if (!n)
			pthread_atfork(shim_atfork_prepare, shim_atfork_release,
				       shim_atfork_child);
	} else if (!n) {
		shim_no_first_arena(errno);
	} else {
		errno = ENOMEM;
	}
	shim_in_init = 0;
	return a;
}

static struct mgp_arena *shim_init(void)
{
	struct mgp_arena *a;

	pthread_mutex_lock(&shim_lock);
	a = __atomic_load_n(&shim_cur, __ATOMIC_ACQUIRE);
	if (!a) {
		const char *st = getenv("MAGPIE_MALLOC_STATS");

		shim_stats = st && *st == '1';
		shim_arena_size = shim_env_size();
		if (!shim_arena_size) {
			shim_say(shim_no_arena_msg[SHIM_BAD_SIZE]);
			abort();
		}
		a = shim_add_arena();
	}
	pthread_mutex_unlock(&shim_lock);
	return a;
}

/* Another arena after @full ran out; NULL when none can be made. */
static struct mgp_arena *shim_grow(struct mgp_arena *full)
{
	struct mgp_arena *a;

	pthread_mutex_lock(&shim_lock);
	a = __atomic_load_n(&shim_cur, __ATOMIC_ACQUIRE);
	if (a == full)
		a = shim_add_arena();
	pthread_mutex_unlock(&shim_lock);
	return a;
}

static inline struct mgp_arena *shim_current(void)
{
	struct mgp_arena *a = __atomic_load_n(&shim_cur, __ATOMIC_ACQUIRE);

	return likely(a) ? a : shim_init();
}

/* The arena holding @p, or NULL. */
static inline struct mgp_arena *shim_owner(const void *p)
{
	unsigned int i, n = __atomic_load_n(&shim_nr, __ATOMIC_ACQUIRE);

	for (i = 0; i < n; i++)
		if ((uintptr_t)p - shim_lo[i] < shim_hi[i] - shim_lo[i])
			return shim_arena[i];
	return NULL;
}

static inline size_t shim_round(size_t size)
{
	return size - 17 < 8 ? 32 : size;
}

/*
 * Whether a request for @need bytes could fit in an empty arena like @a:
 * in its size and in what its backend may back (a device arena's open
 * file limit). One that cannot is refused with ENOMEM by every arena:
 * adding arenas for it would only use up the MGP_SHIM_ARENAS slots. The
 * first test also keeps the rounding to pages from overflowing.
 */
static inline bool shim_may_fit(const struct mgp_arena *a, u64 need)
{
	if (need > (u64)a->nr_pages << MGP_PAGE_SHIFT)
		return false;
	return mgp_heap_may_back(a, mgp_pages(need));
}

/*
 * Allocates with @call in the current arena, and in a new one when it is
 * full and the request, @need bytes, would fit in an empty one.
 */
#define SHIM_ALLOC(call, need)						\
	({								\
		struct mgp_arena *__a = shim_current();			\
		void *__p = NULL;					\
		while (__a) {						\
			struct mgp_arena *a = __a;			\
			__p = (call);					\
			if (__p || errno != ENOMEM || !shim_may_fit(a, (need))) \
				break;					\
			__a = shim_grow(a);				\
		}							\
		__p;							\
	})

/* Out of line, so that the fast paths need no stack frame. */
static noinline void *malloc_slow(size_t size)
{
	if (unlikely(shim_in_init))
		return boot_alloc(size);
	return SHIM_ALLOC(mgp_alloc(a, shim_round(size)), size);
}

MGP_EXPORT void *malloc(size_t size)
{
	struct mgp_arena *a = __atomic_load_n(&shim_cur, __ATOMIC_ACQUIRE);

	/*
	 * A hit in this thread's cache of the current arena: no call. Also
	 * while this thread adds an arena (shim_in_init): a hit takes no
	 * lock and cannot recurse into that; only the slow path must not run.
	 */
	if (likely(a && size <= MAGPIE_MAX_SMALL_SIZE)) {
		void *p = mgp_alloc_fast(a, magpie_size_to_class(shim_round(size ? size : 1)));

		if (likely(p))
			return p;
	}
	return malloc_slow(size);
}

static noinline void free_slow(void *p)
{
	struct mgp_arena *a = shim_owner(p);
	int err = errno;

	/* NULL, the bootstrap buffer's blocks, and pointers not ours. */
	if (!a)
		return;
	/* Refused frees are counted in the arena's stats; free() has no error. */
	mgp_free(a, p);
	errno = err;
}

MGP_EXPORT void free(void *p)
{
	struct mgp_arena *a = __atomic_load_n(&shim_cur, __ATOMIC_ACQUIRE);

	/*
	 * Most blocks come from the current arena: try its fast path first,
	 * which refuses anything outside that arena (and NULL), so no search
	 * of the arena table; it makes no call, so errno needs no saving.
	 */
	if (likely(a && mgp_free_fast(a, p)))
		return;
	free_slow(p);
}

MGP_EXPORT void cfree(void *p)
{
	free(p);
}

MGP_EXPORT void *calloc(size_t nmemb, size_t size)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(nmemb, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	if (unlikely(shim_in_init)) {
		p = boot_alloc(bytes);	/* the static buffer is still zero */
		return p;
	}
	return SHIM_ALLOC(mgp_calloc(a, 1, shim_round(bytes)), bytes);
}

MGP_EXPORT size_t malloc_usable_size(void *p)
{
	struct mgp_arena *a;

	if (!p)
		return 0;
	if (is_boot(p))
		return boot_size(p);
	a = shim_owner(p);
	return a ? mgp_usable_size(a, p) : 0;
}

MGP_EXPORT void *realloc(void *p, size_t size)
{
	struct mgp_arena *a;
	size_t old;
	void *q;

	if (!p)
		return malloc(size);
	if (!size) {
		free(p);
		return NULL;
	}
	a = is_boot(p) ? NULL : shim_owner(p);
	if (a) {
		q = mgp_realloc(a, p, shim_round(size));
		if (q || errno != ENOMEM)
			return q;
		/* This arena is full: move to another. */
	} else if (!is_boot(p)) {
		errno = EINVAL;
		return NULL;
	}
	old = malloc_usable_size(p);
	q = malloc(size);
	if (!q)
		return NULL;
	memcpy(q, p, old < size ? old : size);
	free(p);
	return q;
}

MGP_EXPORT void *reallocarray(void *p, size_t nmemb, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(nmemb, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, bytes);
}

static void *shim_aligned(size_t align, size_t size)
{
	if (unlikely(shim_in_init)) {
		errno = ENOMEM;
		return NULL;
	}
	/* A run aligned beyond a page may need up to @align more. */
	return SHIM_ALLOC(mgp_alloc_aligned(a, align, shim_round(size)), (u64)size + align);
}

MGP_EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	int err = errno, ret = EINVAL;
	void *p;

	/* POSIX: the error is the return value, errno stays as it was. */
	if (align && !(align & (align - 1)) && !(align % sizeof(void *))) {
		p = shim_aligned(align, size);
		ret = p ? 0 : (errno ? errno : ENOMEM);
		if (p)
			*out = p;
	}
	errno = err;
	return ret;
}

MGP_EXPORT void *aligned_alloc(size_t align, size_t size)
{
	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	return shim_aligned(align, size);
}

/* As glibc: an alignment that is not a power of two is rounded up to one. */
MGP_EXPORT void *memalign(size_t align, size_t size)
{
	size_t a = 1;

	if (align > (SIZE_MAX >> 1) + 1) {
		errno = EINVAL;
		return NULL;
	}
	while (a < align)
		a <<= 1;
	return shim_aligned(a, size);
}

MGP_EXPORT void *valloc(size_t size)
{
	return shim_aligned(MGP_PAGE_SIZE, size);
}

MGP_EXPORT void *pvalloc(size_t size)
{
	if (size > SIZE_MAX - MGP_PAGE_SIZE) {
		errno = ENOMEM;
		return NULL;
	}
	size = (size + MGP_PAGE_SIZE - 1) & ~(size_t)(MGP_PAGE_SIZE - 1);
	return shim_aligned(MGP_PAGE_SIZE, size);
}

/* MAGPIE_MALLOC_STATS=1: one line at exit, summed over the arenas. */
__attribute__((destructor)) static void shim_report(void)
{
	unsigned int i, c, n = __atomic_load_n(&shim_nr, __ATOMIC_ACQUIRE);
	u64 in_use = 0, backed = 0, objects = 0, released = 0, bad = 0, dbl = 0;
	struct mgp_stats st;
	char line[320];

	if (!shim_stats || !n)
		return;
	for (i = 0; i < n; i++) {
		if (mgp_arena_stats(shim_arena[i], &st))
			continue;
		in_use += st.bytes_in_use;
		backed += st.bytes_backed;
		released += st.bytes_released;
		bad += st.bad_frees;
		dbl += st.double_frees;
		for (c = 0; c < st.nr_classes; c++)
			objects += st.objects[c];
	}
	snprintf(line, sizeof(line),
		 "libmagpie-malloc: pid %d backend %s arenas %u objects %llu in_use %llu backed %llu released %llu bad_frees %llu double_frees %llu\n",
		 (int)getpid(), st.backend, n, (unsigned long long)objects,
		 (unsigned long long)in_use, (unsigned long long)backed,
		 (unsigned long long)released, (unsigned long long)bad,
		 (unsigned long long)dbl);
	shim_say(line);
}
