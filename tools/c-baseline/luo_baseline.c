/*
 * luo_baseline: the C yardstick for luo-serialize's benchmark.
 *
 * Plain C against libfdt, written for this project (no code taken from the
 * kernel or elsewhere). For S sessions of F files each it does the work the
 * Swift writer does -- replay the kernel's allocations on a bump allocator,
 * build the KHO root FDT and the LUO FDT with the same libfdt calls, fill the
 * radix tree, the session block and the file arrays, build the image index --
 * and the work the Swift reader does: map the file, validate the index and
 * every FDT, walk the radix tree, check every pointer against the regions and
 * the preserved blocks, and collect every session and file record (names and
 * compatibles checked as C strings and UTF-8, duplicate names and tokens
 * refused). The images it writes are byte-identical to the Swift writer's
 * (tools/benchmark.sh checks that with cmp).
 *
 * It writes and reads one generation: Linux v7.1's (kho-v3 + luo-v1 +
 * memfd-v2), the Swift writer's default. kho-v3 differs from the pre-release
 * kho-v2 in the root's compatible, a blob-size u64 beside each subtree's
 * preserved-data, and the kexec-metadata block and subtree added at KHO init
 * (docs/FORMAT.md section 4). The benchmark's files are raw data, so no
 * memfd structures are written or read here.
 *
 * Usage:
 *   luo_baseline records SESSIONS FILES IMAGES REPS DIR
 *       encode (REPS times, median reported) IMAGES images of SESSIONS x FILES,
 *       write them to DIR/c-<i>.kho, decode them (REPS times); prints
 *       "encode_ns N", "decode_ns N", "files N", "maxrss_kb N".
 *   luo_baseline memcpy BYTES REPS
 *       memcpy of BYTES from a filled buffer into a malloc'd destination;
 *       prints "memcpy_ns N" (median) and "memcpy_prefaulted_ns N" (the same
 *       copy again into the now touched destination).
 *
 * Build: gcc -O2 -o luo_baseline luo_baseline.c -lfdt
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096ULL
#define MAX_PAGE_ORDER 10
#define BASE_PHYS 0x100000000ULL
#define SESSION_MAX 819
#define FILE_MAX 128
#define FLB_MAX 63
#define SESSION_SER 80
#define FILE_SER 64
#define FLB_SER 64
#define RADIX_DEPTH 6
#define BITMAP_LOG2 15
#define TABLE_LOG2 9
#define ORDER0_LOG2 52
#define IMAGE_COMPAT "luo-serialize,kho-image-v1"
#define KHO_COMPAT "kho-v3"
/* struct kho_kexec_metadata, version 1, packed: u32 version,
 * char previous_release[65], u32 kexec_count. The Swift model's default for
 * v7.1 (KexecMetadata.default(for: .linux7_1)). */
#define KEXEC_METADATA_NODE "kexec-metadata"
#define KEXEC_METADATA_SIZE 73
#define KEXEC_METADATA_VERSION 1
#define KEXEC_RELEASE_LEN 65
#define KEXEC_PREVIOUS_RELEASE "7.1.8"
#define KEXEC_COUNT 1
#define BENCH_COMPAT "bench-data-v1"

