#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kscope funclat on the real kernel: workloads that make a known number of
# calls of known duration, started only once the probes are attached (they
# wait on a FIFO), so every count can be asserted exactly.
source "$(dirname "$0")/../lib.sh"
ks_need_root funclat
command -v jq >/dev/null || { echo "FAIL: funclat: jq missing (scripts/deps.sh)"; exit 1; }
source "$(dirname "$0")/lib/uprobe.sh"

# 1. 40 calls of a function sleeping 5 ms: exactly 40 calls, p50 in [5, 6.5] ms.
traced sleep "$WL/funclat_wl" sleep5 40 -- funclat "$WL/funclat_wl:wl_sleep5"
ks_check "sleep5: kscope exits 0 when the process ends" $rc "exit 0, saw $rc: $(cat "$KS_TMP/sleep.err")"
calls=$(jrow sleep wl_sleep5 .calls)
timed=$(jrow sleep wl_sleep5 .latency.count)
p50=$(jrow sleep wl_sleep5 .latency.p50)
ks_check "sleep5: exactly 40 calls counted" "$([ "$calls" = 40 ]; echo $?)" "expected 40, saw $calls"
ks_check "sleep5: 40 calls timed" "$([ "$timed" = 40 ]; echo $?)" "expected 40, saw $timed"
ks_check "sleep5: p50 between 5 and 6.5 ms" "$(ks_true "$p50 >= 5000 && $p50 <= 6500"; echo $?)" \
	"expected 5000..6500 us, saw $p50"
unit=$(jq -r '.rows[0].latency.unit' "$KS_TMP/sleep.json")
ks_check "sleep5: JSON histogram has unit and buckets" \
	"$([ "$unit" = us ] && jq -e '.rows[0].latency.buckets | length > 0' "$KS_TMP/sleep.json" >/dev/null; echo $?)" \
	"unit us and buckets, saw $(head -c 300 "$KS_TMP/sleep.json")"

# 2. 20000 malloc calls through libc, the library given by name.
traced malloc "$WL/funclat_wl" malloc 20000 -- funclat libc:malloc
calls=$(jrow malloc malloc .calls)
target=$(jq -r .target "$KS_TMP/malloc.json" 2>/dev/null)
ks_check "malloc: exactly 20000 calls through libc" "$([ "$calls" = 20000 ]; echo $?)" \
	"expected 20000, saw $calls ($(cat "$KS_TMP/malloc.err"))"
ks_check "malloc: 'libc' resolves to libc.so.6" "$([[ "$target" == */libc.so.6 ]]; echo $?)" \
	"expected .../libc.so.6, saw $target"

# 3. A glob, recursion: 25 x wl_recurse(3) is 100 nested calls, each >= 1 ms.
traced rec "$WL/funclat_wl" recurse 25 -- funclat "$WL/funclat_wl:wl_rec*"
calls=$(jrow rec wl_recurse .calls)
timed=$(jrow rec wl_recurse .latency.count)
p50=$(jrow rec wl_recurse .latency.p50)
unm=$(jrow rec wl_recurse .unmatched)
ks_check "recursion: glob finds wl_recurse, 100 nested calls counted" "$([ "$calls" = 100 ]; echo $?)" \
	"expected 100, saw $calls"
ks_check "recursion: every nested call timed, none unmatched" \
	"$([ "$timed" = 100 ] && [ "$unm" = 0 ]; echo $?)" "expected 100 timed/0 unmatched, saw $timed/$unm"
ks_check "recursion: p50 >= 1 ms (each frame contains the leaf's sleep)" \
	"$(ks_true "$p50 >= 1000 && $p50 < 10000"; echo $?)" "expected 1000..10000 us, saw $p50"

