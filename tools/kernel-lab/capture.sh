#!/usr/bin/env bash
# capture.sh - build a small LUO/KHO kernel from Debian's sources, run a
# preserve -> kexec -> retrieve cycle under QEMU (TCG) and capture the
# outgoing kernel's memory at the moment it has serialized its handover state.
#
# Usage:
#   bash tools/kernel-lab/capture.sh 7.1|7.2|7.3 [--scenario FILE] [--inject IMAGE.kho]
#
# Environment:
#   LAB_DIR   cache for downloads, sources, builds   (default /var/tmp/luo-kernel-lab)
#   OUT       where capture directories are written  (default $LAB_DIR/captures)
#   MEM       guest RAM                              (default 512M; keep below the PCI hole)
#   TIMEOUT   hard limit for the whole QEMU run, s   (default 1200)
#   GDB_PORT  gdbstub TCP port                       (default 1234 + $$ % 1000)
#   INJECT_BASE / INJECT_SIZE  the memmap= reservation of the first boot in
#             inject mode (default 0x10000000 / 64M)
#
# See README.md next to this file.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_DIR=${LAB_DIR:-/var/tmp/luo-kernel-lab}
OUT=${OUT:-$LAB_DIR/captures}
MEM=${MEM:-512M}
TIMEOUT=${TIMEOUT:-1200}
GDB_PORT=${GDB_PORT:-$((1234 + $$ % 1000))}
INJECT_BASE=${INJECT_BASE:-0x10000000}
INJECT_SIZE=${INJECT_SIZE:-64M}

usage() { echo "usage: $0 7.1|7.2|7.3 [--scenario FILE] [--inject IMAGE.kho]" >&2; exit 2; }
log() { echo "[kernel-lab $(date +%T)] $*" >&2; }
die() { echo "[kernel-lab] ERROR: $*" >&2; exit 1; }

[ $# -ge 1 ] || usage
SERIES=$1; shift
case "$SERIES" in 7.1|7.2|7.3) ;; *) usage ;; esac
SCENARIO=$HERE/scenario.txt
INJECT=
while [ $# -gt 0 ]; do
	case "$1" in
	--scenario) SCENARIO=$(realpath "$2"); shift 2 ;;
	--inject) INJECT=$(realpath "$2"); shift 2 ;;
	*) usage ;;
	esac
done
[ -f "$SCENARIO" ] || die "no scenario $SCENARIO"
[ -z "$INJECT" ] || [ -f "$INJECT" ] || die "no image $INJECT"

T0=$(date +%s)
mkdir -p "$LAB_DIR" "$OUT"

# ---------------------------------------------------------------- 0. packages
need_pkgs=()
for p in qemu-system-x86 gdb gcc make flex bison bc libelf-dev libssl-dev cpio xz-utils \
	python3 python3-libfdt libc6-dev dpkg-dev; do
	dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
	log "installing ${need_pkgs[*]}"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >/dev/null
fi

# ------------------------------------------------- 1. sources (private apt)
APT=$LAB_DIR/apt
mkdir -p "$APT/lists/partial" "$LAB_DIR/dl" "$LAB_DIR/src"
cat > "$APT/sources.list" <<'EOF'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian forky main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main
EOF
AO=(-o "Dir::State::Lists=$APT/lists" -o "Dir::Etc::SourceList=$APT/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State::status=/dev/null"
    -o "Dir::Cache=$APT/cache" -o "APT::Sandbox::User=root")