static void die(const char *what)
{
	fprintf(stderr, "luo_baseline: %s\n", what);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, n, sizeof *v, cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t le64(const void *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void put_le64(void *p, uint64_t v) { memcpy(p, &v, 8); }
static uint64_t be64(const void *p) { uint64_t v; memcpy(&v, p, 8); return __builtin_bswap64(v); }
static uint32_t be32(const void *p) { uint32_t v; memcpy(&v, p, 4); return __builtin_bswap32(v); }
static void put_be64(void *p, uint64_t v) { v = __builtin_bswap64(v); memcpy(p, &v, 8); }

static int order_for_bytes(uint64_t bytes)
{
	uint64_t pages = (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
	return pages <= 1 ? 0 : 64 - __builtin_clzll(pages - 1);
}

/* ---------------------------------------------------------------- writer */

struct alloc { uint64_t phys; uint64_t pages; };

struct arena {
	uint64_t base;
	uint8_t *bytes;
	size_t used, cap;
	struct alloc *allocs;
	size_t nallocs, capallocs;
	uint64_t radix_root;
};

static uint8_t *at(struct arena *a, uint64_t phys) { return a->bytes + (phys - a->base); }

static uint64_t arena_alloc_z(struct arena *a, int order, int zeroed);

static uint64_t arena_alloc(struct arena *a, int order)
{
	return arena_alloc_z(a, order, 1);
}

/* A naturally aligned block; not zeroed when the caller writes all of it. */
static uint64_t arena_alloc_z(struct arena *a, int order, int zeroed)
{
	uint64_t block = PAGE_SIZE << order;
	uint64_t top = a->base + a->used;
	uint64_t phys = (top + block - 1) & ~(block - 1);
	size_t newused = (size_t)(phys - a->base + block);
	if (newused > a->cap) {
		size_t cap = a->cap ? a->cap : 1 << 16;
		while (cap < newused) cap *= 2;
		a->bytes = realloc(a->bytes, cap);
		if (!a->bytes) die("out of memory");
		a->cap = cap;
	}
	memset(a->bytes + a->used, 0, (phys - a->base) - a->used); /* alignment gap */
	if (zeroed) memset(a->bytes + (phys - a->base), 0, block);
	a->used = newused;
	if (a->nallocs == a->capallocs) {
		a->capallocs = a->capallocs ? a->capallocs * 2 : 64;
		a->allocs = realloc(a->allocs, a->capallocs * sizeof *a->allocs);
		if (!a->allocs) die("out of memory");
	}
	a->allocs[a->nallocs++] = (struct alloc){ phys, 1ULL << order };
	return phys;
}

/* kho_radix_add_page on the simulated memory. */
static void radix_add(struct arena *a, uint64_t phys, int order)
{
	uint64_t key = (1ULL << (ORDER0_LOG2 - order)) | (phys >> (PAGE_SHIFT + order));
	uint64_t node = a->radix_root;
	for (int level = RADIX_DEPTH - 1; level > 0; level--) {
		int shift = (level - 1) * TABLE_LOG2 + BITMAP_LOG2;
		uint64_t slot = node + ((key >> shift) & 511) * 8;
		uint64_t next = le64(at(a, slot));
		if (!next) {
			next = arena_alloc(a, 0);
			put_le64(at(a, slot), next);
		}
		node = next;
	}
	uint64_t bit = key & ((1ULL << BITMAP_LOG2) - 1);
	at(a, node)[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

static uint64_t alloc_preserve_z(struct arena *a, int order, int zeroed)
{
	uint64_t phys = arena_alloc_z(a, order, zeroed);
	radix_add(a, phys, order);
	return phys;
}

static uint64_t alloc_preserve(struct arena *a, int order)
{
	uint64_t phys = arena_alloc(a, order);
	radix_add(a, phys, order);
	return phys;
}

static void check(int r, const char *what)
{
	if (r < 0) {
		fprintf(stderr, "luo_baseline: %s: %s\n", what, fdt_strerror(r));
		exit(1);
	}
}

struct session_in {
	char name[64];
	int nfiles;
	uint64_t tokens[FILE_MAX];
	uint64_t data[FILE_MAX];
	const char *compat[FILE_MAX];
};

struct encoded {
	uint8_t *index;
	size_t index_size;
	struct arena arena;
	uint64_t (*ranges)[2];
	size_t nranges;
};

static void build_index(uint8_t *buf, int cap, uint64_t kho_phys, uint64_t (*ranges)[2],
			size_t n, const uint64_t *offsets)
{
	memset(buf, 0, cap);
	check(fdt_create(buf, cap), "fdt_create index");
	for (size_t i = 0; i < n; i++)
		check(fdt_add_reservemap_entry(buf, ranges[i][0], ranges[i][1]), "rsv");
	check(fdt_finish_reservemap(buf), "finish_reservemap");
	check(fdt_begin_node(buf, ""), "begin root");
	check(fdt_property_string(buf, "compatible", IMAGE_COMPAT), "compatible");
	check(fdt_property_u32(buf, "#address-cells", 2), "cells");
	check(fdt_property_u32(buf, "#size-cells", 2), "cells");
	check(fdt_property_u32(buf, "page-size", PAGE_SIZE), "page-size");
	check(fdt_property_u64(buf, "kho-fdt", kho_phys), "kho-fdt");
	char name[40];
	for (size_t i = 0; i < n; i++) {
		uint8_t reg[16];
		snprintf(name, sizeof name, "region@%llx", (unsigned long long)ranges[i][0]);
		check(fdt_begin_node(buf, name), "begin region");
		put_be64(reg, ranges[i][0]);
		put_be64(reg + 8, ranges[i][1]);
		check(fdt_property(buf, "reg", reg, 16), "reg");
		check(fdt_property_u64(buf, "offset", offsets ? offsets[i] : 0), "offset");
		check(fdt_end_node(buf), "end region");
	}
	check(fdt_end_node(buf), "end root");
	check(fdt_finish(buf), "finish index");
}

static uint64_t hash_bytes(const void *p, size_t n);

/* A C string for a char[field]: 1..field-1 bytes, no NUL inside. */
static int name_ok(const char *s, size_t field)
{
	size_t n = strnlen(s, field);
	return n > 0 && n < field;
}

/* The writer's model checks (ModelValidator): counts, name and compatible
 * lengths, unique session names, unique tokens per session. */
static void validate(const struct session_in *sessions, int nsessions)
{
	if (nsessions > SESSION_MAX) die("too many sessions");
	static int32_t names[2048];
	memset(names, 0, sizeof names);
	for (int s = 0; s < nsessions; s++) {
		const struct session_in *in = &sessions[s];
		if (!name_ok(in->name, 64)) die("bad session name");
		size_t nl = strlen(in->name);
		for (uint64_t h = hash_bytes(in->name, nl) & 2047;; h = (h + 1) & 2047) {
			if (!names[h]) { names[h] = s + 1; break; }
			if (!strcmp(sessions[names[h] - 1].name, in->name)) die("duplicate session name");
		}
		if (in->nfiles > FILE_MAX) die("too many files");
		uint64_t tokens[256];
		uint8_t used[256];
		memset(used, 0, sizeof used);
		for (int f = 0; f < in->nfiles; f++) {
			uint64_t t = in->tokens[f];
			for (uint64_t h = (t * 0x9e3779b97f4a7c15ULL) >> 56;; h = (h + 1) & 255) {
				if (!used[h]) { used[h] = 1; tokens[h] = t; break; }
				if (tokens[h] == t) die("duplicate token");
			}
			if (!name_ok(in->compat[f], 48)) die("bad compatible");
		}
	}
}

/* kho_add_subtree of kho-v3: reopen the root to a page, add the node, set
 * preserved-data then blob-size (both raw little-endian u64), pack. */
static void add_subtree(uint8_t *kho, const char *name, uint64_t phys, uint64_t blob_size)
{
	check(fdt_open_into(kho, kho, 4096), "fdt_open_into");
	int node = fdt_add_subnode(kho, 0, name);
	check(node, "fdt_add_subnode");
	check(fdt_setprop(kho, node, "preserved-data", &phys, 8), "preserved-data");
	check(fdt_setprop(kho, node, "blob-size", &blob_size, 8), "blob-size");
	check(fdt_pack(kho), "fdt_pack");
}

static void encode(const struct session_in *sessions, int nsessions, uint64_t liveupdate_number,
		   struct encoded *out)
{
	struct arena *a = &out->arena;
	validate(sessions, nsessions);
	memset(a, 0, sizeof *a);
	a->base = BASE_PHYS;
	/* Sized once up front, like the Swift writer: the fixed blocks and a
	 * file array (plus alignment) per session with files. */
	size_t estimate = 64;
	for (int s = 0; s < nsessions; s++)
		if (sessions[s].nfiles) estimate += 4;
	a->cap = estimate * PAGE_SIZE;
	a->bytes = malloc(a->cap);
	if (!a->bytes) die("out of memory");

	/* kho_init: the radix root, the root FDT page, the kexec-metadata block */
	a->radix_root = arena_alloc(a, 0);
	uint64_t kho_phys = alloc_preserve(a, 0);
	uint64_t meta_phys = alloc_preserve(a, order_for_bytes(KEXEC_METADATA_SIZE));
	static uint8_t kho[4096] __attribute__((aligned(8)));
	memset(kho, 0, sizeof kho);
	check(fdt_create(kho, sizeof kho), "fdt_create kho");
	check(fdt_finish_reservemap(kho), "kho reservemap");
	check(fdt_begin_node(kho, ""), "kho root");
	check(fdt_property_string(kho, "compatible", KHO_COMPAT), "kho compatible");
	check(fdt_property(kho, "preserved-memory-map", &a->radix_root, 8), "memory map");
	check(fdt_end_node(kho), "kho end");
	check(fdt_finish(kho), "kho finish");
	uint8_t *meta = at(a, meta_phys);
	uint32_t meta_version = KEXEC_METADATA_VERSION, meta_count = KEXEC_COUNT;
	memcpy(meta, &meta_version, 4);
	memcpy(meta + 4, KEXEC_PREVIOUS_RELEASE, strlen(KEXEC_PREVIOUS_RELEASE)); /* the page is zeroed */
	memcpy(meta + 4 + KEXEC_RELEASE_LEN, &meta_count, 4);
	add_subtree(kho, KEXEC_METADATA_NODE, meta_phys, KEXEC_METADATA_SIZE);

	/* luo_fdt_setup */
	uint64_t luo_phys = alloc_preserve(a, 0);
	/* written whole at reboot(), like the Swift writer: not zeroed first */
	uint64_t session_block = alloc_preserve_z(a, order_for_bytes(16 * PAGE_SIZE), 0);
	uint64_t flb_block = alloc_preserve(a, order_for_bytes(PAGE_SIZE));
	static uint8_t luo[4096] __attribute__((aligned(8)));
	memset(luo, 0, sizeof luo);
	check(fdt_create(luo, sizeof luo), "fdt_create luo");
	check(fdt_finish_reservemap(luo), "luo reservemap");
	check(fdt_begin_node(luo, ""), "luo root");
	check(fdt_property_string(luo, "compatible", "luo-v1"), "luo compatible");
	check(fdt_property(luo, "liveupdate-number", &liveupdate_number, 8), "number");
	check(fdt_begin_node(luo, "luo-session"), "session node");
	check(fdt_property_string(luo, "compatible", "luo-session-v2"), "session compatible");
	check(fdt_property(luo, "luo-session-header", &session_block, 8), "session header");
	check(fdt_end_node(luo), "session end");
	check(fdt_begin_node(luo, "luo-flb"), "flb node");
	check(fdt_property_string(luo, "compatible", "luo-flb-v1"), "flb compatible");
	check(fdt_property(luo, "luo-flb-header", &flb_block, 8), "flb header");
	check(fdt_end_node(luo), "flb end");
	check(fdt_end_node(luo), "luo end");
	check(fdt_finish(luo), "luo finish");
	memcpy(at(a, luo_phys), luo, sizeof luo);
	put_le64(at(a, flb_block), 1);
	add_subtree(kho, "LUO", luo_phys, fdt_totalsize(luo));
	memcpy(at(a, kho_phys), kho, sizeof kho);

	/* preservation: one file array per session with files; raw data needs no pages */
	uint64_t *files_phys = malloc(sizeof(uint64_t) * (nsessions ? nsessions : 1));
	for (int s = 0; s < nsessions; s++)
		files_phys[s] = sessions[s].nfiles ? alloc_preserve_z(a, order_for_bytes(2 * PAGE_SIZE), 0) : 0;

	/* reboot(): session entries, file arrays */
	for (int s = 0; s < nsessions; s++) {
		uint8_t *entry = at(a, session_block + 8 + (uint64_t)s * SESSION_SER);
		memset(entry, 0, 64);
		memcpy(entry, sessions[s].name, strlen(sessions[s].name));
		put_le64(entry + 64, files_phys[s]);
		put_le64(entry + 72, sessions[s].nfiles);
		if (!files_phys[s]) continue;
		uint8_t *files = at(a, files_phys[s]);
		memset(files + sessions[s].nfiles * FILE_SER, 0, 2 * PAGE_SIZE - sessions[s].nfiles * FILE_SER);
		for (int f = 0; f < sessions[s].nfiles; f++) {
			uint8_t *file = files + f * FILE_SER;
			memset(file, 0, 48);
			memcpy(file, sessions[s].compat[f], strlen(sessions[s].compat[f]));
			put_le64(file + 48, sessions[s].data[f]);
			put_le64(file + 56, sessions[s].tokens[f]);
		}
	}
	put_le64(at(a, session_block), nsessions);
	memset(at(a, session_block) + 8 + (uint64_t)nsessions * SESSION_SER, 0,
	       16 * PAGE_SIZE - 8 - (uint64_t)nsessions * SESSION_SER);
	put_le64(at(a, flb_block) + 8, 0);
	free(files_phys);

	/* contiguous ranges, then the index (a draft for its size, then the real one) */
	out->ranges = malloc(sizeof *out->ranges * a->nallocs);
	size_t n = 0;
	for (size_t i = 0; i < a->nallocs; i++) {
		uint64_t size = a->allocs[i].pages * PAGE_SIZE;
		if (n && out->ranges[n - 1][0] + out->ranges[n - 1][1] == a->allocs[i].phys)
			out->ranges[n - 1][1] += size;
		else {
			out->ranges[n][0] = a->allocs[i].phys;
			out->ranges[n][1] = size;
			n++;
		}
	}
	out->nranges = n;
	int cap = 1024 + (int)n * 160;
	uint8_t *index = aligned_alloc(4096, (cap + 4095) & ~4095);
	build_index(index, cap, kho_phys, out->ranges, n, NULL);
	uint64_t offset = (fdt_totalsize(index) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t *offsets = malloc(sizeof(uint64_t) * (n ? n : 1));
	for (size_t i = 0; i < n; i++) {
		offsets[i] = offset;
		offset += out->ranges[i][1];
	}
	build_index(index, cap, kho_phys, out->ranges, n, offsets);
	free(offsets);
	out->index = index;
	out->index_size = fdt_totalsize(index);
}

static void encoded_free(struct encoded *e)
{
	free(e->index);
	free(e->arena.bytes);
	free(e->arena.allocs);
	free(e->ranges);
}

static void write_image(const struct encoded *e, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) die("open output");
	size_t first = e->nranges ? (e->index_size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1) : e->index_size;
	uint8_t *head = calloc(1, first);
	memcpy(head, e->index, e->index_size);
	if (write(fd, head, first) != (ssize_t)first) die("write");
	free(head);
	for (size_t i = 0; i < e->nranges; i++) {
		const uint8_t *p = e->arena.bytes + (e->ranges[i][0] - e->arena.base);
		size_t left = e->ranges[i][1];
		while (left) {
			ssize_t w = write(fd, p, left);
			if (w <= 0) die("write");
			p += w;
			left -= w;
		}
	}
	close(fd);
}

/* ---------------------------------------------------------------- reader */

struct region { uint64_t phys, size, offset; };
struct block { uint64_t phys; int order; };

struct file_rec { uint64_t token, data; char compatible[48]; };
struct session_rec { char name[64]; uint64_t files_phys; int nfiles; struct file_rec *files; };

struct decoded {
	const uint8_t *map;
	size_t size;
	struct region *regions;
	size_t nregions;
	uint64_t total_pages;
	struct block *blocks;
	size_t nblocks;
	uint8_t *claimed;
	uint8_t *visited; /* one bit per image page: radix nodes seen */
	struct session_rec *sessions;
	int nsessions;
	uint64_t liveupdate_number;
	char previous_release[KEXEC_RELEASE_LEN];
	uint32_t kexec_count;
	size_t unreferenced;
};

static int fail(const char *what)
{
	fprintf(stderr, "luo_baseline: invalid image: %s\n", what);
	return -1;
}

/* Bytes at phys..phys+len inside one region, or NULL. */
static const uint8_t *mem(const struct decoded *d, uint64_t phys, uint64_t len)
{
	size_t lo = 0, hi = d->nregions;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->regions[mid].phys + d->regions[mid].size <= phys) lo = mid + 1; else hi = mid;
	}
	if (lo == d->nregions || d->regions[lo].phys > phys) return NULL;
	const struct region *r = &d->regions[lo];
	if (len > r->phys + r->size - phys) return NULL;
	return d->map + r->offset + (phys - r->phys);
}

static long block_index(const struct decoded *d, uint64_t phys)
{
	size_t lo = 0, hi = d->nblocks;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->blocks[mid].phys + (PAGE_SIZE << d->blocks[mid].order) <= phys) lo = mid + 1; else hi = mid;
	}
	if (lo == d->nblocks || d->blocks[lo].phys > phys) return -1;
	return (long)lo;
}

static int require_preserved(struct decoded *d, uint64_t phys, uint64_t len)
{
	uint64_t cursor = phys, end = phys + (len ? len : 1);
	while (cursor < end) {
		long i = block_index(d, cursor);
		if (i < 0) return fail("not preserved");
		cursor = d->blocks[i].phys + (PAGE_SIZE << d->blocks[i].order);
	}
	return 0;
}

static void claim(struct decoded *d, uint64_t phys)
{
	long i = block_index(d, phys);
	if (i >= 0) d->claimed[i] = 1;
}

static const uint8_t *require(struct decoded *d, uint64_t phys, uint64_t len)
{
	const uint8_t *p = mem(d, phys, len);
	if (!p || require_preserved(d, phys, len)) return NULL;
	claim(d, phys);
	return p;
}

/* A validated FDT inside one region, at most max bytes. */
static const void *fdt_at(struct decoded *d, uint64_t phys, uint64_t max)
{
	const uint8_t *p = mem(d, phys, 40);
	if (!p) return NULL;
	size_t lo = 0, hi = d->nregions;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->regions[mid].phys + d->regions[mid].size <= phys) lo = mid + 1; else hi = mid;
	}
	uint64_t avail = d->regions[lo].phys + d->regions[lo].size - phys;
	if (avail > max) avail = max;
	if ((uintptr_t)p % 8 || fdt_magic(p) != FDT_MAGIC || fdt_version(p) < 16) return NULL;
	if (fdt_totalsize(p) < 40 || fdt_totalsize(p) > avail) return NULL;
	if (fdt_check_full(p, fdt_totalsize(p)) < 0) return NULL;
	return p;
}

