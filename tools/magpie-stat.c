// SPDX-License-Identifier: GPL-2.0
/*
 * magpie-stat: shows /proc/magpie/{caches,classes,pool,arenas} the way
 * slabtop shows slabs: one table per file, sorted by a column, refreshed
 * every interval, or once as JSON for scripts.
 *
 * Every file has the same shape: a version line ("magpie NAME - version:
 * MAJOR.MINOR ..."), a '#' line naming the columns, one row per line with
 * that many fields (the last may hold a list without spaces), and perhaps
 * summary lines ("WORD key value key value ..."). The tool reads that
 * shape, not each file's columns, so new columns show up by themselves;
 * a major version it does not know is refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"

#define MAX_COLS	32
#define MAX_ROWS	4096
#define MAX_SUMMARY	8
#define FORMAT_MAJOR	1

static const char * const all_views[] = { "caches", "classes", "pool", "arenas" };

struct row {
	char *field[MAX_COLS];
};

struct table {
	char name[32];
	char version[32];
	char *text;			/* the file; every string below points into it */
	char *head;			/* the version line's remainder */
	char *col[MAX_COLS];
	unsigned int ncols;
	struct row *rows;
	unsigned int nrows;
	char *summary[MAX_SUMMARY];	/* "WORD key value ..." lines */
	unsigned int nsummary;
};

static const char *proc_dir = "/proc/magpie";
static const char *sort_col;
static int sort_ascending;

/* Reads a whole /proc file; explains the usual failures in plain words. */
static char *read_file(const char *view)
{
	char path[4096];
	size_t len = 0, cap = 1 << 16;
	char *buf;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", proc_dir, view);
	f = fopen(path, "r");
	if (!f) {
		int err = errno;

		if (err == ENOENT && access(proc_dir, F_OK))
			fprintf(stderr, "magpie-stat: %s does not exist: %s\n", proc_dir,
				"the magpie module is not loaded (insmod magpie.ko, or modprobe magpie)");
		else if (err == ENOENT)
			fprintf(stderr, "magpie-stat: %s does not exist: %s '%s'\n", path,
				"the loaded magpie module is older and has no", view);
		else if (err == EACCES || err == EPERM)
			fprintf(stderr, "magpie-stat: cannot read %s: %s\n", path,
				"permission denied; magpie's statistics are root only (use sudo)");
		else
			fprintf(stderr, "magpie-stat: cannot read %s: %s\n", path, strerror(err));
		return NULL;
	}
	buf = malloc(cap + 1);
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (len < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap + 1);
	}
	fclose(f);
	if (!buf) {
		fprintf(stderr, "magpie-stat: out of memory\n");
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* Splits @line at blanks into at most @max fields; returns the count. */
static unsigned int split(char *line, char **field, unsigned int max)
{
	unsigned int n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(line, " \t", &save); tok && n < max;
	     tok = strtok_r(NULL, " \t", &save))
		field[n++] = tok;
	return n;
}

/* Parses one file into @t. Returns 0, or -1 after saying why. */
static int parse(struct table *t, const char *view, char *text)
{
	char *save = NULL, *line, *p;
	unsigned int major = 0, minor = 0;

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", view);
	t->text = text;
	line = strtok_r(text, "\n", &save);
	p = line ? strstr(line, " - version: ") : NULL;
	if (!p || sscanf(p, " - version: %u.%u", &major, &minor) != 2) {
		fprintf(stderr, "magpie-stat: %s/%s has no version line\n", proc_dir, view);
		return -1;
	}
	if (major != FORMAT_MAJOR) {
		fprintf(stderr, "magpie-stat: %s/%s is format %u.%u; this tool reads %u.x\n",
			proc_dir, view, major, minor, FORMAT_MAJOR);
		return -1;
	}
	snprintf(t->version, sizeof(t->version), "%u.%u", major, minor);
	t->head = p + strlen(" - version: ");
	t->head += strcspn(t->head, " ");
	t->head += strspn(t->head, " ");

	t->rows = calloc(MAX_ROWS, sizeof(*t->rows));
	if (!t->rows)
		return -1;
	while ((line = strtok_r(NULL, "\n", &save))) {
		struct row r;
		unsigned int n;

		if (line[0] == '#') {
			t->ncols = split(line + 1, t->col, MAX_COLS);
			continue;
		}
		memset(&r, 0, sizeof(r));
		if (!t->ncols) {
			fprintf(stderr, "magpie-stat: %s/%s has a row before its column header\n",
				proc_dir, view);
			return -1;
		}
		/* A summary line starts with a word, a row with a number or name. */
		if (t->nsummary < MAX_SUMMARY && !strncmp(line, "pool ", 5)) {
			t->summary[t->nsummary++] = line;
			continue;
		}
		n = split(line, r.field, MAX_COLS);
		if (n != t->ncols) {
			fprintf(stderr, "magpie-stat: %s/%s: a row has %u fields, the header %u\n",
				proc_dir, view, n, t->ncols);
			return -1;
		}
		if (t->nrows < MAX_ROWS)
			t->rows[t->nrows++] = r;
	}
	if (!t->ncols) {
		fprintf(stderr, "magpie-stat: %s/%s has no column header\n", proc_dir, view);
		return -1;
	}
	return 0;
}

