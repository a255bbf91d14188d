#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kscope flame against flamegraph.pl on a deterministic 300k-line (~110 MB)
# folded file: render time, peak memory (max RSS) and how long the SVG takes
# to load in headless Chromium. Runs are interleaved; medians of REPS runs.
#   REPS=5 PEER_REPS=5 FLAMEGRAPH_PL=/path/flamegraph.pl scripts/bench-flame.sh
# flamegraph.pl is not packaged by Debian: point FLAMEGRAPH_PL at a checkout
# of github.com/brendangregg/FlameGraph (default /tmp/FlameGraph/flamegraph.pl);
# without it only kscope's figures are printed.
set -u
cd "$(dirname "$0")/.." || exit 2
KSCOPE=${KSCOPE:-build/kscope}
REPS=${REPS:-5}
PEER_REPS=${PEER_REPS:-$REPS}
FG=${FLAMEGRAPH_PL:-/tmp/FlameGraph/flamegraph.pl}
GEN=${GEN:-/work/shared/bench/gen-folded.py}
DIR=build/bench
IN=$DIR/folded-300k.folded
mkdir -p "$DIR"
[ -s "$IN" ] || python3 "$GEN" "$IN" || exit 1
size_kb=$(( $(stat -c %s "$IN") / 1024 ))
CHROME=$(command -v chromium || echo /usr/bin/chromium)

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
	else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# run OUT CMD...: append "seconds maxrss_kb" to OUT
run() {
	local out=$1
	shift
	/usr/bin/time -f '%e %M' -o "$DIR/time.tmp" "$@" || { echo "bench: $* failed" >&2; return 1; }
	cat "$DIR/time.tmp" >> "$out"
}
# chrome_ms SVG: wall ms of a headless load (--dump-dom), and the page's own
# load-to-script-done time for ours ("-" for others)
chrome_ms() {
	local prof t0 t1 dom inner
	prof=$(mktemp -d)
	t0=$(date +%s%N)
	dom=$(timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$prof" --dump-dom "file://$PWD/$1#t=1" 2>/dev/null)
	t1=$(date +%s%N)
	rm -rf "$prof"
	inner=$(echo "$dom" | sed -n 's/.*load_ms=\([0-9]*\).*/\1/p' | head -1)
	echo "$(( (t1 - t0) / 1000000 )) ${inner:--}"
}

: > "$DIR/ks.times"
: > "$DIR/fg.times"
: > "$DIR/ks.chrome"
: > "$DIR/fg.chrome"
have_fg=0
[ -f "$FG" ] && [ "$PEER_REPS" -gt 0 ] && command -v perl >/dev/null && have_fg=1
[ $have_fg = 0 ] && echo "bench-flame: $FG not found: peer figures skipped" >&2
for i in $(seq 1 "$REPS"); do
	run "$DIR/ks.times" "$KSCOPE" flame "$IN" -o "$DIR/ks.svg" || exit 1
	if [ $have_fg = 1 ] && [ "$i" -le "$PEER_REPS" ]; then
		run "$DIR/fg.times" sh -c "perl '$FG' '$IN' > '$DIR/fg.svg'" || exit 1
	fi
	chrome_ms "$DIR/ks.svg" >> "$DIR/ks.chrome"
	[ $have_fg = 1 ] && [ -s "$DIR/fg.svg" ] && chrome_ms "$DIR/fg.svg" >> "$DIR/fg.chrome"
done

ks_t=$(awk '{print $1}' "$DIR/ks.times" | median)
ks_m=$(awk '{print $2}' "$DIR/ks.times" | median)
ks_c=$(awk '{print $1}' "$DIR/ks.chrome" | median)
ks_l=$(awk '{print $2}' "$DIR/ks.chrome" | median)
echo "input: $IN, $((size_kb / 1024)) MB, $(wc -l < "$IN") lines; medians of $REPS runs (peer $PEER_REPS)"
printf '%-14s %10s %12s %10s %14s %16s\n' tool render_s maxrss_MB svg_KB chrome_wall_ms page_load_ms
printf '%-14s %10s %12s %10s %14s %16s\n' "kscope flame" "$ks_t" "$((ks_m / 1024))" \
	"$(( $(stat -c %s "$DIR/ks.svg") / 1024 ))" "$ks_c" "$ks_l"
if [ $have_fg = 1 ]; then
	fg_t=$(awk '{print $1}' "$DIR/fg.times" | median)
	fg_m=$(awk '{print $2}' "$DIR/fg.times" | median)
	fg_c=$(awk '{print $1}' "$DIR/fg.chrome" | median)
	printf '%-14s %10s %12s %10s %14s %16s\n' "flamegraph.pl" "$fg_t" "$((fg_m / 1024))" \
		"$(( $(stat -c %s "$DIR/fg.svg") / 1024 ))" "$fg_c" "-"
	echo "speed-up: $(awk -v a="$fg_t" -v b="$ks_t" 'BEGIN { printf "%.1f", a / b }')x" \
	     "(goal >= 30x); kscope max RSS / input: $(awk -v m="$ks_m" -v s="$size_kb" \
	     'BEGIN { printf "%.2f", m / s }') (goal <= 2)"
else
	echo "kscope max RSS / input: $(awk -v m="$ks_m" -v s="$size_kb" 'BEGIN { printf "%.2f", m / s }')"
fi