static int prop_string_is(const void *fdt, int node, const char *name, const char *expected)
{
	int len;
	const char *v = fdt_getprop(fdt, node, name, &len);
	if (!v || len < 1 || v[len - 1] != 0 || memchr(v, 0, len - 1)) return 0;
	return (size_t)len == strlen(expected) + 1 && !memcmp(v, expected, len);
}

static int prop_u64(const void *fdt, int node, const char *name, uint64_t *out, int big)
{
	int len;
	const void *v = fdt_getprop(fdt, node, name, &len);
	if (!v || len != 8) return -1;
	*out = big ? be64(v) : le64(v);
	return 0;
}

static int utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		if (c < 0x80) { i++; continue; }
		int len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
		if (!len || i + len > n) return 0;
		for (int k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80) return 0;
		if (len == 3 && ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] > 0x9f))) return 0;
		if (len == 4 && ((c == 0xf0 && s[i + 1] < 0x90) || (c == 0xf4 && s[i + 1] > 0x8f))) return 0;
		i += len;
	}
	return 1;
}

/* A fixed char[n]: NUL inside, zeros after it, non-empty, UTF-8. */
static int cstring_ok(const uint8_t *field, size_t n, char *out)
{
	const uint8_t *end = memchr(field, 0, n);
	if (!end || end == field) return 0;
	for (const uint8_t *p = end + 1; p < field + n; p++)
		if (*p) return 0;
	if (!utf8_valid(field, end - field)) return 0;
	memcpy(out, field, n);
	return 1;
}