mkdir -p "$APT/cache/archives/partial"
if [ -z "$(find "$APT/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
	log "apt-get update (private state in $APT)"
	apt-get "${AO[@]}" update -q >/dev/null
fi

if [ "$SERIES" = 7.1 ]; then
	PKG=linux
	# highest 7.1.x source version the registry offers
	DEBVER=$(apt-cache "${AO[@]}" showsrc linux 2>/dev/null | awk '/^Version: 7\.1\./{print $2}' | sort -V | tail -1)
	[ -n "$DEBVER" ] || die "no linux 7.1.x source package in the registry"
	UP=${DEBVER%-*}
	TARBALL=$LAB_DIR/dl/linux_${UP}.orig.tar.xz
	if [ ! -s "$TARBALL" ]; then
		log "downloading source linux=$DEBVER (orig tarball)"
		# the .dsc / .debian.tar.xz may be gone from the pool; the orig tarball is all we use
		(cd "$LAB_DIR/dl" && apt-get "${AO[@]}" source --download-only "linux=$DEBVER" >/dev/null 2>&1 || true)
		[ -s "$TARBALL" ] || die "download of $TARBALL failed"
	fi
	SRC=$LAB_DIR/src/linux-$UP
	if [ ! -f "$SRC/.luolab-extracted" ]; then
		log "extracting $TARBALL"
		rm -rf "$SRC"; tar -xJf "$TARBALL" -C "$LAB_DIR/src"
		[ -d "$SRC" ] || die "tarball did not contain linux-$UP/"
		touch "$SRC/.luolab-extracted"
	fi
	PKGDESC="source package linux $DEBVER (orig tarball linux_${UP}.orig.tar.xz, no Debian patches applied)"
else
	PKG=linux-source-$SERIES
	DEBVER=$(apt-cache "${AO[@]}" policy "$PKG" | awk '/Candidate:/{print $2}')
	[ -n "$DEBVER" ] && [ "$DEBVER" != "(none)" ] || die "no $PKG in the registry"
	DEB=$(ls "$LAB_DIR"/dl/"${PKG}_${DEBVER/:/%3a}"_all.deb 2>/dev/null | head -1 || true)
	if [ -z "$DEB" ]; then
		log "downloading $PKG=$DEBVER"
		(cd "$LAB_DIR/dl" && apt-get "${AO[@]}" download "$PKG=$DEBVER" >/dev/null)
		DEB=$(ls "$LAB_DIR"/dl/"${PKG}"_*_all.deb | head -1)
	fi
	UP=${DEBVER%-*}
	SRC=$LAB_DIR/src/linux-source-$SERIES-$DEBVER
	if [ ! -f "$SRC/.luolab-extracted" ]; then
		log "extracting $DEB"
		rm -rf "$SRC" "$LAB_DIR/src/tmp-$SERIES"; mkdir -p "$LAB_DIR/src/tmp-$SERIES"
		dpkg-deb --fsys-tarfile "$DEB" | tar -x -C "$LAB_DIR/src/tmp-$SERIES" --wildcards '*.tar.xz'
		tar -xJf "$LAB_DIR/src/tmp-$SERIES/usr/src/linux-source-$SERIES.tar.xz" -C "$LAB_DIR/src/tmp-$SERIES"
		mv "$LAB_DIR/src/tmp-$SERIES/linux-source-$SERIES" "$SRC"
		rm -rf "$LAB_DIR/src/tmp-$SERIES"
		touch "$SRC/.luolab-extracted"
	fi
	PKGDESC="binary package $PKG $DEBVER (/usr/src/linux-source-$SERIES.tar.xz, Debian patches applied)"
fi
log "source: $SRC ($PKGDESC)"

# ------------------------------------------------------------- 2. kernel
B=$LAB_DIR/build/$SERIES-$DEBVER
mkdir -p "$B"
KM=(make -s -C "$SRC" O="$B" ARCH=x86_64)
if [ ! -f "$B/arch/x86/boot/bzImage" ] || [ "$HERE/luo.config" -nt "$B/arch/x86/boot/bzImage" ]; then
	log "configuring (tinyconfig + luo.config)"
	"${KM[@]}" tinyconfig >/dev/null
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$B" "$B/.config" "$HERE/luo.config" >/dev/null
	"${KM[@]}" olddefconfig
	missing=
	for o in $(grep -o '^CONFIG_[A-Z0-9_]*=y' "$HERE/luo.config" | cut -d= -f1); do
		if ! grep -q "^$o=y" "$B/.config"; then
			if [ "$o" = CONFIG_LIVEUPDATE_TEST ] && ! grep -rqs "config LIVEUPDATE_TEST" "$SRC/lib/Kconfig.debug" "$SRC/kernel/liveupdate/Kconfig"; then
				log "note: this kernel has no LIVEUPDATE_TEST (no test FLBs)"
				continue
			fi
			missing="$missing $o"
		fi
	done
	for o in CONFIG_RANDOMIZE_BASE CONFIG_DEFERRED_STRUCT_PAGE_INIT; do
		grep -q "^$o=y" "$B/.config" && missing="$missing !$o"
	done
	[ -z "$missing" ] || die "config options did not stick:$missing"
	log "building bzImage (make -j$(nproc)); log in $B/build.log"
	tb=$(date +%s)
	"${KM[@]}" -j"$(nproc)" bzImage > "$B/build.log" 2>&1 || { tail -30 "$B/build.log"; die "kernel build failed"; }
	echo "$(( $(date +%s) - tb ))" > "$B/build-seconds.txt"
	log "kernel built in $(cat "$B/build-seconds.txt") s"
fi
# uapi headers of THIS kernel (make headers -> $B/usr/include; headers_install would need rsync)
[ -f "$B/usr/include/linux/liveupdate.h" ] || "${KM[@]}" headers >/dev/null
KREL=$(cat "$B/include/config/kernel.release")

# ------------------------------------------------------- 3. init + initramfs
W=$(mktemp -d /var/tmp/luolab-run.XXXXXX)
trap 'rm -rf "$W"' EXIT
gcc -static -O2 -Wall -I"$B/usr/include" -o "$W/init" "$HERE/init.c"
mkroot() { # $1 dir, then files
	local d=$1; shift
	mkdir -p "$d/dev" "$d/proc" "$d/sys"
	cp "$W/init" "$d/init"; cp "$SCENARIO" "$d/scenario.txt"
	for f in "$@"; do cp "$f" "$d/"; done
	(cd "$d" && find . | LC_ALL=C sort | cpio -o -H newc --quiet)
}
mkroot "$W/r2" > "$W/stage2.cpio"
cp "$B/arch/x86/boot/bzImage" "$W/bzImage"
mkroot "$W/r1" "$W/bzImage" "$W/stage2.cpio" > "$W/stage1.cpio"

# ------------------------------------------------------------- 4. run
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
CAP=$OUT/$UP-$STAMP${INJECT:+-inject}
mkdir -p "$CAP/debugfs"
cp "$SCENARIO" "$CAP/scenario.txt"
cp "$B/.config" "$CAP/config"
[ -z "$INJECT" ] || cp "$INJECT" "$CAP/injected.kho"
RAM=/dev/shm/luolab-$$.ram
rm -f "$RAM"
CMDLINE="console=ttyS0 nokaslr kho=on liveupdate=on panic=-1 luolab.stage=1"
[ -z "$INJECT" ] || CMDLINE="$CMDLINE memmap=${INJECT_SIZE}\$${INJECT_BASE}"
[ -z "${EXTRA_CMDLINE:-}" ] || CMDLINE="$CMDLINE $EXTRA_CMDLINE"

addr() { awk -v s="$1" '$3==s{print "0x"$1; exit}' "$B/System.map"; }
BRK=$(addr machine_kexec); KHO_OUT=$(addr kho_out)
[ -n "$BRK" ] || die "no machine_kexec in System.map"
[ -n "$KHO_OUT" ] || die "no kho_out in System.map"

cat > "$W/at-break.sh" <<EOF
#!/bin/bash
# runs (from gdb) while the guest is stopped in machine_kexec
set -e
virt=\$(tr -d ' \n' < "$W/kho-fdt-virt.txt")
/usr/bin/python3 -c "import sys; print(hex(int(sys.argv[1], 16) - 0xffff888000000000))" "\$virt" > "$CAP/kho-fdt-phys.txt"
echo "[at-break] guest stopped in machine_kexec; KHO root FDT virt \$virt phys \$(cat "$CAP/kho-fdt-phys.txt"); copying guest RAM"
cp --sparse=always "$RAM" "$CAP/memory.raw"
/usr/bin/python3 "$HERE/inject.py" check-fdt "$CAP/memory.raw" "\$(cat "$CAP/kho-fdt-phys.txt")"
/usr/bin/python3 "$HERE/inject.py" extract "$CAP/memory.raw" "\$(cat "$CAP/kho-fdt-phys.txt")" "$CAP/memory-blobs"
/usr/bin/python3 "$HERE/inject.py" make-replay-image "$CAP" "$CAP/kernel-handover.kho"
touch "$W/break-hit"
EOF
cat > "$W/do-inject.sh" <<EOF
#!/bin/bash
set -e
/usr/bin/python3 "$HERE/inject.py" inject "$INJECT" "$RAM" "\$(cat "$CAP/kho-fdt-phys.txt")" | tee "$CAP/inject.log"
EOF
cat > "$W/gdb.cmd" <<EOF
set pagination off
set confirm off
target remote :$GDB_PORT
hbreak *$BRK
continue
printf "LUOLAB-GDB stopped at %#lx\\n", \$pc
set logging file $W/kho-fdt-virt.txt
set logging overwrite on
set logging redirect on
set logging enabled on
printf "%#lx\\n", *(unsigned long *)$KHO_OUT
set logging enabled off
shell bash $W/at-break.sh
monitor dump-guest-memory "$CAP/core.elf"
$( [ -n "$INJECT" ] && printf '%s\n' "shell bash $W/do-inject.sh" \
	"echo guest view (physical memory, QEMU PhyMemMode) of the first injected region:\\n" \
	"maintenance packet Qqemu.PhyMemMode:1" \
	"x/8xw $(/usr/bin/python3 "$HERE/inject.py" regions "$INJECT" | awk '/^region/{print $3; exit}')" \
	"maintenance packet Qqemu.PhyMemMode:0" )
echo guest view of the KHO root FDT page (first 64 bytes):\\n
x/16xw *(unsigned long *)$KHO_OUT
delete
detach
quit
EOF

log "booting QEMU (TCG, $MEM, breakpoint machine_kexec=$BRK); capture dir $CAP"
tq=$(date +%s)
timeout "$TIMEOUT" qemu-system-x86_64 \
	-machine pc,memory-backend=mem -m "$MEM" \
	-object memory-backend-file,id=mem,size="$MEM",mem-path="$RAM",share=on \
	-accel tcg -smp 1 -nographic -no-reboot \
	-serial file:"$CAP/serial.log" -monitor none \
	-gdb tcp:127.0.0.1:$GDB_PORT -S \
	-kernel "$B/arch/x86/boot/bzImage" -initrd "$W/stage1.cpio" \
	-append "$CMDLINE" > "$CAP/qemu.log" 2>&1 &
QPID=$!
sleep 1
timeout "$TIMEOUT" gdb -batch -nx -x "$W/gdb.cmd" > "$CAP/gdb.log" 2>&1 || true
wait $QPID || log "QEMU exited with status $?"
TQ=$(( $(date +%s) - tq ))
rm -f "$RAM"
# the ELF core is written dense by QEMU; punch the zero pages out
[ ! -f "$CAP/core.elf" ] || fallocate --dig-holes "$CAP/core.elf" || true
BREAK_OK=1
[ -f "$W/break-hit" ] || { BREAK_OK=0; log "ERROR: the machine_kexec breakpoint was not handled completely (see $CAP/gdb.log)"; }

# ------------------------------------------------------------- 5. decode
/usr/bin/python3 "$HERE/decode-serial.py" "$CAP/serial.log" "$CAP"
GUEST_UNAME=$(grep -a -m1 -o 'Linux version [^ ]*' "$CAP/serial.log" | awk '{print $3}' || true)
{
	echo "uname -r (guest): ${GUEST_UNAME:-unknown}"
	echo "kernel.release (build): $KREL"
	echo "debian: $PKGDESC"
	echo "debian package: $PKG"
	echo "debian version: $DEBVER"
	echo "guest RAM: $MEM"
	echo "cmdline (stage 1): $CMDLINE"
	echo "breakpoint: machine_kexec $BRK (hardware, via QEMU gdbstub)"
	echo "kho_out symbol: $KHO_OUT"
	echo "qemu: $(qemu-system-x86_64 --version | head -1)"
	echo "captured: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "capture dir: $CAP"
	echo "qemu run seconds: $TQ"
	[ -z "$INJECT" ] || echo "injected image: $(basename "$INJECT") (memmap=${INJECT_SIZE}\$${INJECT_BASE} in stage 1 only)"
} > "$CAP/kernel-version.txt"

want=$(grep -c '^[[:space:]]*memfd ' "$SCENARIO" || true)
res=$(grep -a -o 'LUOLAB RESULT: .*' "$CAP/serial.log" | tr -d '\r' | tail -1 || true)
log "stage 2: ${res:-no result line}"
log "capture: $CAP ($(( $(date +%s) - T0 )) s total)"
echo "$CAP"
case "$res" in
"LUOLAB RESULT: $want files OK, 0 failed") [ "$BREAK_OK" = 1 ] && exit 0; die "no memory capture" ;;
*) die "stage 2 did not report all $want files intact" ;;
esac
