#ifndef LUO_LINUX_SUPPORT_H
#define LUO_LINUX_SUPPORT_H

#include <stdint.h>
#include <sys/types.h>

/* Linux calls that Glibc's Swift module does not import (they sit behind
 * _GNU_SOURCE), as plain functions. Each returns what the call returns and
 * leaves errno as the call set it; retrying and error typing are Swift's
 * (SystemSupport). At the end, the one compiler hint Swift has no
 * spelling for: a cache prefetch. */

/* memfd_create(2) with MFD_CLOEXEC always set, and MFD_ALLOW_SEALING when
 * allow_sealing is non-zero. */
int luo_memfd_create(const char *name, int allow_sealing);

/* fcntl(fd, F_GET_SEALS): the seals, or -1. */
int luo_get_seals(int fd);

/* fcntl(fd, F_ADD_SEALS, seals): 0, or -1. */
int luo_add_seals(int fd, unsigned int seals);

/* copy_file_range(2) between explicit offsets, which it advances; the file
 * positions of both descriptors are left alone. */
ssize_t luo_copy_file_range(int in_fd, int64_t *in_offset, int out_fd, int64_t *out_offset, size_t length);

/* sendfile(2) from an explicit offset of in_fd, which it advances, to the
 * file position of out_fd (which moves); in_fd's position is left alone. */
ssize_t luo_sendfile(int out_fd, int in_fd, int64_t *in_offset, size_t length);

/* lseek(2)'s SEEK_DATA and SEEK_HOLE. */
extern const int luo_seek_data;
extern const int luo_seek_hole;

/* mkostemps(3) with O_CLOEXEC: creates and opens the file template names,
 * its six X before the suffix_length-byte suffix replaced. */
int luo_make_temporary(char *name_template, int suffix_length);

/* Asks the CPU to start loading the cache line at address for reading (a
 * hint: no fault, no effect on the result). */
static inline void luo_prefetch(const void *address)
{
	__builtin_prefetch(address, 0, 3);
}

/* Non-temporal (streaming) stores, for output written once and larger than
 * the caches: the line goes to memory without being read into the cache
 * first. dst must be 16-byte aligned; luo_stream_fence orders them before
 * any later store is seen by another CPU. */
static inline void luo_stream_16(void *dst, uint64_t low, uint64_t high)
{
	typedef unsigned long long pair __attribute__((vector_size(16)));
	pair value = { low, high };
	__builtin_nontemporal_store(value, (pair *)dst);
}

static inline void luo_stream_fence(void)
{
#if defined(__x86_64__)
	__builtin_ia32_sfence();
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

#endif