static uint64_t hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static int cmp_block(const void *a, const void *b)
{
	const struct block *x = a, *y = b;
	return x->phys < y->phys ? -1 : x->phys > y->phys;
}

static int radix_walk(struct decoded *d, uint64_t node, int level, uint64_t prefix, size_t *cap)
{
	if (node & (PAGE_SIZE - 1)) return fail("radix node not page aligned");
	const uint8_t *page = mem(d, node, PAGE_SIZE);
	if (!page) return fail("radix node outside the image");
	uint64_t pageno = (uint64_t)(page - d->map) >> PAGE_SHIFT;
	if (d->visited[pageno / 8] & (1u << (pageno % 8))) return fail("radix node reached twice");
	d->visited[pageno / 8] |= 1u << (pageno % 8);
	if (level == 0) {
		for (int w = 0; w < 512; w++) {
			uint64_t bits = le64(page + w * 8);
			while (bits) {
				int bit = __builtin_ctzll(bits);
				bits &= bits - 1;
				uint64_t key = prefix | (uint64_t)(w * 64 + bit);
				int obit = 64 - __builtin_clzll(key);
				int order = ORDER0_LOG2 - obit + 1;
				if (order < 0 || order > MAX_PAGE_ORDER) return fail("bad radix key");
				uint64_t phys = (key & ~(1ULL << (obit - 1))) << (PAGE_SHIFT + order);
				if (d->nblocks == *cap) {
					*cap = *cap ? *cap * 2 : 256;
					d->blocks = realloc(d->blocks, *cap * sizeof *d->blocks);
				}
				d->blocks[d->nblocks++] = (struct block){ phys, order };
				if (d->nblocks > d->total_pages) return fail("more blocks than pages");
			}
		}
		return 0;
	}
	int shift = (level - 1) * TABLE_LOG2 + BITMAP_LOG2;
	for (int i = 0; i < 512; i++) {
		uint64_t child = le64(page + i * 8);
		if (!child) continue;
		if (radix_walk(d, child, level - 1, prefix | ((uint64_t)i << shift), cap)) return -1;
	}
	return 0;
}

