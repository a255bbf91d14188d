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
# favour either side. Prints "base_median observed_median ratio_of_medians
# median_of_pair_ratios": the last is what one pair of runs shows, taken on
# the same machine state; on a shared VM it moves less than the first.
paired() {
	local wl=$1 secs=$2 reps=$3 i op b o base=() obs=() ratios=()
	shift 4
	observed_run() {
		"$@" > /dev/null 2>&1 &
		op=$!
		sleep "${WARM:-1.5}"
		o=$("$wl" "$secs" 2> /dev/null)
		kill -INT $op 2> /dev/null
		sleep 0.3
		kill -KILL $op 2> /dev/null
		wait $op 2> /dev/null
	}
	for i in $(seq "$reps"); do
		if [ $((i % 2)) = 1 ]; then
			b=$("$wl" "$secs" 2> /dev/null)
			observed_run "$@"
		else
			observed_run "$@"
			b=$("$wl" "$secs" 2> /dev/null)
		fi
		base+=("$b") obs+=("$o")
		ratios+=("$(awk -v b="$b" -v o="$o" 'BEGIN { printf "%.4f", (b > 0 ? o / b : 0) }')")
	done
	b=$(median "${base[@]}")
	o=$(median "${obs[@]}")
	echo "$b $o $(awk -v b="$b" -v o="$o" 'BEGIN { printf "%.3f", o / b }')" \
	     "$(median "${ratios[@]}" | awk '{ printf "%.3f", $1 }')"
}
