# SPDX-License-Identifier: GPL-2.0
# Sourced by scripts/bench-*.sh: paths, the shared benchmark inputs built
# into build/bench/, and small statistics helpers.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KSCOPE=${KSCOPE:-$ROOT/build/kscope}
SHARED=${SHARED:-$ROOT/../shared/bench}
BENCH=$ROOT/build/bench
mkdir -p "$BENCH"
[ "$(id -u)" = 0 ] || { echo "benchmarks need root" >&2; exit 1; }
[ -x "$KSCOPE" ] || make -C "$ROOT" -s build/kscope || exit 1
"$ROOT/scripts/deps.sh" --bench || exit 1

bench_build() {	# compile ../shared/bench/X.c into build/bench/X
	local x
	for x in "$@"; do
		[ "$BENCH/$x" -nt "$SHARED/$x.c" ] ||
			gcc -O2 -fno-omit-frame-pointer -g "$SHARED/$x.c" -o "$BENCH/$x" || exit 1
	done
}
median() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# paired WORKLOAD SECS REPS -- OBSERVER...: the workload's rate without and
# with the observer, REPS pairs run back to back, in ABBA order (A first in
# odd pairs, B first in even ones) so a slow drift of the machine does not
# favour either side. Both sides go through the same steps: a process is
# started, given WARM seconds, the workload runs, the process is stopped;
# unobserved, that process is "sleep". (Without that, a run after the
# observer's 1.5 s warm-up followed an idle machine and the unobserved one a
# busy one: "sleep" as the observer measured 0.952 over 21 pairs of
# ping-pong, as much as the tracers did.) Prints "base_median
# observed_median ratio_of_medians median_of_pair_ratios ci95": the median
# of pair ratios is what one pair of runs shows, taken on the same machine
# state (on a shared VM it moves less than the ratio of medians), ci95 the
# interval of their geometric mean. RAW=FILE appends the pair ratios, to
# pool runs.
paired() {
	local wl=$1 secs=$2 reps=$3 i op r b o base=() obs=() ratios=()
	shift 4
	run_with() {	# OBSERVER... -> the workload's rate while it runs, in $r
		"$@" > /dev/null 2>&1 &
		op=$!
		sleep "${WARM:-1.5}"
		r=$("$wl" "$secs" 2> /dev/null)
		kill -INT $op 2> /dev/null
		sleep 0.3
		kill -KILL $op 2> /dev/null
		wait $op 2> /dev/null
	}
	for i in $(seq "$reps"); do
		if [ $((i % 2)) = 1 ]; then
			run_with sleep 1000; b=$r
			run_with "$@"; o=$r
		else
			run_with "$@"; o=$r
			run_with sleep 1000; b=$r
		fi
		base+=("$b") obs+=("$o")
		ratios+=("$(awk -v b="$b" -v o="$o" 'BEGIN { printf "%.4f", (b > 0 ? o / b : 0) }')")
	done
	b=$(median "${base[@]}")
	o=$(median "${obs[@]}")
	echo "$b $o $(awk -v b="$b" -v o="$o" 'BEGIN { printf "%.3f", o / b }')" \
	     "$(median "${ratios[@]}" | awk '{ printf "%.3f", $1 }')" \
	     "$(printf "%s\n" "${ratios[@]}" | ci95)"
	[ -n "$RAW" ] && printf "%s\n" "${ratios[@]}" >> "$RAW"
	return 0
}

# ci95: pair ratios on stdin -> "LO-HI", the 95% interval of their geometric
# mean (mean of the logs +- 1.96 standard errors): where the true ratio lies
# given this run's spread, the figure that says whether a target is shown.
ci95() {
	awk '$1 > 0 { l = log($1); s += l; q += l * l; n++ }
	     END { if (n < 2) { print "-"; exit }
		   m = s / n; v = (q - n * m * m) / (n - 1); e = 1.96 * sqrt(v > 0 ? v / n : 0)
		   printf "%.3f-%.3f", exp(m - e), exp(m + e) }'
}