static int parse_index(struct decoded *d, const void *idx)
{
	if (!prop_string_is(idx, 0, "compatible", IMAGE_COMPAT)) return fail("index compatible");
	int len;
	const void *v;
	if (!(v = fdt_getprop(idx, 0, "#address-cells", &len)) || len != 4 || be32(v) != 2) return fail("cells");
	if (!(v = fdt_getprop(idx, 0, "#size-cells", &len)) || len != 4 || be32(v) != 2) return fail("cells");
	if (!(v = fdt_getprop(idx, 0, "page-size", &len)) || len != 4 || be32(v) != PAGE_SIZE) return fail("page-size");
	uint64_t data_start = (fdt_totalsize(idx) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	size_t cap = 16;
	d->regions = malloc(cap * sizeof *d->regions);
	int node;
	fdt_for_each_subnode(node, idx, 0) {
		const char *name = fdt_get_name(idx, node, &len);
		if (!name || len <= 7 || memcmp(name, "region@", 7)) return fail("region name");
		const uint8_t *reg = fdt_getprop(idx, node, "reg", &len);
		if (!reg || len != 16) return fail("reg");
		uint64_t phys = be64(reg), size = be64(reg + 8), offset;
		if (prop_u64(idx, node, "offset", &offset, 1)) return fail("offset");
		char hex[24];
		int hl = snprintf(hex, sizeof hex, "%llx", (unsigned long long)phys);
		if (hl != len - 7 || memcmp(hex, name + 7, hl)) return fail("unit address");
		if ((phys | size) & (PAGE_SIZE - 1) || !size || phys + size < phys) return fail("region shape");
		if (d->nregions && phys < d->regions[d->nregions - 1].phys + d->regions[d->nregions - 1].size)
			return fail("region order");
		if (offset & (PAGE_SIZE - 1) || offset < data_start || offset > d->size || size > d->size - offset)
			return fail("region file range");
		if (d->nregions == cap) d->regions = realloc(d->regions, (cap *= 2) * sizeof *d->regions);
		d->regions[d->nregions++] = (struct region){ phys, size, offset };
		d->total_pages += size >> PAGE_SHIFT;
	}
	if (node != -FDT_ERR_NOTFOUND) return fail("index subnodes");
	/* file ranges must not overlap (regions ascend in phys; check by offset) */
	uint64_t *offs = malloc(sizeof(uint64_t) * 2 * (d->nregions ? d->nregions : 1));
	for (size_t i = 0; i < d->nregions; i++) {
		offs[2 * i] = d->regions[i].offset;
		offs[2 * i + 1] = d->regions[i].size;
	}
	qsort(offs, d->nregions, 16, cmp_u64);
	for (size_t i = 1; i < d->nregions; i++)
		if (offs[2 * i] < offs[2 * i - 2] + offs[2 * i - 1]) return fail("file ranges overlap");
	free(offs);
	int n = fdt_num_mem_rsv(idx);
	if (n < 0 || (size_t)n != d->nregions) return fail("reservations");
	for (int i = 0; i < n; i++) {
		uint64_t a, s;
		if (fdt_get_mem_rsv(idx, i, &a, &s) < 0 || a != d->regions[i].phys || s != d->regions[i].size)
			return fail("reservation mismatch");
	}
	return 0;
}

static int decode(struct decoded *d, const char *path)
{
	memset(d, 0, sizeof *d);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return fail("open");
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) return fail("stat");
	d->size = st.st_size;
	if (d->size < 40) return fail("too small");
	d->map = mmap(NULL, d->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (d->map == MAP_FAILED) return fail("mmap");

	const void *idx = d->map;
	if (fdt_magic(idx) != FDT_MAGIC || fdt_version(idx) < 16 || fdt_totalsize(idx) > d->size ||
	    fdt_totalsize(idx) < 40 || fdt_check_full(idx, fdt_totalsize(idx)) < 0)
		return fail("index is not an FDT");
	if (parse_index(d, idx)) return -1;
	uint64_t kho_phys;
	if (prop_u64(idx, 0, "kho-fdt", &kho_phys, 1)) return fail("kho-fdt");

	/* KHO root FDT */
	const void *kho = fdt_at(d, kho_phys, PAGE_SIZE);
	if (!kho) return fail("KHO root FDT");
	if (!prop_string_is(kho, 0, "compatible", KHO_COMPAT)) return fail("kho compatible");
	uint64_t map_root, luo_phys = 0, luo_size = 0, meta_phys = 0, meta_size = 0;
	if (prop_u64(kho, 0, "preserved-memory-map", &map_root, 0) || !map_root) return fail("memory map");
	int node, len, found = 0, meta_found = 0;
	fdt_for_each_subnode(node, kho, 0) {
		uint64_t phys, size;
		const char *name = fdt_get_name(kho, node, &len);
		if (prop_u64(kho, node, "preserved-data", &phys, 0)) return fail("preserved-data");
		if (prop_u64(kho, node, "blob-size", &size, 0)) return fail("blob-size");
		if (!found && len == 3 && !memcmp(name, "LUO", 3)) { luo_phys = phys; luo_size = size; found = 1; }
		if (!meta_found && len == (int)strlen(KEXEC_METADATA_NODE) && !memcmp(name, KEXEC_METADATA_NODE, len)) {
			meta_phys = phys;
			meta_size = size;
			meta_found = 1;
		}
	}

	/* the preserved-memory map */
	d->visited = calloc(1, (d->size >> PAGE_SHIFT) / 8 + 1);
	size_t cap = 0;
	if (radix_walk(d, map_root, RADIX_DEPTH - 1, 0, &cap)) return -1;
	for (size_t i = 0; i < d->nblocks; i++)
		if (!mem(d, d->blocks[i].phys, PAGE_SIZE << d->blocks[i].order)) return fail("block outside image");
	qsort(d->blocks, d->nblocks, sizeof *d->blocks, cmp_block);
	for (size_t i = 1; i < d->nblocks; i++)
		if (d->blocks[i].phys < d->blocks[i - 1].phys + (PAGE_SIZE << d->blocks[i - 1].order))
			return fail("blocks overlap");
	d->claimed = calloc(1, d->nblocks + 1);
	if (!require(d, kho_phys, fdt_totalsize(kho))) return fail("KHO root FDT not preserved");

	/* kexec-metadata (kho_in_kexec_metadata): blob-size >= 4, version 1,
	 * blob-size >= 73, the release a C string, all preserved and the
	 * blob-size inside its preserved block */
	if (!meta_found) return fail("no kexec-metadata subtree");
	const uint8_t *meta = mem(d, meta_phys, meta_size < KEXEC_METADATA_SIZE ? meta_size : KEXEC_METADATA_SIZE);
	if (!meta || meta_size < 4) return fail("kexec-metadata blob-size");
	uint32_t meta_version;
	memcpy(&meta_version, meta, 4);
	if (meta_version != KEXEC_METADATA_VERSION) return fail("kexec-metadata version");
	if (meta_size < KEXEC_METADATA_SIZE) return fail("kexec-metadata blob-size");
	if (meta[4] == 0) {
		for (int i = 1; i < KEXEC_RELEASE_LEN; i++)
			if (meta[4 + i]) return fail("kexec-metadata previous_release");
		d->previous_release[0] = 0;
	} else if (!cstring_ok(meta + 4, KEXEC_RELEASE_LEN, d->previous_release))
		return fail("kexec-metadata previous_release");
	memcpy(&d->kexec_count, meta + 4 + KEXEC_RELEASE_LEN, 4);
	if (require_preserved(d, meta_phys, KEXEC_METADATA_SIZE)) return fail("kexec-metadata not preserved");
	long mb = block_index(d, meta_phys);
	if (mb < 0 || meta_size > d->blocks[mb].phys + (PAGE_SIZE << d->blocks[mb].order) - meta_phys)
		return fail("kexec-metadata blob-size past its block");
	d->claimed[mb] = 1;

	/* LUO FDT */
	if (!found) return fail("no LUO subtree");
	const void *luo = fdt_at(d, luo_phys, PAGE_SIZE);
	if (!luo || luo_size != fdt_totalsize(luo) || !require(d, luo_phys, fdt_totalsize(luo))) return fail("LUO FDT");
	if (!prop_string_is(luo, 0, "compatible", "luo-v1")) return fail("luo compatible");
	if (prop_u64(luo, 0, "liveupdate-number", &d->liveupdate_number, 0)) return fail("number");
	int sn = fdt_subnode_offset(luo, 0, "luo-session");
	if (sn < 0 || !prop_string_is(luo, sn, "compatible", "luo-session-v2")) return fail("luo-session");
	uint64_t session_header, flb_header;
	if (prop_u64(luo, sn, "luo-session-header", &session_header, 0)) return fail("session header");
	int fn = fdt_subnode_offset(luo, 0, "luo-flb");
	if (fn < 0 || !prop_string_is(luo, fn, "compatible", "luo-flb-v1")) return fail("luo-flb");
	if (prop_u64(luo, fn, "luo-flb-header", &flb_header, 0)) return fail("flb header");

	/* sessions and files */
	const uint8_t *hdr = require(d, session_header, 8);
	if (!hdr) return fail("session header");
	uint64_t count = le64(hdr);
	if (count > SESSION_MAX) return fail("session count");
	const uint8_t *block = require(d, session_header, 8 + count * SESSION_SER);
	if (!block) return fail("session block");
	d->sessions = calloc(count ? count : 1, sizeof *d->sessions);
	d->nsessions = (int)count;
	uint32_t name_set[2048];  /* open addressing on session index + 1 */
	memset(name_set, 0, sizeof name_set);
	for (uint64_t s = 0; s < count; s++) {
		const uint8_t *e = block + 8 + s * SESSION_SER;
		struct session_rec *rec = &d->sessions[s];
		if (!cstring_ok(e, 64, rec->name)) return fail("session name");
		size_t nl = strlen(rec->name);
		for (uint64_t h = hash_bytes(rec->name, nl) & 2047;; h = (h + 1) & 2047) {
			if (!name_set[h]) { name_set[h] = (uint32_t)s + 1; break; }
			if (!strcmp(d->sessions[name_set[h] - 1].name, rec->name)) return fail("duplicate session");
		}
		uint64_t files = le64(e + 64), n = le64(e + 72);
		if (!files || !n) {
			if (files || n) return fail("files and count must be zero together");
			continue;
		}
		if (n > FILE_MAX) return fail("file count");
		const uint8_t *arr = require(d, files, n * FILE_SER);
		if (!arr) return fail("file array");
		rec->files_phys = files;
		rec->nfiles = (int)n;
		rec->files = malloc(n * sizeof *rec->files);
		uint64_t tokens[256];
		uint8_t used[256];
		memset(used, 0, sizeof used);
		for (uint64_t f = 0; f < n; f++) {
			const uint8_t *fe = arr + f * FILE_SER;
			struct file_rec *fr = &rec->files[f];
			if (!cstring_ok(fe, 48, fr->compatible)) return fail("file compatible");
			fr->data = le64(fe + 48);
			fr->token = le64(fe + 56);
			for (uint64_t h = (fr->token * 0x9e3779b97f4a7c15ULL) >> 56;; h = (h + 1) & 255) {
				if (!used[h]) { used[h] = 1; tokens[h] = fr->token; break; }
				if (tokens[h] == fr->token) return fail("duplicate token");
			}
		}
	}

	/* FLB block */
	const uint8_t *fh = require(d, flb_header, 16);
	if (!fh || le64(fh) != 1) return fail("flb header");
	uint64_t nflb = le64(fh + 8);
	if (nflb > FLB_MAX || !require(d, flb_header, 16 + nflb * FLB_SER)) return fail("flb block");
	for (uint64_t i = 0; i < nflb; i++) {
		char name[48];
		if (!cstring_ok(fh + 16 + i * FLB_SER, 48, name) || !le64(fh + 16 + i * FLB_SER + 56))
			return fail("flb entry");
	}

	/* contents: non-memfd files whose data starts an unclaimed preserved block are payloads */
	for (int s = 0; s < d->nsessions; s++)
		for (int f = 0; f < d->sessions[s].nfiles; f++) {
			long i = block_index(d, d->sessions[s].files[f].data);
			if (i >= 0 && d->blocks[i].phys == d->sessions[s].files[f].data && !d->claimed[i])
				return fail("payloads are not part of this benchmark");
		}
	for (size_t i = 0; i < d->nblocks; i++)
		d->unreferenced += !d->claimed[i];
	/* The records are copies: like the Swift reader, which returns values
	 * and lets its mapping go, drop the mapping and the scratch tables. */
	munmap((void *)d->map, d->size);
	d->map = NULL;
	free(d->visited);
	d->visited = NULL;
	free(d->claimed);
	d->claimed = NULL;
	return 0;
}

static void decoded_free(struct decoded *d)
{
	for (int s = 0; s < d->nsessions; s++) free(d->sessions[s].files);
	free(d->sessions);
	free(d->regions);
	free(d->blocks);
	free(d->claimed);
	free(d->visited);
	if (d->map) munmap((void *)d->map, d->size);
}

/* ---------------------------------------------------------------- main */

static long maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* The benchmark's model: session "session-<s>" (prefixed by the image
 * number when there are several), files with tokens 1..F, compatible
 * "bench-data-v1" and data = token * 3. Same as Benchmarks/LUOBenchmark. */