static int sort_index = -1;

/* Numbers compare as numbers, everything else as text. */
static int cmp_rows(const void *a, const void *b)
{
	const char *x = ((const struct row *)a)->field[sort_index];
	const char *y = ((const struct row *)b)->field[sort_index];
	char *ex, *ey;
	double dx = strtod(x, &ex), dy = strtod(y, &ey);
	int c;

	if (!*ex && !*ey && ex != x && ey != y)
		c = dx < dy ? -1 : dx > dy;
	else
		c = strcmp(x, y);
	return sort_ascending ? c : -c;
}

/*
 * Sorts by --sort when @t has that column; a table without it keeps its
 * order. Returns whether it had the column.
 */
static int sort_table(struct table *t)
{
	unsigned int i;

	sort_index = -1;
	if (!sort_col)
		return 0;
	for (i = 0; i < t->ncols; i++)
		if (!strcmp(t->col[i], sort_col))
			sort_index = i;
	if (sort_index >= 0)
		qsort(t->rows, t->nrows, sizeof(*t->rows), cmp_rows);
	return sort_index >= 0;
}

static void print_table(const struct table *t, unsigned int max_rows)
{
	unsigned int w[MAX_COLS], i, j, shown;

	for (j = 0; j < t->ncols; j++)
		w[j] = strlen(t->col[j]);
	for (i = 0; i < t->nrows; i++)
		for (j = 0; j < t->ncols; j++)
			if (strlen(t->rows[i].field[j]) > w[j])
				w[j] = strlen(t->rows[i].field[j]);
	/* The last column may hold a long list: left-aligned, not padded. */
	w[t->ncols - 1] = 0;
	printf("== %s (format %s) %s\n", t->name, t->version, t->head);
	for (j = 0; j < t->ncols; j++)
		printf(j + 1 < t->ncols ? "%*s " : "%-*s\n", (int)w[j], t->col[j]);
	shown = max_rows && max_rows < t->nrows ? max_rows : t->nrows;
	for (i = 0; i < shown; i++)
		for (j = 0; j < t->ncols; j++)
			printf(j + 1 < t->ncols ? "%*s " : "%-*s\n", (int)w[j],
			       t->rows[i].field[j]);
	if (shown < t->nrows)
		printf("... %u more rows\n", t->nrows - shown);
	for (i = 0; i < t->nsummary; i++)
		printf("%s\n", t->summary[i]);
}

/* A field that is a plain decimal number is a JSON number, else a string. */
static void json_value(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (*p >= '0' && *p <= '9' && strspn(p, "0123456789.") == strlen(p) &&
	    strchr(p, '.') == strrchr(p, '.') && p[strlen(p) - 1] != '.' &&
	    (p[0] != '0' || p[1] == '\0' || p[1] == '.'))
		fputs(s, stdout);
	else
		json_string(s);
}

static void print_json(const struct table *t)
{
	unsigned int i, j, k, n;
	char *field[2 * MAX_COLS], copy[1024];

	printf("\"%s\":{\"version\":", t->name);
	json_string(t->version);
	printf(",\"info\":");
	json_string(t->head);
	printf(",\"rows\":[");
	for (i = 0; i < t->nrows; i++) {
		printf(i ? ",{" : "{");
		for (j = 0; j < t->ncols; j++) {
			printf(j ? "," : "");
			json_string(t->col[j]);
			putchar(':');
			json_value(t->rows[i].field[j]);
		}
		putchar('}');
	}
	printf("]");
	for (k = 0; k < t->nsummary; k++) {
		snprintf(copy, sizeof(copy), "%s", t->summary[k]);
		n = split(copy, field, 2 * MAX_COLS);
		printf(",");
		json_string(field[0]);
		printf(":{");
		for (j = 1; j + 1 < n; j += 2) {
			printf(j > 1 ? "," : "");
			json_string(field[j]);
			putchar(':');
			json_value(field[j + 1]);
		}
		putchar('}');
	}
	putchar('}');
}

static void print_usage(FILE *out)
{
	fprintf(out,
		"usage: magpie-stat [options] [caches|classes|pool|arenas|all]...\n"
		"Shows magpie's statistics from /proc/magpie, like slabtop.\n"
		"  -j, --json          print one JSON object and exit\n"
		"  -o, --once          print the tables once and exit\n"
		"  -d, --delay SECS    refresh interval (default 2)\n"
		"  -n, --count N       stop after N refreshes\n"
		"  -s, --sort COLUMN   sort rows by COLUMN, largest first (active_objs, backed)\n"
		"  -a, --ascending     smallest first\n"
		"  -r, --rows N        show at most N rows per table (0: all)\n"
		"  -p, --proc DIR      read DIR instead of /proc/magpie\n"
		"  -h, --help          this text\n"
		"Without a view it shows all four. caches, classes and arenas are root only (0400).\n");
}

