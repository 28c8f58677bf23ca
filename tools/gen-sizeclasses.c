// SPDX-License-Identifier: GPL-2.0
/*
 * gen-sizeclasses - generate magpie's size-class table.
 *
 * The method follows the Go runtime's (runtime/mksizeclasses.go): walk the
 * sizes up to 32 KiB with a step that grows with the size so that rounding a
 * request up to its class wastes at most 1/8 of the object, give each class
 * the smallest span (in 4 KiB pages) whose tail left after cutting it into
 * objects is at most 1/8 of the span, and fold a class into the next larger
 * one when both pack the same number of objects into the same span.
 *
 * Three files are written:
 *   uapi/linux/magpie_sizeclasses.h   the table as an X-macro (kernel,
 *                                     userlib and /proc readers agree on it)
 *   mod/engine/sizeclass_lookup.h     the O(1) size -> class lookup arrays
 *   Documentation/sizeclass-table.rst the table with each class's worst case
 *
 * Usage: gen-sizeclasses UAPI_HEADER LOOKUP_HEADER RST_TABLE
 * CI regenerates both and fails when they differ from what is checked in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE	4096u
#define MAX_SMALL	32768u
#define SMALL_LIMIT	1024u	/* lookup granularity 8 up to here, 128 above */
#define MAX_CLASSES	128
/*
 * Spans stay within order-3 (32 KiB), like SLUB's default slub_max_order and
 * the buddy allocator's PAGE_ALLOC_COSTLY_ORDER: a size that cannot be cut
 * from at most that many pages with a tail of 1/8 or less is no class.
 */
#define MAX_SPAN_PAGES	8u

struct class {
	unsigned int size;
	unsigned int npages;
	unsigned int nobjs;
	unsigned int tail;
	unsigned int max_waste_bp;	/* worst internal waste, 1/10000 */
	unsigned int max_total_bp;	/* worst waste incl. tail, 1/10000 */
};

static struct class classes[MAX_CLASSES];
static unsigned int nclasses = 1;	/* class 0 means "large object" */

static int is_pow2(unsigned int x)
{
	return x && !(x & (x - 1));
}

/*
 * Smallest span whose leftover tail is at most 1/8 of the span, or 0 when
 * there is none within MAX_SPAN_PAGES.
 */
static unsigned int span_pages(unsigned int size)
{
	unsigned int n;

	for (n = 1; n <= MAX_SPAN_PAGES; n++)
		if (n * PAGE_SIZE >= size && (n * PAGE_SIZE) % size <= n * PAGE_SIZE / 8)
			return n;
	return 0;
}

/*
 * The worst request that lands in class i is one byte above the class
 * below it: that wastes size - (prev + 1) bytes of the object. Counting
 * the tail as well (Go's "max waste" column) spreads it over the span.
 */
static void fill_waste(void)
{
	unsigned int i;

	for (i = 1; i < nclasses; i++) {
		struct class *c = &classes[i];
		unsigned int prev = i > 1 ? classes[i - 1].size : 0;
		unsigned long long span = (unsigned long long)c->npages * PAGE_SIZE;
		unsigned long long worst = c->size - prev - 1;

		c->max_waste_bp = (unsigned int)(worst * 10000 / c->size);
		c->max_total_bp = (unsigned int)((worst * c->nobjs + c->tail) * 10000 / span);
	}
}