static struct session_in *make_model(int image, int images, int nsessions, int nfiles)
{
	struct session_in *s = calloc(nsessions ? nsessions : 1, sizeof *s);
	for (int i = 0; i < nsessions; i++) {
		if (images > 1)
			snprintf(s[i].name, sizeof s[i].name, "image%d-session-%d", image, i);
		else
			snprintf(s[i].name, sizeof s[i].name, "session-%d", i);
		s[i].nfiles = nfiles;
		for (int f = 0; f < nfiles; f++) {
			s[i].tokens[f] = (uint64_t)f + 1;
			s[i].data[f] = ((uint64_t)f + 1) * 3;
			s[i].compat[f] = BENCH_COMPAT;
		}
	}
	return s;
}

static int run_records(int nsessions, int nfiles, int images, int reps, const char *dir)
{
	/* Keep freed arenas in the heap between repetitions (no trimming, no
	 * per-arena mmap), so each repetition reuses warm memory: the Swift side
	 * ends up doing so too, and page faults would otherwise dominate here. */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	if (nsessions > SESSION_MAX || nfiles > FILE_MAX) die("beyond the kernel's limits: use more images");
	struct session_in **models = malloc(sizeof *models * images);
	for (int i = 0; i < images; i++) models[i] = make_model(i, images, nsessions, nfiles);
	struct encoded *enc = calloc(images, sizeof *enc);
	uint64_t *t = malloc(sizeof *t * reps);
	for (int r = 0; r < reps; r++) {
		if (r) for (int i = 0; i < images; i++) encoded_free(&enc[i]);
		uint64_t start = now_ns();
		for (int i = 0; i < images; i++) encode(models[i], nsessions, 1, &enc[i]);
		t[r] = now_ns() - start;
	}
	uint64_t encode_ns = median(t, reps);
	char path[4096];
	for (int i = 0; i < images; i++) {
		snprintf(path, sizeof path, "%s/c-%d.kho", dir, i);
		write_image(&enc[i], path);
	}
	for (int i = 0; i < images; i++) encoded_free(&enc[i]);
	struct decoded *dec = calloc(images, sizeof *dec);
	long files = 0;
	for (int r = 0; r < reps; r++) {
		if (r) for (int i = 0; i < images; i++) decoded_free(&dec[i]);
		uint64_t start = now_ns();
		for (int i = 0; i < images; i++) {
			snprintf(path, sizeof path, "%s/c-%d.kho", dir, i);
			if (decode(&dec[i], path)) return 1;
		}
		t[r] = now_ns() - start;
	}
	for (int i = 0; i < images; i++)
		for (int s = 0; s < dec[i].nsessions; s++) files += dec[i].sessions[s].nfiles;
	printf("encode_ns %llu\n", (unsigned long long)encode_ns);
	printf("decode_ns %llu\n", (unsigned long long)median(t, reps));
	printf("files %ld\n", files);
	printf("maxrss_kb %ld\n", maxrss_kb());
	return files == (long)images * nsessions * nfiles ? 0 : 1;
}

