/*
 * Shim for Swift: libfdt's header accessors are function-like macros, which
 * Swift cannot import. These inline functions expose the few this project
 * needs; they do nothing but call the macros.
 */
#ifndef LUO_FDT_SHIM_H
#define LUO_FDT_SHIM_H

#include <stdint.h>
#include <libfdt.h>

static inline uint32_t luo_fdt_magic(const void *fdt) { return fdt_magic(fdt); }
static inline uint32_t luo_fdt_totalsize(const void *fdt) { return fdt_totalsize(fdt); }
static inline uint32_t luo_fdt_off_dt_struct(const void *fdt) { return fdt_off_dt_struct(fdt); }
static inline uint32_t luo_fdt_off_dt_strings(const void *fdt) { return fdt_off_dt_strings(fdt); }
static inline uint32_t luo_fdt_off_mem_rsvmap(const void *fdt) { return fdt_off_mem_rsvmap(fdt); }
static inline uint32_t luo_fdt_version(const void *fdt) { return fdt_version(fdt); }
static inline uint32_t luo_fdt_last_comp_version(const void *fdt) { return fdt_last_comp_version(fdt); }
static inline uint32_t luo_fdt_size_dt_strings(const void *fdt) { return fdt_size_dt_strings(fdt); }
static inline uint32_t luo_fdt_size_dt_struct(const void *fdt) { return fdt_size_dt_struct(fdt); }

#endif
