/*
 * init.c - PID 1 of the luo-serialize kernel lab (tools/kernel-lab).
 *
 * Written from scratch for this project; it only talks to the kernel through
 * its user API (/dev/liveupdate ioctls from <linux/liveupdate.h>, memfd,
 * kexec_file_load, reboot). Build: gcc -static -O2 -I<kernel headers_install>/include
 *
 * Stage 1 (no "luolab.stage=2" on /proc/cmdline):
 *   - creates the sessions and memfds listed in /scenario.txt, preserves each
 *     memfd under its token,
 *   - dumps debugfs kho/out/fdt and kho/out/sub_fdts/(all) to the console as hex,
 *   - kexec_file_load()s /bzImage with /stage2.cpio and the same command line
 *     (minus memmap= and luolab.* options) plus "luolab.stage=2",
 *   - reboot(LINUX_REBOOT_CMD_KEXEC).
 * Stage 2:
 *   - dumps debugfs kho/in/fdt and kho/in/sub_fdts/(all),
 *   - retrieves every session by name and every memfd by token and checks
 *     size, contents, seals and file position against /scenario.txt,
 *   - prints "LUOLAB FILE ..." per file and "LUOLAB RESULT: N files OK, M failed",
 *   - reboots (QEMU runs with -no-reboot, so it exits).
 *
 * Scenario format: see scenario.txt (the comment block at its top).
 * Contents: byte at offset o of a written range of file (session S, token T)
 * is byte (o % 8) (little endian) of mix(fnv1a64(S) ^ T*K1 ^ (o/8)*K2), with
 * mix = the splitmix64 finalizer; everything not written reads as zero.
 * scenario-to-manifest.py implements the same function.
 *
 * Console protocol (parsed by capture.sh / decode-serial.py):
 *   LUOLAB BLOB BEGIN <name> <size>
 *   LUOLAB HEX <64 hex digits>          (32 bytes per line)
 *   LUOLAB BLOB END <name>
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/reboot.h>
#include <linux/liveupdate.h>

#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 2U
#endif

#define MAX_SESSIONS 256
#define MAX_FILES 1024
#define MAX_RANGES 16

struct range { uint64_t off, len; };

struct file_spec {
	int session;
	uint64_t token;
	uint64_t size;
	int sealing;
	unsigned seals;
	int has_seals;
	uint64_t pos;
	int nwrite, nfalloc;
	struct range write[MAX_RANGES];
	struct range falloc[MAX_RANGES];
	int fd;
};

struct session_spec {
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int fd;
};

static struct session_spec sessions[MAX_SESSIONS];
static int nsessions;
static struct file_spec files[MAX_FILES];
static int nfiles;
static int con = 2;

static void out(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (write(con, buf, n) < 0) { /* nothing to do */ }
}

static void die(const char *what)
{
	out("LUOLAB FATAL: %s: %s\n", what, strerror(errno));
	out("LUOLAB RESULT: 0 files OK, %d failed (fatal)\n", nfiles ? nfiles : 1);
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

/* ---- deterministic contents ---- */
static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill(uint64_t seed, uint64_t token, uint64_t off, unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t o = off + i;
		uint64_t w = mix(seed ^ (token * 0x9e3779b97f4a7c15ULL) ^ ((o >> 3) * 0xd6e8feb86659fd93ULL));
		buf[i] = (unsigned char)(w >> (8 * (o & 7)));
	}
}

/* ---- scenario parsing ---- */
static int parse_range(const char *s, struct range *r)
{
	char *end;
	r->off = strtoull(s, &end, 0);
	if (*end != ':')
		return -1;
	r->len = strtoull(end + 1, &end, 0);
	return *end ? -1 : 0;
}