/*
 * Reads and prints the views once; returns 0, 1 when any failed, or 2
 * when --sort names a column none of them has.
 */
static int show(char **views, unsigned int nviews, int json, unsigned int max_rows)
{
	struct table t;
	unsigned int i;
	int rc = 0, first = 1, sorted = 0;

	if (json)
		putchar('{');
	for (i = 0; i < nviews; i++) {
		char *text = read_file(views[i]);

		if (!text || parse(&t, views[i], text)) {
			free(text);
			rc = 1;
			continue;
		}
		sorted |= sort_table(&t);
		if (json) {
			printf(first ? "" : ",");
			print_json(&t);
		} else {
			printf(first ? "" : "\n");
			print_table(&t, max_rows);
		}
		first = 0;
		free(t.rows);
		free(text);
	}
	if (json)
		printf("}\n");
	fflush(stdout);
	if (!rc && sort_col && !sorted) {
		fprintf(stderr, "magpie-stat: --sort takes a column of the tables, not '%s'\n",
			sort_col);
		return 2;
	}
	return rc;
}

/* Set by the handler, polled by the loop it interrupts: __atomic. */
static int stop;

static void on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
}

/* Says what an option takes; returns 2, the exit code for bad usage. */
static int bad_arg(const char *opt, const char *want, const char *val)
{
	fprintf(stderr, "magpie-stat: %s takes %s, not '%s'\n", opt, want, val);
	return 2;
}

struct options {
	int json, once;
	long count;
	double delay;
	unsigned int max_rows;
	char *views[8];
	unsigned int nviews;
};

/* Parses the command line into @o; returns -1 to go on, else an exit code. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "once", no_argument, NULL, 'o' },
		{ "delay", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "sort", required_argument, NULL, 's' },
		{ "ascending", no_argument, NULL, 'a' },
		{ "rows", required_argument, NULL, 'r' },
		{ "proc", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int j;
	char *end;
	long n;
	int c;

	while ((c = getopt_long(argc, argv, "jod:n:s:ar:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = 1;
			break;
		case 'o':
			o->once = 1;
			break;
		case 'd':
			o->delay = strtod(optarg, &end);
			/* Written so that NaN fails too. */
			if (*end || end == optarg || !(o->delay >= 0.1 && o->delay <= 3600))
				return bad_arg("--delay", "0.1 to 3600 seconds", optarg);
			break;
		case 'n':
			o->count = strtol(optarg, &end, 10);
			if (*end || o->count < 1)
				return bad_arg("--count", "a number above 0", optarg);
			break;
		case 's':
			sort_col = optarg;
			break;
		case 'a':
			sort_ascending = 1;
			break;
		case 'r':
			n = strtol(optarg, &end, 10);
			if (*end || n < 0 || n > MAX_ROWS)
				return bad_arg("--rows", "0 to 4096", optarg);
			o->max_rows = n;
			break;
		case 'p':
			proc_dir = optarg;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		default:
			print_usage(stderr);
			return 2;
		}
	}
	for (; optind < argc; optind++) {
		int all = !strcmp(argv[optind], "all"), known = all;

		for (j = 0; j < 4; j++) {
			if (!all && strcmp(argv[optind], all_views[j]))
				continue;
			known = 1;
			if (o->nviews < 8)
				o->views[o->nviews++] = (char *)all_views[j];
		}
		if (!known)
			return bad_arg("a view", "caches, classes, pool, arenas or all",
				       argv[optind]);
	}
	if (!o->nviews)
		for (j = 0; j < 4; j++)
			o->views[o->nviews++] = (char *)all_views[j];
	return -1;
}

int main(int argc, char **argv)
{
	struct options o = { .count = -1, .delay = 2 };
	int rc = parse_options(argc, argv, &o);
	long n;

	if (rc >= 0)
		return rc;
	if (o.json || o.once || !isatty(STDOUT_FILENO))
		o.count = o.count < 0 ? 1 : o.count;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (n = 0; o.count < 0 || n < o.count; n++) {
		struct timespec ts = { (time_t)o.delay,
				       (long)((o.delay - (time_t)o.delay) * 1e9) };

		if (n)
			nanosleep(&ts, NULL);
		if (__atomic_load_n(&stop, __ATOMIC_RELAXED))
			break;
		/* Refreshing on a terminal: clear it and start at the top. */
		if (o.count != 1 && isatty(STDOUT_FILENO))
			printf("\033[H\033[2J");
		rc = show(o.views, o.nviews, o.json, o.max_rows);
		if (rc)
			return rc;
	}
	return 0;
}
