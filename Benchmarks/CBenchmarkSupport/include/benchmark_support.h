#ifndef LUO_BENCHMARK_SUPPORT_H
#define LUO_BENCHMARK_SUPPORT_H

/* glibc's allocator settings for the benchmark, which Glibc's Swift module
 * does not import (mallopt sits in <malloc.h>). */

/* mallopt(M_MMAP_THRESHOLD, bytes): blocks below it come from the heap. */
int luo_bench_set_mmap_threshold(int bytes);

/* mallopt(M_TRIM_THRESHOLD, bytes): free heap above it goes back to the kernel. */
int luo_bench_set_trim_threshold(int bytes);

/* mallopt(M_MMAP_MAX, count): how many blocks may be mmap'ed at once; 0
 * makes every block, however large, come from the heap. */
int luo_bench_set_mmap_max(int count);

/* malloc_trim(0): gives the heap's free memory back to the kernel. */
int luo_bench_trim(void);

#endif