/* memcpy of BYTES from a filled buffer into a destination malloc'd for each
 * repetition and freed after it, as plain C code would copy a buffer (glibc
 * then decides, as it does for the Swift side's buffers, whether the pages
 * are fresh: above 32 MiB they always are), and again into the same, now
 * touched, destination. */
static int run_memcpy(size_t bytes, int reps)
{
	uint8_t *src = malloc(bytes);
	for (size_t i = 0; i < bytes; i++) src[i] = (uint8_t)(i * 131 + (i >> 12));
	uint64_t *t = malloc(sizeof *t * reps), *tp = malloc(sizeof *tp * reps);
	for (int r = 0; r < reps; r++) {
		uint8_t *dst = malloc(bytes);
		if (!dst) die("malloc");
		uint64_t start = now_ns();
		memcpy(dst, src, bytes);
		t[r] = now_ns() - start;
		start = now_ns();
		memcpy(dst, src, bytes);
		tp[r] = now_ns() - start;
		if (dst[bytes - 1] != src[bytes - 1]) die("memcpy");
		free(dst);
	}
	printf("memcpy_ns %llu\n", (unsigned long long)median(t, reps));
	printf("memcpy_prefaulted_ns %llu\n", (unsigned long long)median(tp, reps));
	printf("maxrss_kb %ld\n", maxrss_kb());
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "records"))
		return run_records(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), argv[6]);
	if (argc == 4 && !strcmp(argv[1], "memcpy"))
		return run_memcpy(strtoull(argv[2], NULL, 10), atoi(argv[3]));
	fprintf(stderr, "usage: luo_baseline records SESSIONS FILES IMAGES REPS DIR | memcpy BYTES REPS\n");
	return 2;
}