static void build(void)
{
	unsigned int align = 8, size;

	for (size = align; size <= MAX_SMALL; size += align) {
		struct class *prev = &classes[nclasses - 1];
		unsigned int npages, nobjs;

		if (is_pow2(size)) {
			if (size >= 2048)
				align = 256;
			else if (size >= 128)
				align = size / 8;
			else if (size >= 32)
				align = 16;
		}
		npages = span_pages(size);
		if (!npages)
			continue;
		nobjs = npages * PAGE_SIZE / size;
		/*
		 * Same packing as the class below: the larger size serves its
		 * requests for free. Powers of two stay, since they carry the
		 * natural-alignment guarantee, and so does any class whose
		 * removal would push the next one past 12.5 % waste.
		 */
		if (nclasses > 1 && prev->npages == npages && prev->nobjs == nobjs &&
		    !is_pow2(prev->size)) {
			unsigned int below = nclasses > 2 ? classes[nclasses - 2].size : 0;

			if (size < 128 || (size - below - 1) * 8 <= size) {
				prev->size = size;
				prev->tail = npages * PAGE_SIZE - nobjs * size;
				continue;
			}
		}
		if (nclasses == MAX_CLASSES) {
			fprintf(stderr, "too many size classes\n");
			exit(1);
		}
		classes[nclasses].size = size;
		classes[nclasses].npages = npages;
		classes[nclasses].nobjs = nobjs;
		classes[nclasses].tail = npages * PAGE_SIZE - nobjs * size;
		nclasses++;
	}
	fill_waste();
}

static unsigned int class_of(unsigned int size)
{
	unsigned int i;

	for (i = 1; i < nclasses; i++)
		if (classes[i].size >= size)
			return i;
	return 0;
}

/* Largest objects-per-span, rounded up to whole 64-bit bitmap words. */
static unsigned int max_objects(void)
{
	unsigned int i, m = 0;

	for (i = 1; i < nclasses; i++)
		if (classes[i].nobjs > m)
			m = classes[i].nobjs;
	return (m + 63) / 64 * 64;
}

static FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(1);
	}
	return f;
}

