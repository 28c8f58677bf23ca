// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD tests of libmagpie-malloc.so: real programs run with it and
 * must give the right output, and each process must have used it
 * (MAGPIE_MALLOC_STATS=1 makes every process print a "libmagpie-malloc:
 * pid ..." line at exit). Not sanitized: ASan brings its own malloc.
 * Prints TAP.
 *
 *   userlib-preload           on the host, anon backend
 *   userlib-preload device    in the QEMU guests (chrooted into the host's
 *                             root shared over virtio-9p), on /dev/magpie
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "param.h"

#ifndef MGP_BUILD_DIR
#define MGP_BUILD_DIR "build"
#endif

/* The threaded test program; its modes follow it (mtprog.c). */
#define MTPROG		MGP_BUILD_DIR "/host/userlib-mtprog"
/* The library under test. */
#define PRELOAD_LIB	MGP_BUILD_DIR "/userlib/libmagpie-malloc.so"
/* As nobody: whether the build lets that user load the library and run MTPROG. */
#define NOBODY_CAN_RUN	"sh -c 'test -r " PRELOAD_LIB " && test -x " MTPROG "'"

#define AS_NOBODY	"setpriv --reuid=65534 --regid=65534 --clear-groups"

static char dir[64] = "/tmp/magpie-preload-XXXXXX";
static const char *backend = "anon";
static int number, failed;

static void result(int ok, const char *what)
{
	printf("%s %d %s\n", ok ? "ok" : "not ok", ++number, what);
	failed += !ok;
}

/* Reads a whole file into a static buffer (the outputs are small). */
static const char *slurp(const char *name)
{
	static char buf[2][1 << 16];
	static int which;
	char path[160];
	char *b = buf[which++ & 1];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	b[0] = 0;
	f = fopen(path, "r");
	if (!f)
		return b;
	n = fread(b, 1, sizeof(buf[0]) - 1, f);
	b[n] = 0;
	fclose(f);
	return b;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay++;
	}
	return n;
}

/* Runs @cmd in the scratch directory under the preload; its exit status. */
static int run(const char *env, const char *cmd)
{
	char line[2048];
	int st;

	snprintf(line, sizeof(line),
		 "cd %s && env MAGPIE_BACKEND=%s MAGPIE_MALLOC_STATS=1 %s LD_PRELOAD=%s %s >out 2>err",
		 dir, backend, env, PRELOAD_LIB, cmd);
	st = system(line);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void show_err(void)
{
	const char *e = slurp("err");
	char line[200];
	int i = 0;

	while (*e && i++ < 8) {
		size_t n = strcspn(e, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)(n < 150 ? n : 150), e);
		printf("    # %s\n", line);
		e += n + (e[n] != 0);
	}
}

static void check(int ok, const char *what)
{
	if (!ok)
		show_err();
	result(ok, what);
}

static const char python_prog[] =
	"import json, threading\n"
	"d = {str(i): list(range(i % 40)) for i in range(60000)}\n"
	"s = json.dumps(d)\n"
	"e = json.loads(s)\n"
	"out = []\n"
	"def work(k):\n"
	"    out.append(sum(len(str(x)) for x in range(k * 20000)))\n"
	"ts = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]\n"
	"[t.start() for t in ts]\n"
	"[t.join() for t in ts]\n"
	"print(len(s), sum(map(len, e.values())), sorted(out))\n";

static const char c_prog[] =
	"#include <stdio.h>\n"
	"#include <stdlib.h>\n"
	"int main(void)\n{\n"
	"\tlong s = 0;\n\tint i;\n"
	"\tfor (i = 1; i <= 1000; i++)\n\t\ts += (long)i * i;\n"
	"\tprintf(\"sum %ld\\n\", s);\n\treturn 0;\n}\n";

