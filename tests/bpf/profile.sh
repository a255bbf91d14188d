#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kscope profile on the real kernel, against workloads with known hot paths.
source "$(dirname "$0")/../lib.sh"
ks_need_root profile
FOLDED=$KS_ROOT/tests/tools/folded.py

# 1. A known call chain built with frame pointers: the leaf is hot and is
#    called by its caller in >= 90% of the workload's samples.
ks_spawn "$WL/cpu_chain" 8
pid=$KS_LAST_PID
"$KSCOPE" profile -p "$pid" -F 199 -d 3 -f folded -o "$KS_TMP/chain.folded" 2> "$KS_TMP/chain.err"
rc=$?
ks_check "profile -p exits 0" $rc "exit 0, saw $rc: $(cat "$KS_TMP/chain.err")"
read -r m t pct < <($FOLDED share "$KS_TMP/chain.folded" cpu_chain 'chain_middle;chain_leaf')
ks_check "fp chain: leaf called by its caller in >= 90% of samples" \
	"$(ks_true "$t >= 100 && $pct >= 90"; echo $?)" "expected >= 90% of >= 100 samples, saw $pct% of $t"
top=$($FOLDED top "$KS_TMP/chain.folded" cpu_chain)
ks_check "fp chain: hottest function is chain_leaf" "$([ "$top" = chain_leaf ]; echo $?)" \
	"expected chain_leaf, saw '$top'"
grep -q "samples" "$KS_TMP/chain.err"
ks_check "folded output prints its accounting on stderr" $? "accounting lines on stderr, saw: $(head -3 "$KS_TMP/chain.err")"
kill "$pid" 2>/dev/null

# 2. -fomit-frame-pointer, four-deep chain: CFI unwinding gives the whole
#    chain down to main in >= 90% of samples.
ks_spawn "$WL/cpu_chain_nofp" 8
pid=$KS_LAST_PID
"$KSCOPE" profile -p "$pid" -F 199 -d 3 -f folded -o "$KS_TMP/nofp.folded" 2> "$KS_TMP/nofp.err"
read -r m t pct < <($FOLDED share "$KS_TMP/nofp.folded" cpu_chain_nofp 'main;nofp_outer;nofp_middle;nofp_leaf')
ks_check "no-fp chain: whole chain down to main in >= 90% of samples" \
	"$(ks_true "$t >= 100 && $pct >= 90"; echo $?)" "expected >= 90% of >= 100 samples, saw $pct% of $t"
kill "$pid" 2>/dev/null

# 3. qsort with a comparator: comparator <- libc frames <- caller <- main.
ks_spawn "$WL/qsort_cb" 8
pid=$KS_LAST_PID
"$KSCOPE" profile -p "$pid" -F 199 -d 3 -f folded -o "$KS_TMP/qsort.folded" 2> "$KS_TMP/qsort.err"
read -r m t pct < <($FOLDED share "$KS_TMP/qsort.folded" qsort_cb 'cmp_ints')
read -r m2 t2 pct2 < <($FOLDED share "$KS_TMP/qsort.folded" qsort_cb \
	'main;sort_loop;[^;]*(qsort|msort)[^;]*(;[^;]*(qsort|msort)[^;]*)*;cmp_ints$')
ks_check "qsort: comparator <- libc <- sort_loop <- main in >= 90% of comparator samples" \
	"$(ks_true "$m >= 50 && $m2 >= 0.9 * $m"; echo $?)" \
	"expected >= 90% of $m comparator samples, saw $m2; top stacks: $(sort -t' ' -k2 -nr "$KS_TMP/qsort.folded" | head -3)"
kill "$pid" 2>/dev/null

# 4. A syscall-heavy workload shows the kernel's syscall path.
ks_spawn "$WL/sys_loop" 6
pid=$KS_LAST_PID
"$KSCOPE" profile -p "$pid" -d 2 -f folded -o "$KS_TMP/sys.folded" 2>/dev/null
read -r m t pct < <($FOLDED share "$KS_TMP/sys.folded" sys_loop ';write;(entry_SYSCALL_64|do_syscall_64)[^;]*_\[k\]')
ks_check "syscall workload: kernel frames of the syscall path under write()" \
	"$(ks_true "$t >= 20 && $pct >= 50"; echo $?)" "expected >= 50% of samples in write -> entry_SYSCALL_64, saw $pct% of $t"
read -r m t pct < <($FOLDED share "$KS_TMP/sys.folded" sys_loop 'do_syscall_64_\[k\];(ksys_write|__x64_sys_write|x64_sys_call)')
ks_check "syscall workload: the write implementation is named" \
	"$(ks_true "$t >= 20 && $pct >= 5"; echo $?)" "expected >= 5% of samples under ksys_write, saw $pct% of $t"
kill "$pid" 2>/dev/null

# 5. Text output names the hot function.
ks_spawn "$WL/cpu_chain" 5
pid=$KS_LAST_PID
"$KSCOPE" profile -p "$pid" -d 2 > "$KS_TMP/text.out" 2>&1
grep -A3 "Top functions" "$KS_TMP/text.out" | grep -q chain_leaf
ks_check "text output: top function is chain_leaf" $? "chain_leaf in the top rows, saw: $(head -8 "$KS_TMP/text.out")"
grep -Eq "^Accounting: [0-9]+ samples" "$KS_TMP/text.out" && grep -Eq "lost: [0-9]+" "$KS_TMP/text.out" &&
	grep -q "user stacks unwound to the thread entry" "$KS_TMP/text.out"
ks_check "text output has the accounting" $? "Accounting/lost/unwound lines, saw: $(grep -A5 Accounting "$KS_TMP/text.out")"
kill "$pid" 2>/dev/null