static void parse_scenario(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int lineno = 0;

	if (!f)
		die("open scenario");
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *tok, *save;
		size_t l = strlen(line);

		lineno++;
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		if (!strncmp(p, "session ", 8)) {
			if (nsessions >= MAX_SESSIONS)
				die("too many sessions");
			if (strlen(p + 8) >= LIVEUPDATE_SESSION_NAME_LENGTH || !p[8]) {
				errno = EINVAL;
				die("bad session name length");
			}
			strcpy(sessions[nsessions].name, p + 8);
			sessions[nsessions].fd = -1;
			nsessions++;
			continue;
		}
		if (!strncmp(p, "memfd ", 6)) {
			struct file_spec *fs = &files[nfiles];
			int i = 0;

			if (!nsessions || nfiles >= MAX_FILES) {
				errno = EINVAL;
				die("memfd line without session / too many files");
			}
			memset(fs, 0, sizeof(*fs));
			fs->session = nsessions - 1;
			fs->fd = -1;
			for (tok = strtok_r(p + 6, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save), i++) {
				if (i == 0)
					fs->token = strtoull(tok, NULL, 0);
				else if (i == 1)
					fs->size = strtoull(tok, NULL, 0);
				else if (!strcmp(tok, "sealing"))
					fs->sealing = 1;
				else if (!strncmp(tok, "seals=", 6)) {
					fs->seals = strtoul(tok + 6, NULL, 0);
					fs->has_seals = 1;
				} else if (!strncmp(tok, "pos=", 4))
					fs->pos = strtoull(tok + 4, NULL, 0);
				else if (!strncmp(tok, "write=", 6) && fs->nwrite < MAX_RANGES) {
					if (parse_range(tok + 6, &fs->write[fs->nwrite++]))
						goto bad;
				} else if (!strncmp(tok, "falloc=", 7) && fs->nfalloc < MAX_RANGES) {
					if (parse_range(tok + 7, &fs->falloc[fs->nfalloc++]))
						goto bad;
				} else
					goto bad;
			}
			if (i < 2)
				goto bad;
			if (fs->nwrite == 0 && !strstr(p, "write=")) {
				/* default: the whole file is written */
				fs->write[0].off = 0;
				fs->write[0].len = fs->size;
				fs->nwrite = fs->size ? 1 : 0;
			}
			nfiles++;
			continue;
		}
bad:
		out("LUOLAB FATAL: scenario line %d not understood: %s\n", lineno, line);
		errno = EINVAL;
		die("scenario");
	}
	fclose(f);
}

/* ---- blobs ---- */
static void dump_blob(const char *name, const char *path)
{
	int fd = open(path, O_RDONLY);
	static unsigned char buf[1 << 20];
	size_t n = 0;
	ssize_t r;

	if (fd < 0) {
		out("LUOLAB BLOB MISSING %s %s (%s)\n", name, path, strerror(errno));
		return;
	}
	while (n < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - n)) > 0)
		n += r;
	close(fd);
	out("LUOLAB BLOB BEGIN %s %zu\n", name, n);
	for (size_t i = 0; i < n; i += 32) {
		char line[128];
		int k = sprintf(line, "LUOLAB HEX ");
		for (size_t j = i; j < n && j < i + 32; j++)
			k += sprintf(line + k, "%02x", buf[j]);
		line[k++] = '\n';
		if (write(con, line, k) < 0) { /* ignore */ }
	}
	out("LUOLAB BLOB END %s\n", name);
}

static void dump_kho(const char *dir /* "out" or "in" */)
{
	char path[512], name[512];
	DIR *d;
	struct dirent *de;

	klogctl(8 /* SYSLOG_ACTION_CONSOLE_LEVEL */, NULL, 1);
	snprintf(path, sizeof(path), "/sys/kernel/debug/kho/%s/fdt", dir);
	snprintf(name, sizeof(name), "%s/fdt", dir);
	dump_blob(name, path);
	snprintf(path, sizeof(path), "/sys/kernel/debug/kho/%s/sub_fdts", dir);
	d = opendir(path);
	if (!d) {
		out("LUOLAB BLOB MISSING %s/sub_fdts (%s)\n", dir, strerror(errno));
	} else {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/sys/kernel/debug/kho/%s/sub_fdts/%s", dir, de->d_name);
			snprintf(name, sizeof(name), "%s/sub_fdts/%s", dir, de->d_name);
			dump_blob(name, path);
		}
		closedir(d);
	}
	klogctl(8, NULL, 7);
}

/* ---- stage 1 ---- */
static void write_all(int fd, const unsigned char *b, size_t len, uint64_t off)
{
	while (len) {
		ssize_t w = pwrite(fd, b, len, off);
		if (w <= 0)
			die("pwrite");
		b += w;
		len -= w;
		off += w;
	}
}