static void write_file(const char *name, const char *text)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	char cmd[512], stats[32];
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "device") && strcmp(argv[1], "anon"))) {
		printf("Bail out! usage: userlib-preload [anon|device]\n");
		return 2;
	}
	if (argc == 2)
		backend = argv[1];
	snprintf(stats, sizeof(stats), "backend %s", backend);
	printf("# every program runs with MAGPIE_BACKEND=%s\n", backend);
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}

	/* python3: dicts, json, threads. The expected numbers come from a plain run. */
	write_file("work.py", python_prog);
	snprintf(cmd, sizeof(cmd), "cd %s && python3 work.py >expected 2>&1", dir);
	rc = system(cmd);
	rc = rc == 0 ? run("", "python3 work.py") : -2;
	check(rc == 0 && !strcmp(slurp("out"), slurp("expected")) && slurp("out")[0],
	      "python3 (json, threads) prints what it prints without the preload");
	check(strstr(slurp("err"), stats) &&
	      strstr(slurp("err"), "bad_frees 0 double_frees 0\n"),
	      "python3 ran on libmagpie-malloc (stats line, no refused frees)");

	/* cc: the driver, cc1, as and ld all run preloaded. */
	write_file("sum.c", c_prog);
	rc = run("", "cc -O2 -Wall -o sumprog sum.c");
	check(rc == 0 && count(slurp("err"), "libmagpie-malloc: pid") >= 3,
	      "cc compiles and links with every stage preloaded");
	snprintf(cmd, sizeof(cmd), "cd %s && ./sumprog >out 2>err", dir);
	rc = system(cmd);
	check(rc == 0 && !strcmp(slurp("out"), "sum 333833500\n"),
	      "the program cc built runs correctly");

	/* Four threads with cross-thread frees, fork()s, the malloc family. */
	rc = run("", MTPROG);
	check(rc == 0 && !strcmp(slurp("out"), "mtprog ok preloaded=1\n") &&
	      count(slurp("err"), "libmagpie-malloc: pid") == 1,	/* children _exit() */
	      "threaded program: cross-thread frees, fork children, posix_memalign & co");
	check(!!strstr(slurp("err"), "bad_frees 0 double_frees 0"),
	      "threaded program: no frees refused");

	/* A full arena is followed by another one. */
	rc = run("MAGPIE_ARENA_SIZE=256M", MTPROG " grow 40");
	check(rc == 0 && strstr(slurp("out"), "mtprog grow ok") &&
	      strstr(slurp("err"), "arenas 3 "),
	      "640 MiB in 256 MiB arenas: three arenas");

	/* Requests no arena could hold fail alone, adding no arena. */
	rc = run("MAGPIE_ARENA_SIZE=256M", MTPROG " too-big");
	check(rc == 0 && strstr(slurp("out"), "mtprog too-big ok") &&
	      strstr(slurp("err"), "arenas 1 "),
	      "requests beyond any arena: ENOMEM, and no arena added for them");

	/* Arena sizes below the halving floor are tried as asked. */
	rc = run("MAGPIE_ARENA_SIZE=32M", MTPROG " grow 2");
	check(rc == 0 && strstr(slurp("out"), "mtprog grow ok") &&
	      strstr(slurp("err"), "arenas 2 "),
	      "two 16 MiB blocks in 32 MiB arenas (less their descriptors): two arenas");

	/* A MAGPIE_ARENA_SIZE out of range or not a size: a clear message. */
	rc = run("MAGPIE_ARENA_SIZE=64K", MTPROG " grow 2");
	check(rc != 0 && strstr(slurp("err"), "MAGPIE_ARENA_SIZE must be from 1M to 64G"),
	      "MAGPIE_ARENA_SIZE=64K stops the program with a clear message");
	rc = run("MAGPIE_ARENA_SIZE=128X", MTPROG " grow 2");
	check(rc != 0 && strstr(slurp("err"), "MAGPIE_ARENA_SIZE must be from 1M to 64G"),
	      "MAGPIE_ARENA_SIZE=128X stops the program with a clear message");
	rc = run("MAGPIE_ARENA_SIZE=65G", MTPROG " grow 2");
	check(rc != 0 && strstr(slurp("err"), "MAGPIE_ARENA_SIZE must be from 1M to 64G"),
	      "MAGPIE_ARENA_SIZE=65G stops the program with a clear message");

	/*
	 * An arena backs no more than its open file's limit: past it the
	 * next arena takes over, and no touch meets the kernel's SIGBUS.
	 */
	if (!strcmp(backend, "device")) {
		char old[32] = "";

		if (!ut_set_param("open_limit_mb", "16", old, sizeof(old))) {
			rc = run("", MTPROG " touch 40");
			ut_set_param("open_limit_mb", old, NULL, 0);
			check(rc == 0 && strstr(slurp("out"), "mtprog touch ok") &&
			      strstr(slurp("err"), "arenas 3 "),
			      "40 MiB written with open_limit_mb=16: three arenas, no SIGBUS");
		} else {
			check(0, "open_limit_mb=16 (is /sys mounted?)");
		}
	} else {
		printf("ok %d %s # SKIP device backend only\n", ++number,
		       "40 MiB written with open_limit_mb=16: three arenas, no SIGBUS");
	}

	/* A device arena the child of fork() cannot copy stops the child. */
	if (!strcmp(backend, "device")) {
		rc = run("MAGPIE_ARENA_SIZE=1G", MTPROG " fork-no-copy");
		check(rc == 0 && strstr(slurp("out"), "child aborted\nmtprog fork-no-copy ok") &&
		      strstr(slurp("err"), "without memory to copy its heap stops"),
		      "fork() child without memory for its heap copy stops with a message");
	} else {
		printf("ok %d %s # SKIP device backend only\n", ++number,
		       "fork() child without memory for its heap copy stops with a message");
	}

	/* A bad MAGPIE_BACKEND is refused with a message. */
	rc = run("MAGPIE_BACKEND=bogus", MTPROG);
	check(rc != 0 && strstr(slurp("err"), "MAGPIE_BACKEND must be device, anon or auto"),
	      "MAGPIE_BACKEND=bogus stops the program with a clear message");

	/* So is a device backend without a device. */
	if (access("/dev/magpie", F_OK)) {
		rc = run("MAGPIE_BACKEND=device", MTPROG);
		check(rc != 0 && strstr(slurp("err"), "there is no /dev/magpie (is magpie.ko"),
		      "MAGPIE_BACKEND=device without /dev/magpie: a clear message");
	} else {
		printf("ok %d %s # SKIP /dev/magpie exists\n", ++number,
		       "MAGPIE_BACKEND=device without /dev/magpie");
	}

	/* The device is 0600 root: for nobody the device backend is refused. */
	if (!access("/dev/magpie", F_OK) && !geteuid() &&
	    !system(AS_NOBODY " " NOBODY_CAN_RUN " 2>/dev/null")) {
		rc = run("MAGPIE_BACKEND=device", AS_NOBODY " " MTPROG);
		check(rc != 0 && strstr(slurp("err"), "/dev/magpie may not be opened by this user"),
		      "MAGPIE_BACKEND=device as nobody stops the program with a clear message");
	} else {
		printf("ok %d MAGPIE_BACKEND=device as nobody # SKIP %s\n", ++number,
		       "needs /dev/magpie, root and a build nobody can read");
	}

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		printf("    # could not remove %s\n", dir);
	printf("1..%d\n", number);
	return failed ? 1 : 0;
}
