/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A sampling profiler for the benchmark modules (parameter profile=1):
 * while one side of a benchmark runs, a pinned hrtimer on every online
 * CPU records the kernel address each tick interrupted, and at the end
 * the functions with the most samples are logged with their share, then
 * the instructions with the most (symbol+offset, for objdump -d). It
 * needs no perf events (the benchmark kernels have none, and TCG has no
 * PMU to drive them). Under TCG a sample costs about as much as a short
 * task, so a profiled run is slower than an unprofiled one; its figures
 * are shares, not times, and the module's ratios are not meant to be read
 * from a profiled boot. Included once, by the module's one source file.
 *
 * Samples land only where interrupts are on, so code with interrupts off
 * shows up at the point it turns them back on; under TCG that point is
 * costly in itself. A sample in one of the leaf functions that do so
 * (bench_prof_irq_on[]) is therefore charged to its caller, read from
 * the top of the interrupted stack, and listed as "caller [irqs on]".
 *
 * Limitations: a CPU going offline takes its timer along to another CPU,
 * which then samples twice; interrupts turned on by inline code (a plain
 * local_irq_restore()) are charged to the function containing it.
 */
#ifndef _MAGPIE_BENCH_PROF_H
#define _MAGPIE_BENCH_PROF_H

#include <linux/hrtimer.h>
#include <linux/kallsyms.h>
#include <linux/percpu.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include <asm/irq_regs.h>

#include "../compat.h"

static bool profile;
module_param(profile, bool, 0444);
MODULE_PARM_DESC(profile, "log a sampling profile of magpie's side of each benchmark (default N)");

#define BENCH_PROF_PERIOD_NS	(40 * NSEC_PER_USEC)
#define BENCH_PROF_SAMPLES	65536	/* per CPU */
#define BENCH_PROF_TOP		24
#define BENCH_PROF_SYMS		1024	/* distinct functions told apart */

/*
 * One sample: where the tick interrupted, and the word on top of the
 * stack there (the return address, in a leaf function that pushed none).
 */
struct bench_prof_sample {
	unsigned long ip;
	unsigned long top;
};

struct bench_prof_cpu {
	struct hrtimer timer;
	struct bench_prof_sample *ips;	/* written only by the timer's callback */
	unsigned int nr;
	unsigned int lost;
};

static DEFINE_PER_CPU(struct bench_prof_cpu, bench_prof_cpus);

struct bench_prof_sym {
	char name[KSYM_SYMBOL_LEN];
	unsigned int count;
};

static enum hrtimer_restart bench_prof_tick(struct hrtimer *timer)
{
	struct bench_prof_cpu *pc = container_of(timer, struct bench_prof_cpu, timer);
	struct pt_regs *regs = get_irq_regs();

	if (regs && !user_mode(regs)) {
		if (pc->nr < BENCH_PROF_SAMPLES) {
			struct bench_prof_sample *smp = &pc->ips[pc->nr++];
			unsigned long *sp = (unsigned long *)kernel_stack_pointer(regs);

			smp->ip = instruction_pointer(regs);
			if (get_kernel_nofault(smp->top, sp))
				smp->top = 0;
		} else {
			pc->lost++;
		}
	}
	hrtimer_forward_now(timer, ns_to_ktime(BENCH_PROF_PERIOD_NS));
	return HRTIMER_RESTART;
}

static void bench_prof_start_here(void *unused)
{
	struct bench_prof_cpu *pc = this_cpu_ptr(&bench_prof_cpus);

	if (pc->ips)
		hrtimer_start(&pc->timer, ns_to_ktime(BENCH_PROF_PERIOD_NS),
			      HRTIMER_MODE_REL_PINNED);
}

static void bench_prof_free(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct bench_prof_cpu *pc = per_cpu_ptr(&bench_prof_cpus, cpu);

		vfree(pc->ips);
		pc->ips = NULL;
	}
}