static void create_file(struct file_spec *fs)
{
	static unsigned char buf[1 << 16];
	char name[64];
	uint64_t seed = fnv1a64(sessions[fs->session].name);
	struct liveupdate_session_preserve_fd arg;

	snprintf(name, sizeof(name), "luolab-%llx", (unsigned long long)fs->token);
	fs->fd = syscall(SYS_memfd_create, name, fs->sealing ? MFD_ALLOW_SEALING : 0);
	if (fs->fd < 0)
		die("memfd_create");
	if (ftruncate(fs->fd, fs->size))
		die("ftruncate");
	for (int i = 0; i < fs->nfalloc; i++)
		if (fallocate(fs->fd, 0, fs->falloc[i].off, fs->falloc[i].len))
			die("fallocate");
	for (int i = 0; i < fs->nwrite; i++) {
		uint64_t off = fs->write[i].off, end = off + fs->write[i].len;
		while (off < end) {
			size_t n = end - off > sizeof(buf) ? sizeof(buf) : end - off;
			fill(seed, fs->token, off, buf, n);
			write_all(fs->fd, buf, n, off);
			off += n;
		}
	}
	if (fs->pos && lseek(fs->fd, fs->pos, SEEK_SET) < 0)
		die("lseek");
	if (fs->has_seals && fcntl(fs->fd, F_ADD_SEALS, fs->seals))
		die("F_ADD_SEALS");
	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.fd = fs->fd;
	arg.token = fs->token;
	if (ioctl(sessions[fs->session].fd, LIVEUPDATE_SESSION_PRESERVE_FD, &arg))
		die("LIVEUPDATE_SESSION_PRESERVE_FD");
	out("LUOLAB PRESERVED session=\"%s\" token=0x%llx size=%llu seals=0x%x\n",
	    sessions[fs->session].name, (unsigned long long)fs->token,
	    (unsigned long long)fs->size, fcntl(fs->fd, F_GET_SEALS));
}

static void build_cmdline(char *dst, size_t cap)
{
	char buf[4096], *tok, *save;
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		die("open /proc/cmdline");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		die("read /proc/cmdline");
	buf[n] = 0;
	dst[0] = 0;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (!strncmp(tok, "memmap=", 7) || !strncmp(tok, "luolab.", 7) ||
		    !strncmp(tok, "initrd=", 7))
			continue;
		if (strlen(dst) + strlen(tok) + 2 >= cap)
			break;
		strcat(dst, tok);
		strcat(dst, " ");
	}
	strncat(dst, "luolab.stage=2", cap - strlen(dst) - 1);
}

static void stage1(void)
{
	int luo = open("/dev/liveupdate", O_RDWR);
	char cmdline[4096];
	int kfd, ifd;

	if (luo < 0)
		die("open /dev/liveupdate");
	for (int s = 0; s < nsessions; s++) {
		struct liveupdate_ioctl_create_session cs;

		memset(&cs, 0, sizeof(cs));
		cs.size = sizeof(cs);
		memcpy(cs.name, sessions[s].name, strlen(sessions[s].name));
		if (ioctl(luo, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs))
			die("LIVEUPDATE_IOCTL_CREATE_SESSION");
		sessions[s].fd = cs.fd;
		out("LUOLAB SESSION created \"%s\" fd=%d\n", sessions[s].name, cs.fd);
		for (int i = 0; i < nfiles; i++)
			if (files[i].session == s)
				create_file(&files[i]);
	}
	dump_kho("out");

	build_cmdline(cmdline, sizeof(cmdline));
	kfd = open("/bzImage", O_RDONLY);
	ifd = open("/stage2.cpio", O_RDONLY);
	if (kfd < 0 || ifd < 0)
		die("open /bzImage or /stage2.cpio");
	out("LUOLAB KEXEC cmdline: %s\n", cmdline);
	if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1, cmdline, 0UL))
		die("kexec_file_load");
	out("LUOLAB STAGE 1 DONE: %d sessions, %d files preserved; rebooting into kexec\n",
	    nsessions, nfiles);
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_KEXEC, NULL);
	die("reboot(KEXEC)");
}

/* ---- stage 2 ---- */
static int in_ranges(const struct range *r, int n, uint64_t o)
{
	for (int i = 0; i < n; i++)
		if (o >= r[i].off && o < r[i].off + r[i].len)
			return 1;
	return 0;
}