# 3a. Four threads nesting the same function at once: 4 x 25 x 2 = 200 calls,
#     each timed on its own thread's stack (1..3 ms, never a mix-up of threads).
traced thr "$WL/funclat_wl" threads 25 -- funclat "$WL/funclat_wl:wl_recurse"
calls=$(jrow thr wl_recurse .calls); timed=$(jrow thr wl_recurse .latency.count)
p50=$(jrow thr wl_recurse .latency.p50); max=$(jrow thr wl_recurse .latency.max)
ks_check "threads: 200 calls, 200 timed" "$([ "$calls" = 200 ] && [ "$timed" = 200 ]; echo $?)" \
	"200/200, saw $calls/$timed"
ks_check "threads: p50 in 1..3 ms, max < 20 ms" \
	"$(ks_true "$p50 >= 1000 && $p50 <= 3000 && $max < 20000"; echo $?)" "saw p50 $p50 us, max $max us"

# 3b. longjmp: 30 x outer() -> inner() which longjmps back into outer.
#     inner's returns never come: counted as such, outer still timed right.
traced jmp "$WL/funclat_wl" longjmp 30 -- funclat "$WL/funclat_wl:wl_jump_*"
oc=$(jrow jmp wl_jump_outer .calls); ot=$(jrow jmp wl_jump_outer .latency.count)
ic=$(jrow jmp wl_jump_inner .calls); iu=$(jrow jmp wl_jump_inner .unmatched)
skipped=$(jq -r .lost.skipped_return "$KS_TMP/jmp.json" 2>/dev/null)
ks_check "longjmp: outer 30 calls, 30 timed" "$([ "$oc" = 30 ] && [ "$ot" = 30 ]; echo $?)" \
	"30/30, saw $oc/$ot"
ks_check "longjmp: inner 30 calls, 30 reported without return" \
	"$([ "$ic" = 30 ] && [ "$iu" = 30 ] && [ "$skipped" = 30 ]; echo $?)" \
	"30 calls, 30 unmatched, 30 skipped_return; saw $ic, $iu, $skipped"

# 3c. C++: a glob on the demangled name, "::" inside the function part.
traced cpp "$WL/funclat_wl" cpp 500 -- funclat "$WL/funclat_wl:Server::hand*"
calls=$(jrow cpp "Server::handle(int)" .calls)
ks_check "C++: 'Server::hand*' matches Server::handle(int), 500 calls" \
	"$([ "$calls" = 500 ]; echo $?)" "500, saw $calls: $(cat "$KS_TMP/cpp.err")"

# 4. --count: exact counts without timing.
traced cnt "$WL/funclat_wl" fast 200000 -- funclat --count "$WL/funclat_wl:wl_fast"
calls=$(jrow cnt wl_fast .calls)
lat=$(jrow cnt wl_fast .latency)
ks_check "--count: exactly 200000 calls" "$([ "$calls" = 200000 ]; echo $?)" "expected 200000, saw $calls"
ks_check "--count: no latency histogram" "$([ "$lat" = none ]; echo $?)" "expected none, saw ${lat:0:80}"

# 4b. The perf_event uprobe path (kernels without uprobe_multi), same counts.
KSCOPE_NO_UPROBE_MULTI=1 traced legacy "$WL/funclat_wl" sleep5 10 -- funclat "$WL/funclat_wl:wl_sleep5"
calls=$(jrow legacy wl_sleep5 .calls)
timed=$(jrow legacy wl_sleep5 .latency.count)
ks_check "perf_event uprobes (no uprobe_multi): 10 calls, 10 timed" \
	"$([ "$calls" = 10 ] && [ "$timed" = 10 ] && ! grep -q uprobe_multi "$KS_TMP/legacy.err"; echo $?)" \
	"10/10 without uprobe_multi, saw $calls/$timed: $(cat "$KS_TMP/legacy.err")"
# 4c. No attach cookies (kernels < 5.15, and no uprobe_multi there either):
#     probes told apart by their address; two functions, nesting, exact counts.
KSCOPE_NO_COOKIE=1 KSCOPE_NO_UPROBE_MULTI=1 traced old "$WL/funclat_wl" recurse 10 -- \
	funclat "$WL/funclat_wl:wl_recurse,wl_sleep5"