/* Starts sampling on every online CPU; false (and no sampling) if off. */
static bool bench_prof_start(void)
{
	unsigned int cpu;

	if (!profile)
		return false;
	for_each_possible_cpu(cpu) {
		struct bench_prof_cpu *pc = per_cpu_ptr(&bench_prof_cpus, cpu);

		pc->ips = vmalloc(array_size(BENCH_PROF_SAMPLES, sizeof(*pc->ips)));
		if (!pc->ips) {
			bench_prof_free();
			return false;
		}
		magpie_hrtimer_setup(&pc->timer, bench_prof_tick, CLOCK_MONOTONIC,
				     HRTIMER_MODE_REL_PINNED);
		pc->nr = 0;
		pc->lost = 0;
	}
	on_each_cpu(bench_prof_start_here, NULL, 1);
	return true;
}

static int bench_prof_cmp_ip(const void *a, const void *b)
{
	const struct bench_prof_sample *x = a, *y = b;

	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	return x->top < y->top ? -1 : x->top > y->top;
}

/* Leaf functions that turn interrupts back on (see the file comment). */
static const char * const bench_prof_irq_on[] = {
	"_raw_spin_unlock_irqrestore",
	"_raw_spin_unlock_irq",
	"_raw_read_unlock_irqrestore",
	"_raw_write_unlock_irqrestore",
};

/* @top of a sample charged to its caller, once @ip holds the caller. */
#define BENCH_PROF_CALLER	1UL

/* Orders charged samples after the others, each kind by address. */
static int bench_prof_cmp_charged(const void *a, const void *b)
{
	const struct bench_prof_sample *x = a, *y = b;

	if (x->top != y->top)
		return x->top < y->top ? -1 : 1;
	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

static bool bench_prof_is_irq_on(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bench_prof_irq_on); i++)
		if (!strcmp(name, bench_prof_irq_on[i]))
			return true;
	return false;
}

static int bench_prof_cmp_count(const void *a, const void *b)
{
	const struct bench_prof_sym *x = a, *y = b;

	return x->count > y->count ? -1 : x->count < y->count;
}

/*
 * Charges the samples in bench_prof_irq_on[] functions to their callers
 * (@ips sorted by address), and sorts @ips for bench_prof_report().
 */
static void bench_prof_charge(struct bench_prof_sample *ips, unsigned int nr, char *name)
{
	unsigned int i, j, k;

	sort(ips, nr, sizeof(*ips), bench_prof_cmp_ip, NULL);
	for (i = 0; i < nr; i = j) {
		bool charge;

		for (j = i + 1; j < nr && ips[j].ip == ips[i].ip; j++)
			;
		sprint_symbol_no_offset(name, ips[i].ip);
		charge = bench_prof_is_irq_on(name);
		for (k = i; k < j; k++) {
			if (charge && ips[k].top) {
				ips[k].ip = ips[k].top;
				ips[k].top = BENCH_PROF_CALLER;
			} else {
				ips[k].top = 0;
			}
		}
	}
	sort(ips, nr, sizeof(*ips), bench_prof_cmp_charged, NULL);
}

/*
 * Logs the functions of @nr samples at @ips (reordered here) with the
 * largest shares, the first @top of them, under "@label @who".
 */
static void bench_prof_report(const char *label, const char *who,
			      struct bench_prof_sample *ips, unsigned int nr,
			      unsigned int top, struct bench_prof_sym *syms, char *name)
{
	unsigned int nr_syms = 0, i, j;

	/* Sorted, a function's samples are neighbours: one lookup per address. */
	bench_prof_charge(ips, nr, name);
	for (i = 0; i < nr; i = j) {
		for (j = i + 1; j < nr && ips[j].ip == ips[i].ip && ips[j].top == ips[i].top; j++)
			;
		sprint_symbol_no_offset(name, ips[i].ip);
		if (ips[i].top == BENCH_PROF_CALLER) {
			size_t len = strlen(name);

			strscpy(name + len, " [irqs on]", KSYM_SYMBOL_LEN - len);
		}
		if (nr_syms && !strcmp(syms[nr_syms - 1].name, name)) {
			syms[nr_syms - 1].count += j - i;
			continue;
		}
		if (nr_syms == BENCH_PROF_SYMS) {
			syms[nr_syms - 1].count += j - i;	/* the rarest share one line */
			strscpy(syms[nr_syms - 1].name, "(others)", sizeof(syms->name));
			continue;
		}
		strscpy(syms[nr_syms].name, name, sizeof(syms->name));
		syms[nr_syms++].count = j - i;
	}
	sort(syms, nr_syms, sizeof(*syms), bench_prof_cmp_count, NULL);
	pr_info("profile %s %s: %u samples\n", label, who, nr);
	for (i = 0; i < min(nr_syms, top); i++)
		pr_info("profile %s %s: %5u.%u%% %s\n", label, who,
			syms[i].count * 100 / max(nr, 1U),
			syms[i].count * 1000 / max(nr, 1U) % 10, syms[i].name);
}