static int check_file(struct file_spec *fs, int fd, char *why, size_t whylen)
{
	static unsigned char got[1 << 16], want[1 << 16];
	uint64_t seed = fnv1a64(sessions[fs->session].name);
	unsigned want_seals = fs->sealing ? (fs->has_seals ? fs->seals : 0) : 1 /* F_SEAL_SEAL */;
	struct stat st;
	int seals;
	off_t pos;

	if (fstat(fd, &st))
		return snprintf(why, whylen, "fstat: %s", strerror(errno)), -1;
	if ((uint64_t)st.st_size != fs->size)
		return snprintf(why, whylen, "size %lld != %llu", (long long)st.st_size,
				(unsigned long long)fs->size), -1;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (unsigned)seals != want_seals)
		return snprintf(why, whylen, "seals 0x%x != 0x%x", seals, want_seals), -1;
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos != (off_t)fs->pos)
		return snprintf(why, whylen, "pos %lld != %llu", (long long)pos,
				(unsigned long long)fs->pos), -1;
	for (uint64_t off = 0; off < fs->size; ) {
		size_t n = fs->size - off > sizeof(got) ? sizeof(got) : fs->size - off;
		ssize_t r = pread(fd, got, n, off);

		if (r != (ssize_t)n)
			return snprintf(why, whylen, "pread at %llu: %zd", (unsigned long long)off, r), -1;
		fill(seed, fs->token, off, want, n);
		for (size_t i = 0; i < n; i++) {
			unsigned char w = in_ranges(fs->write, fs->nwrite, off + i) ? want[i] : 0;
			if (got[i] != w)
				return snprintf(why, whylen, "byte at %llu is 0x%02x, want 0x%02x",
						(unsigned long long)(off + i), got[i], w), -1;
		}
		off += n;
	}
	return 0;
}

static void stage2(void)
{
	int luo = open("/dev/liveupdate", O_RDWR);
	int ok = 0, bad = 0;

	dump_kho("in");
	if (luo < 0)
		die("open /dev/liveupdate");
	for (int s = 0; s < nsessions; s++) {
		struct liveupdate_ioctl_retrieve_session rs;

		memset(&rs, 0, sizeof(rs));
		rs.size = sizeof(rs);
		memcpy(rs.name, sessions[s].name, strlen(sessions[s].name));
		if (ioctl(luo, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &rs)) {
			out("LUOLAB SESSION retrieve \"%s\" FAILED: %s\n", sessions[s].name, strerror(errno));
			for (int i = 0; i < nfiles; i++)
				if (files[i].session == s) {
					out("LUOLAB FILE session=\"%s\" token=0x%llx FAIL session not retrieved\n",
					    sessions[s].name, (unsigned long long)files[i].token);
					bad++;
				}
			continue;
		}
		sessions[s].fd = rs.fd;
		out("LUOLAB SESSION retrieved \"%s\" fd=%d\n", sessions[s].name, rs.fd);
		for (int i = 0; i < nfiles; i++) {
			struct liveupdate_session_retrieve_fd rf;
			char why[256] = "";

			if (files[i].session != s)
				continue;
			memset(&rf, 0, sizeof(rf));
			rf.size = sizeof(rf);
			rf.token = files[i].token;
			if (ioctl(rs.fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf)) {
				snprintf(why, sizeof(why), "RETRIEVE_FD: %s", strerror(errno));
			} else if (check_file(&files[i], rf.fd, why, sizeof(why)) == 0) {
				out("LUOLAB FILE session=\"%s\" token=0x%llx size=%llu OK\n",
				    sessions[s].name, (unsigned long long)files[i].token,
				    (unsigned long long)files[i].size);
				ok++;
				close(rf.fd);
				continue;
			}
			out("LUOLAB FILE session=\"%s\" token=0x%llx FAIL %s\n", sessions[s].name,
			    (unsigned long long)files[i].token, why);
			bad++;
		}
		{
			struct liveupdate_session_finish fin;

			memset(&fin, 0, sizeof(fin));
			fin.size = sizeof(fin);
			if (ioctl(rs.fd, LIVEUPDATE_SESSION_FINISH, &fin))
				out("LUOLAB SESSION finish \"%s\": %s\n", sessions[s].name, strerror(errno));
		}
	}
	out("LUOLAB RESULT: %d files OK, %d failed\n", ok, bad);
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

int main(void)
{
	char cmdline[4096] = "";
	int fd;

	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0)
		con = fd;
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);

	fd = open("/proc/cmdline", O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);
		if (n > 0)
			cmdline[n] = 0;
		close(fd);
	}
	parse_scenario("/scenario.txt");
	if (strstr(cmdline, "luolab.stage=2")) {
		out("LUOLAB STAGE 2 START (%d sessions, %d files)\n", nsessions, nfiles);
		stage2();
	}
	out("LUOLAB STAGE 1 START (%d sessions, %d files)\n", nsessions, nfiles);
	stage1();
	return 0;
}
