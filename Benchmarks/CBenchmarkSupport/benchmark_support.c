#include <malloc.h>

#include "benchmark_support.h"

int luo_bench_set_mmap_threshold(int bytes)
{
	return mallopt(M_MMAP_THRESHOLD, bytes);
}

int luo_bench_set_trim_threshold(int bytes)
{
	return mallopt(M_TRIM_THRESHOLD, bytes);
}

int luo_bench_set_mmap_max(int count)
{
	return mallopt(M_MMAP_MAX, count);
}

int luo_bench_trim(void)
{
	return malloc_trim(0);
}