#define BENCH_PROF_HOT		16	/* instructions listed */

/*
 * Logs the @nr samples' (as left by bench_prof_report(): equal addresses
 * neighbours) most frequent instructions, as symbol+offset, to be read
 * against the disassembly. A sample charged to a caller has no
 * instruction of its own and is left out.
 */
static void bench_prof_hot(const char *label, struct bench_prof_sample *ips, unsigned int nr)
{
	struct { unsigned long ip; unsigned int count; } hot[BENCH_PROF_HOT] = {};
	unsigned int i, j, k;

	for (i = 0; i < nr; i = j) {
		for (j = i + 1; j < nr && ips[j].ip == ips[i].ip && ips[j].top == ips[i].top; j++)
			;
		if (ips[i].top == BENCH_PROF_CALLER || j - i <= hot[BENCH_PROF_HOT - 1].count)
			continue;
		/* Insertion into the sorted few. */
		for (k = BENCH_PROF_HOT - 1; k && hot[k - 1].count < j - i; k--)
			hot[k] = hot[k - 1];
		hot[k].ip = ips[i].ip;
		hot[k].count = j - i;
	}
	for (k = 0; k < BENCH_PROF_HOT && hot[k].count; k++)
		pr_info("profile %s hot: %5u.%u%% %pS\n", label,
			hot[k].count * 100 / max(nr, 1U),
			hot[k].count * 1000 / max(nr, 1U) % 10, (void *)hot[k].ip);
}

/*
 * Stops sampling and logs the top functions under @label: over all CPUs,
 * then each CPU's own; then the hottest instructions over all CPUs.
 */
static void bench_prof_stop(bool started, const char *label)
{
	unsigned int cpu, nr = 0, lost = 0;
	struct bench_prof_sym *syms = NULL;
	struct bench_prof_sample *all = NULL;
	char who[16], *name;

	if (!started)
		return;
	for_each_possible_cpu(cpu)
		if (per_cpu_ptr(&bench_prof_cpus, cpu)->ips)
			hrtimer_cancel(&per_cpu_ptr(&bench_prof_cpus, cpu)->timer);
	for_each_possible_cpu(cpu) {
		nr += per_cpu_ptr(&bench_prof_cpus, cpu)->nr;
		lost += per_cpu_ptr(&bench_prof_cpus, cpu)->lost;
	}
	all = vmalloc(array_size(max(nr, 1U), sizeof(*all)));
	syms = vmalloc(array_size(BENCH_PROF_SYMS, sizeof(*syms)));
	name = kmalloc(KSYM_SYMBOL_LEN, GFP_KERNEL);
	if (!all || !syms || !name)
		goto out;
	nr = 0;
	for_each_possible_cpu(cpu) {
		struct bench_prof_cpu *pc = per_cpu_ptr(&bench_prof_cpus, cpu);

		memcpy(all + nr, pc->ips, pc->nr * sizeof(*all));
		nr += pc->nr;
	}
	if (lost)
		pr_info("profile %s: %u samples lost to full buffers\n", label, lost);
	bench_prof_report(label, "all", all, nr, BENCH_PROF_TOP, syms, name);
	bench_prof_hot(label, all, nr);
	for_each_possible_cpu(cpu) {
		struct bench_prof_cpu *pc = per_cpu_ptr(&bench_prof_cpus, cpu);

		if (!pc->nr)
			continue;
		snprintf(who, sizeof(who), "cpu%u", cpu);
		bench_prof_report(label, who, pc->ips, pc->nr, BENCH_PROF_TOP / 2, syms, name);
	}
out:
	kfree(name);
	vfree(syms);
	vfree(all);
	bench_prof_free();
}

#endif /* _MAGPIE_BENCH_PROF_H */
