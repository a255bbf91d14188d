#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The symbolizer on processes whose binary the root mount namespace cannot
# open by path: one running in another mount namespace (resolved through
# /proc/PID/root or map_files) and one whose binary was deleted or replaced
# (map_files). Driven by `kscope symbolize -p PID ADDR`, with addresses from
# nm and the process's maps, so it does not depend on the profiler.
source "$(dirname "$0")/../lib.sh"
ks_need_root syms

# runtime address of symbol $3 of binary $2 in process $1 (from nm + maps)
runtime_addr() {
	local pid=$1 bin=$2 sym=$3 v start pgoff off vaddr
	v=$(nm "$bin" | awk -v s="$sym" '$3 == s { print $1; exit }')
	# the executable PT_LOAD: file offset and vaddr
	read -r off vaddr < <(readelf -lW "$bin" | awk '$1 == "LOAD" && $7 ~ /E/ { print $2, $3; exit }')
	read -r start pgoff < <(awk '$2 ~ /x/ && $6 ~ /syms_wl/ { split($1, r, "-"); print r[1], $3; exit }' \
		"/proc/$pid/maps")
	[ -n "$v" ] && [ -n "$start" ] || return 1
	printf '%x\n' $(( 0x$start - 0x$pgoff + (0x$v - vaddr + off) + 4 ))
}

wait_exec() {	# wait until process $1 runs a binary named syms_wl
	local i
	for i in $(seq 100); do
		grep -q 'syms_wl' "/proc/$1/maps" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# 1. Another mount namespace: the binary lives in a directory bind-mounted
#    over an empty one inside a private namespace only.
mkdir -p "$KS_TMP/hidden" "$KS_TMP/mnt"
cp "$WL/syms_wl" "$KS_TMP/hidden/syms_wl"
ks_spawn unshare -m --propagation private sh -c \
	"mount --bind '$KS_TMP/hidden' '$KS_TMP/mnt' && exec '$KS_TMP/mnt/syms_wl' 30"
pid=$KS_LAST_PID
wait_exec "$pid"
ks_check "mntns: workload runs from the private mount" $? "syms_wl mapped in pid $pid"
[ ! -e "$KS_TMP/mnt/syms_wl" ]
ks_check "mntns: binary path not visible from the root namespace" $? \
	"$KS_TMP/mnt/syms_wl absent here, saw it"
addr=$(runtime_addr "$pid" "$KS_TMP/hidden/syms_wl" syms_wl_marker)
out=$("$KSCOPE" symbolize -p "$pid" "$addr" 2>&1)
echo "$out" | grep -qP "^$addr\tsyms_wl_marker\+0x4\t$KS_TMP/mnt/syms_wl$"
ks_check "mntns: static function named through /proc/PID/root" $? \
	"'$addr<TAB>syms_wl_marker+0x4<TAB>$KS_TMP/mnt/syms_wl', saw '$out'"
kill "$pid" 2>/dev/null

# 2. A deleted binary: copy, run, remove.
mkdir -p "$KS_TMP/del"
cp "$WL/syms_wl" "$KS_TMP/del/syms_wl"
ks_spawn "$KS_TMP/del/syms_wl" 30
pid=$KS_LAST_PID
wait_exec "$pid"
addr=$(runtime_addr "$pid" "$KS_TMP/del/syms_wl" syms_wl_marker)
rm -f "$KS_TMP/del/syms_wl"
grep -q 'syms_wl (deleted)' "/proc/$pid/maps"
ks_check "deleted: maps say (deleted)" $? "'(deleted)' in /proc/$pid/maps"
out=$("$KSCOPE" symbolize -p "$pid" "$addr" 2>&1)
echo "$out" | grep -qP "^$addr\tsyms_wl_marker\+0x4\t"
ks_check "deleted: static function named through map_files" $? \
	"'$addr<TAB>syms_wl_marker+0x4', saw '$out'"
kill "$pid" 2>/dev/null

# 3. A replaced binary: another file now has its path (new inode).
cp "$WL/syms_wl" "$KS_TMP/del/syms_wl2"
ks_spawn "$KS_TMP/del/syms_wl2" 30
pid=$KS_LAST_PID
wait_exec "$pid"
addr=$(runtime_addr "$pid" "$KS_TMP/del/syms_wl2" syms_wl_marker)
rm -f "$KS_TMP/del/syms_wl2"
cp /bin/true "$KS_TMP/del/syms_wl2"
out=$("$KSCOPE" symbolize -p "$pid" "$addr" 2>&1)
echo "$out" | grep -qP "^$addr\tsyms_wl_marker\+0x4\t"
ks_check "replaced: the mapped file is read, not the new one at its path" $? \
	"'$addr<TAB>syms_wl_marker+0x4', saw '$out'"
kill "$pid" 2>/dev/null

# 4. Kernel addresses: kallsyms, module names kept.
a=$(awk '$3 == "do_sys_openat2" { print $1; exit }' /proc/kallsyms)
out=$("$KSCOPE" symbolize -k "$a" 2>&1)
echo "$out" | grep -qP "^$a\tdo_sys_openat2\+0x0\t\[kernel\]$"
ks_check "kernel: kallsyms symbol" $? "'$a<TAB>do_sys_openat2+0x0<TAB>[kernel]', saw '$out'"
m=$(awk '$4 ~ /^\[/ && $2 ~ /[tT]/ { print $1, $3, $4; exit }' /proc/kallsyms)
if [ -n "$m" ]; then
	read -r a name mod <<< "$m"
	out=$("$KSCOPE" symbolize -k "$a" 2>&1)
	if echo "$out" | grep -qF "$mod"; then
		ks_pass "kernel: module symbol keeps its module"
	elif ! grep -q "^$a .* $name" /proc/kallsyms; then
		# a BPF program of another process, unloaded meanwhile
		echo "SKIP: kernel: module symbol ($name $mod went away during the test)"
	else
		ks_fail "kernel: module symbol keeps its module" "'$name ... $mod', saw '$out'"
	fi
else
	echo "SKIP: kernel: module symbol (no module or BPF program symbols in kallsyms now)"
fi

# 5. Bad input: clear error, no crash.
"$KSCOPE" symbolize -p 999999999 1234 > /dev/null 2> "$KS_TMP/err"
rc=$?
ks_check "no such pid: exit 1 with an error" "$([ $rc = 1 ] && [ -s "$KS_TMP/err" ]; echo $?)" \
	"exit 1 and a message, saw $rc '$(cat "$KS_TMP/err")'"
"$KSCOPE" symbolize --help > "$KS_TMP/help"
rc=$?
ks_check "--help: usage on stdout, exit 0" "$([ $rc = 0 ] && grep -q 'Usage: kscope symbolize' "$KS_TMP/help"; echo $?)" \
	"exit 0 with usage, saw $rc"
"$KSCOPE" symbolize --bogus > /dev/null 2>&1
rc=$?
ks_check "unknown option: exit 2" "$([ $rc = 2 ]; echo $?)" "exit 2, saw $rc"
out=$(printf '%s zz\n' "$WL/syms_wl" | "$KSCOPE" symbolize 2>&1)
echo "$out" | grep -q 'invalid address'
ks_check "bad address on stdin: said so, no crash" $? "'[invalid address]', saw '$out'"
exit $ks_failed
