#define _GNU_SOURCE
#include "linux_support.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <stdlib.h>
#include <unistd.h>

const int luo_seek_data = SEEK_DATA;
const int luo_seek_hole = SEEK_HOLE;

int luo_memfd_create(const char *name, int allow_sealing) {
    return memfd_create(name, MFD_CLOEXEC | (allow_sealing ? MFD_ALLOW_SEALING : 0));
}

int luo_get_seals(int fd) {
    return fcntl(fd, F_GET_SEALS);
}

int luo_add_seals(int fd, unsigned int seals) {
    return fcntl(fd, F_ADD_SEALS, seals);
}

ssize_t luo_copy_file_range(int in_fd, int64_t *in_offset, int out_fd, int64_t *out_offset, size_t length) {
    loff_t in = (loff_t)*in_offset, out = (loff_t)*out_offset;
    ssize_t result = copy_file_range(in_fd, &in, out_fd, &out, length, 0);
    *in_offset = (int64_t)in;
    *out_offset = (int64_t)out;
    return result;
}

ssize_t luo_sendfile(int out_fd, int in_fd, int64_t *in_offset, size_t length) {
    off_t in = (off_t)*in_offset;
    ssize_t result = sendfile(out_fd, in_fd, &in, length);
    *in_offset = (int64_t)in;
    return result;
}

int luo_make_temporary(char *name_template, int suffix_length) {
    return mkostemps(name_template, suffix_length, O_CLOEXEC);
}