calls=$(jrow old wl_recurse .calls); timed=$(jrow old wl_recurse .latency.count)
other=$(jrow old wl_sleep5 .calls)
ks_check "no cookies: 40 nested calls of wl_recurse, 40 timed, none mistaken for wl_sleep5" \
	"$([ "$calls" = 40 ] && [ "$timed" = 40 ] && [ "$other" = none ] &&
	   grep -q "told apart by their address" "$KS_TMP/old.err"; echo $?)" \
	"40/40/none, saw $calls/$timed/$other: $(cat "$KS_TMP/old.err")"
grep -q "uprobe_multi" "$KS_TMP/sleep.err"
ks_check "uprobe_multi used where the kernel has it" $? "uprobe_multi in: $(cat "$KS_TMP/sleep.err")"

# 5. A symbol that does not exist: exit 1, one line naming near matches.
"$KSCOPE" funclat "$WL/funclat_wl:wl_sleep4" -d 1 > /dev/null 2> "$KS_TMP/bad.err"
rc=$?
ks_check "unknown symbol: exit 1 with near matches" \
	"$([ $rc = 1 ] && grep -q "near matches:.*wl_sleep5" "$KS_TMP/bad.err"; echo $?)" \
	"exit 1 and 'near matches: ... wl_sleep5', saw $rc: $(cat "$KS_TMP/bad.err")"
"$KSCOPE" funclat nosuchlib_xyz:foo -d 1 > /dev/null 2> "$KS_TMP/bad2.err"
rc=$?
ks_check "unknown target: exit 1" "$([ $rc = 1 ] && grep -q "cannot find 'nosuchlib_xyz'" "$KS_TMP/bad2.err"; echo $?)" \
	"exit 1, saw $rc: $(cat "$KS_TMP/bad2.err")"
"$KSCOPE" funclat libc:malloc -p 999999999 > /dev/null 2> "$KS_TMP/bad3.err"
rc=$?
ks_check "missing pid: exit 1" "$([ $rc = 1 ]; echo $?)" "exit 1, saw $rc: $(cat "$KS_TMP/bad3.err")"
"$KSCOPE" funclat --bogus > /dev/null 2>&1
rc=$?
ks_check "unknown option: exit 2" "$([ $rc = 2 ]; echo $?)" "exit 2, saw $rc"

# 6. System-wide (no -p), ended by SIGINT: the calls of a process started later.
"$KSCOPE" funclat "$WL/funclat_wl:wl_fast" --json -d 30 > "$KS_TMP/sys.json" 2> "$KS_TMP/sys.err" &
kpid=$!
for i in $(seq 100); do grep -q '^Tracing' "$KS_TMP/sys.err" && break; sleep 0.1; done
"$WL/funclat_wl" fast 30000 > /dev/null &
wpid=$!
"$WL/funclat_wl" fast 20000 > /dev/null &
wpid2=$!
wait $wpid $wpid2
kill -INT $kpid
wait $kpid
rc=$?
calls=$(jq -r --argjson p $wpid '[.rows[] | select(.pid == $p)][0].calls' "$KS_TMP/sys.json" 2>/dev/null)
ks_check "system-wide: exit 0 on Ctrl-C, 30000 calls of the later process" \
	"$([ $rc = 0 ] && [ "$calls" = 30000 ]; echo $?)" "exit 0 and 30000, saw $rc and $calls"
calls2=$(jq -r --argjson p $wpid2 '[.rows[] | select(.pid == $p)][0].calls' "$KS_TMP/sys.json" 2>/dev/null)
total=$(jq -r '.totals[0].calls' "$KS_TMP/sys.json" 2>/dev/null)
ks_check "system-wide: second process 20000, total over processes 50000" \
	"$([ "$calls2" = 20000 ] && [ "$total" = 50000 ]; echo $?)" "20000 and 50000, saw $calls2 and $total"
exit $ks_failed