static void close_out(FILE *f, const char *path)
{
	if (ferror(f) || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void write_uapi(const char *path)
{
	FILE *f = open_out(path);
	unsigned int i;

	/* The tag is assembled so that checkers do not take it for this file's. */
	fprintf(f, "/* %s: GPL-2.0 WITH Linux-syscall-note */\n"
		"/*\n"
		" * magpie size classes, shared by the kernel module, userlib and readers\n"
		" * of /proc/magpie/sizeclasses.\n"
		" *\n"
		" * Generated by tools/gen-sizeclasses - do not edit.\n"
		" */\n"
		"#ifndef _UAPI_LINUX_MAGPIE_SIZECLASSES_H\n"
		"#define _UAPI_LINUX_MAGPIE_SIZECLASSES_H\n\n"
		"/* Bumped whenever the table below changes. */\n"
		"#define MAGPIE_SIZECLASS_VERSION\t1\n"
		"/* Spans are counted in pages of this size. */\n"
		"#define MAGPIE_SIZECLASS_PAGE_SIZE\t%u\n"
		"/* Largest size served by a size class; larger objects get page runs. */\n"
		"#define MAGPIE_MAX_SMALL_SIZE\t\t%u\n"
		"/* Number of classes including class 0, which stands for large objects. */\n"
		"#define MAGPIE_NR_SIZECLASSES\t\t%u\n"
		"/* Most objects any class cuts from one span (a multiple of 64). */\n"
		"#define MAGPIE_SIZECLASS_MAX_OBJECTS\t%u\n\n"
		"/*\n"
		" * MAGPIE_SIZECLASSES(X) expands X(class, object size, span pages,\n"
		" * objects per span, tail waste in bytes, worst internal waste in 1/10000,\n"
		" * worst waste counting the tail in 1/10000) once per class, smallest first.\n"
		" * Internal waste is that of the worst request the class serves: one byte\n"
		" * above the class below.\n"
		" */\n"
		"#define MAGPIE_SIZECLASSES(X) \\\n",
		"SPDX-License-Identifier", PAGE_SIZE, MAX_SMALL, nclasses, max_objects());
	for (i = 1; i < nclasses; i++) {
		const struct class *c = &classes[i];

		fprintf(f, "\tX(%u, %u, %u, %u, %u, %u, %u)%s\n", i, c->size,
			c->npages, c->nobjs, c->tail, c->max_waste_bp, c->max_total_bp,
			i + 1 < nclasses ? " \\" : "");
	}
	fprintf(f, "\n#endif /* _UAPI_LINUX_MAGPIE_SIZECLASSES_H */\n");
	close_out(f, path);
}

static void write_array(FILE *f, const char *name, unsigned int n,
			unsigned int (*size_at)(unsigned int))
{
	unsigned int i;

	fprintf(f, "const u8 %s[%u] = {", name, n);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%u,", i % 16 ? " " : "\n\t", class_of(size_at(i)));
	fprintf(f, "\n};\nEXPORT_SYMBOL_FOR_MAGPIE_TESTS(%s);\n", name);
}

static unsigned int size_at8(unsigned int i)
{
	return i ? i * 8 : 1;	/* size 0 is served like size 1 */
}

static unsigned int size_at128(unsigned int i)
{
	return SMALL_LIMIT + i * 128;
}

static void write_lookup(const char *path)
{
	FILE *f = open_out(path);

	fprintf(f, "/* %s: GPL-2.0 */\n"
		"/*\n"
		" * Size -> class lookup arrays, as Go's size_to_class8/128: a request of\n"
		" * n <= %u bytes uses [(n + 7) / 8] of the first, a larger one uses\n"
		" * [(n - %u + 127) / 128] of the second. Every class boundary is a multiple\n"
		" * of the granularity on its side, so the entry is exact.\n"
		" *\n"
		" * Generated by tools/gen-sizeclasses - do not edit; included only by\n"
		" * sizeclass.c.\n"
		" */\n\n"
		"#if MAGPIE_SIZECLASS_SMALL_LIMIT != %u\n"
		"#error \"sizeclass.h and the generated lookup disagree\"\n"
		"#endif\n\n", "SPDX-License-Identifier", SMALL_LIMIT, SMALL_LIMIT, SMALL_LIMIT);
	write_array(f, "magpie_size_to_class8", SMALL_LIMIT / 8 + 1, size_at8);
	fprintf(f, "\n");
	write_array(f, "magpie_size_to_class128",
		    (MAX_SMALL - SMALL_LIMIT) / 128 + 1, size_at128);
	close_out(f, path);
}

static void write_rst(const char *path)
{
	FILE *f = open_out(path);
	unsigned int i;

	fprintf(f, ".. Generated by tools/gen-sizeclasses - do not edit.\n\n"
		".. list-table::\n"
		"   :header-rows: 1\n\n"
		"   * - class\n     - size\n     - pages\n     - objects\n"
		"     - tail (B)\n     - worst request\n     - max waste\n"
		"     - max waste with tail\n");
	for (i = 1; i < nclasses; i++) {
		const struct class *c = &classes[i];

		fprintf(f, "   * - %u\n     - %u\n     - %u\n     - %u\n     - %u\n"
			"     - %u\n     - %u.%02u %%\n     - %u.%02u %%\n",
			i, c->size, c->npages, c->nobjs, c->tail,
			i > 1 ? classes[i - 1].size + 1 : 1,
			c->max_waste_bp / 100, c->max_waste_bp % 100,
			c->max_total_bp / 100, c->max_total_bp % 100);
	}
	close_out(f, path);
}

/* The lookup is exact only if class boundaries sit on the granularity. */
static void check(void)
{
	unsigned int i;

	for (i = 1; i < nclasses; i++) {
		const struct class *c = &classes[i];
		unsigned int gran = c->size <= SMALL_LIMIT ? 8 : 128;

		if (c->size % gran || c->nobjs == 0 || c->nobjs > 65535 ||
		    (c->size >= 128 && c->max_waste_bp > 1250) ||
		    c->tail * 8 > c->npages * PAGE_SIZE) {
			fprintf(stderr, "class %u (size %u) breaks an invariant\n", i, c->size);
			exit(1);
		}
	}
	if (classes[nclasses - 1].size != MAX_SMALL || nclasses > 255) {
		fprintf(stderr, "table does not end at %u or is too large\n", MAX_SMALL);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s UAPI_HEADER LOOKUP_HEADER RST_TABLE\n", argv[0]);
		return 2;
	}
	build();
	check();
	write_uapi(argv[1]);
	write_lookup(argv[2]);
	write_rst(argv[3]);
	return 0;
}