# 5b. Exports straight from the profiler: SVG (valid XML), pprof (go tool
#     pprof agrees on the hot function).
ks_spawn "$WL/cpu_chain" 5
pid=$KS_LAST_PID
"$KSCOPE" profile -p "$pid" -d 1.5 -o "$KS_TMP/cpu.svg" 2>/dev/null
xmllint --noout "$KS_TMP/cpu.svg" 2>/dev/null && grep -q chain_leaf "$KS_TMP/cpu.svg"
ks_check "profile -o cpu.svg: valid SVG naming the hot function" $? "xmllint-clean SVG with chain_leaf"
"$KSCOPE" profile -p "$pid" -d 1.5 -o "$KS_TMP/cpu.pb.gz" 2>/dev/null
top=$(go tool pprof -top "$KS_TMP/cpu.pb.gz" 2>/dev/null | awk '/flat%/ {getline; print $NF; exit}')
ks_check "profile -o cpu.pb.gz: go tool pprof's top function is chain_leaf" \
	"$([ "$top" = chain_leaf ]; echo $?)" "chain_leaf, saw '$top'"
kill "$pid" 2>/dev/null

# 5c. Replay: a capture recorded while the workload ran names the same hot
#     function through profile -i and flame -i, after the process is gone.
ks_spawn "$WL/cpu_chain" 3
pid=$KS_LAST_PID
"$KSCOPE" record -d 2 -p "$pid" --collectors profile -o "$KS_TMP/run.kscap" 2>/dev/null
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
"$KSCOPE" profile -i "$KS_TMP/run.kscap" > "$KS_TMP/replay.txt" 2>&1
grep -A3 "Top functions" "$KS_TMP/replay.txt" | grep -q chain_leaf
ks_check "profile -i CAPTURE: top function chain_leaf after the process exited" $? \
	"chain_leaf in the top rows, saw: $(head -6 "$KS_TMP/replay.txt")"
"$KSCOPE" flame -i "$KS_TMP/run.kscap" -o "$KS_TMP/replay.svg" 2>/dev/null &&
	xmllint --noout "$KS_TMP/replay.svg" 2>/dev/null && grep -q chain_leaf "$KS_TMP/replay.svg"
ks_check "flame -i CAPTURE: valid SVG with chain_leaf" $? "an SVG naming chain_leaf"
head -c 300 "$KS_TMP/run.kscap" > "$KS_TMP/cut.kscap"
printf 'KSCAP\0garbage' > "$KS_TMP/bad.kscap"
"$KSCOPE" profile -i "$KS_TMP/bad.kscap" > "$KS_TMP/bad.txt" 2>&1
rc=$?
ks_check "profile -i on a corrupt capture: exit 1, one line" \
	"$([ $rc = 1 ] && [ "$(wc -l < "$KS_TMP/bad.txt")" = 1 ]; echo $?)" "exit 1 and one line, saw $rc: $(cat "$KS_TMP/bad.txt")"

# 6. Bad input.
"$KSCOPE" profile -p 999999999 -d 1 > "$KS_TMP/bad.out" 2>&1
rc=$?
ks_check "missing pid: exit 1" "$([ $rc = 1 ]; echo $?)" "exit 1, saw $rc"
ks_check "missing pid: one clear line" "$([ "$(wc -l < "$KS_TMP/bad.out")" = 1 ] && grep -q "no such process" "$KS_TMP/bad.out"; echo $?)" \
	"one line naming the pid, saw: $(cat "$KS_TMP/bad.out")"
"$KSCOPE" profile --bogus > /dev/null 2>&1
rc=$?
ks_check "unknown option: exit 2" "$([ $rc = 2 ]; echo $?)" "exit 2, saw $rc"
"$KSCOPE" nosuchcommand > /dev/null 2>&1
rc=$?
ks_check "unknown command: exit 2" "$([ $rc = 2 ]; echo $?)" "exit 2, saw $rc"
"$KSCOPE" profile -o /nonexistent/dir/x -d 1 > /dev/null 2> "$KS_TMP/unw.err"
rc=$?
ks_check "unwritable output: exit 1" "$([ $rc = 1 ]; echo $?)" "exit 1, saw $rc: $(cat "$KS_TMP/unw.err")"
if id nobody >/dev/null 2>&1; then
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$KSCOPE" profile -d 1 2>&1)
	rc=$?
	ks_check "no privileges: exit 1 with the capabilities named" \
		"$([ $rc = 1 ] && echo "$out" | grep -q "CAP_BPF" && [ "$(echo "$out" | wc -l)" = 1 ]; echo $?)" \
		"exit 1 and one line naming CAP_BPF, saw $rc: $out"
fi

# 7. Ctrl-C: the profile is still printed, and nothing of ours stays loaded.
ks_spawn "$WL/cpu_chain" 6
"$KSCOPE" profile -f folded -o "$KS_TMP/int.folded" 2>/dev/null &
kp=$!
sleep 1.5
# the programs this kscope process holds, by id (from its fds' fdinfo)
ours=$(cat /proc/$kp/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -u | tr '\n' ' ')
kill -INT $kp
wait $kp
rc=$?
ks_check "SIGINT: exit 0 and a complete output file" \
	"$([ $rc = 0 ] && [ -s "$KS_TMP/int.folded" ] && [ ! -e "$KS_TMP/int.folded.incomplete" ]; echo $?)" \
	"exit 0 and int.folded written, saw rc=$rc"
left=0
for id in $ours; do bpftool prog show id "$id" >/dev/null 2>&1 && left=$((left + 1)); done
ks_check "SIGINT: the programs it loaded ($ours) are all gone" \
	"$([ -n "$ours" ] && [ "$left" = 0 ]; echo $?)" "some programs while running and none after, saw '$ours' and $left left"
exit 0
