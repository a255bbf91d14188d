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
