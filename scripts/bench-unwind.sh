#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The CFI unwinder (user/unwind.c) against its peer, perf --call-graph dwarf
# (same approach: registers + a copy of the user stack, unwound afterwards by
# elfutils' libdw):
#  1. cost per unwind: ours from build/tests/test_unwind (an 18-frame stack,
#     with and without the per-module row cache); perf's as the time
#     `perf script -F ip --no-inline` (unwind, print raw ips) spends per
#     sample minus `perf script -F comm` (no callchain: no unwinding).
#  2. completeness against the size of the stack copy: perf record
#     --call-graph dwarf,SIZE on Debian binaries (no frame pointers); the
#     share of samples whose user stack reaches the thread's entry (_start,
#     clone, clone3, start_thread). perf copies SIZE bytes from sp, exactly
#     what our BPF side does with KS_USTACK_BYTES, so the figure carries over.
# REPS=N (default 5) runs of the cost part; medians reported. Needs root (perf).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPS=${REPS:-5}
SIZES=${SIZES:-"2048 4096 8192 16384 65528"}
TMP=$(mktemp -d /tmp/bench-unwind.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
[ "$(id -u)" = 0 ] || { echo "bench-unwind needs root (perf)" >&2; exit 1; }
median() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

make -C "$ROOT" -s build/tests/test_unwind || exit 1

echo "== cost per unwind (median of $REPS runs; ns)"
for i in $(seq "$REPS"); do
	l=$("$ROOT/build/tests/test_unwind" 2>&1 | grep '^COST:')
	frames=$(sed -n 's/^COST: \([0-9]*\) frames.*/\1/p' <<<"$l")
	warm+="$(sed -n 's/.*median \([0-9]*\) ns per unwind with.*/\1/p' <<<"$l") "
	cold+="$(sed -n 's/.*, \([0-9]*\) ns without.*/\1/p' <<<"$l") "
done
w=$(median $warm) c=$(median $cold)
printf "  %-44s %6s ns/unwind  %4s ns/frame\n" "kscope, row cache warm ($frames frames)" "$w" \
	$((w / frames)) "kscope, no row cache ($frames frames)" "$c" $((c / frames))

# workloads: Debian binaries, no frame pointers
head -c 24M /dev/urandom | base64 > "$TMP/data"
cat > "$TMP/fib.py" <<'EOF'
def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)
print(sum(fib(22) for _ in range(60)))
EOF
declare -A W=(
	[python3]="/usr/bin/python3 $TMP/fib.py"
	[cc1]="sh -c 'for i in 1 2; do gcc -O2 -I$ROOT/include -c $ROOT/user/unwind.c -o /dev/null; done'"
	[xz]="xz -6 -T1 -c $TMP/data"
	[sort-threads]="sort --parallel=2 -S 64M $TMP/data"
)

# perf's unwind cost per sample, from the 8 KiB recordings below
perf_cost() {	# perf.data -> ns per sample spent on callchains
	local f=$1 n t1 t0 i a="" b=""
	n=$(perf script -F comm -i "$f" 2>/dev/null | wc -l)
	[ "$n" -ge 1000 ] || { echo "-1 $n"; return; }	# too few: noise
	for i in 1 2 3; do
		t1=$(date +%s%N); perf script -F ip --no-inline -i "$f" >/dev/null 2>&1
		a+="$(( $(date +%s%N) - t1 )) "
		t0=$(date +%s%N); perf script -F comm -i "$f" >/dev/null 2>&1
		b+="$(( $(date +%s%N) - t0 )) "
	done
	echo "$(( ($(median $a) - $(median $b)) / n )) $n"
}

# Share of samples with a user stack that reach the thread entry: Debian's
# binaries are stripped (_start prints as [unknown]), so "reached" means one of
# the last three frames is libc's __libc_start_call_main, clone, clone3 or
# start_thread (libc's names come from libc6-dbg).
complete_share() {
	perf script -F ip,sym,dso --no-inline -i "$1" 2>/dev/null | awk -v RS= '
	{
		n = split($0, l, "\n")
		if (l[n] ~ /kernel.kallsyms/) next	# no user stack
		tot++
		for (i = n; i > 0 && i > n - 3; i--)
			if (l[i] ~ / (__libc_start_call_main|__libc_start_main[a-z_]*|__clone3?|clone3?|start_thread)(\+0x[0-9a-f]+)? /) {
				ok++
				break
			}
	}
	END { if (tot) printf "%5.1f%% of %d", 100 * ok / tot, tot; else printf "no samples" }'
}

echo "== perf --call-graph dwarf: unwind+symbolize cost per sample (perf script, 8 KiB copies)"
echo "== and share of samples unwound to the thread entry, by copy size (perf's libdw unwinder)"
printf "  %-14s" workload; for s in $SIZES; do printf " %16s" "$s B"; done; echo
for w in python3 cc1 xz sort-threads; do
	printf "  %-14s" "$w"
	for s in $SIZES; do
		eval "perf record -q -e cpu-clock -F 499 --call-graph dwarf,$s -o $TMP/$w.$s.data \
			-- ${W[$w]}" >/dev/null 2>&1
		printf " %16s" "$(complete_share "$TMP/$w.$s.data")"
	done
	echo
	pc+="$w: $(perf_cost "$TMP/$w.8192.data" |
		awk '{ if ($1 < 0) printf "n/a (%d samples)", $2; else printf "%d ns/sample (%d samples)", $1, $2 }'); "
done
echo "  perf script callchain cost at 8 KiB: $pc"
