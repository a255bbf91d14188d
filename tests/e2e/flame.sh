#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kscope flame end to end: folded in, SVG/HTML/pprof/speedscope/JSON out;
# xmllint on every SVG, go tool pprof on the pprof, headless Chromium runs
# the viewer's search, zoom and tooltip code (and the HTML table sort) and
# reports back through the #kstest element (see user/flamegraph.c).
source "$(dirname "$0")/../lib.sh"

IN=$KS_TMP/in.folded
# 102 samples; "read" matches read (30, with sys_read/ext4 nested) + vfs_read (10)
printf '%s\n' \
	'app;main;compute;inner_loop 50' \
	'app;main;compute;vfs_read_[k] 10' \
	'app;main;io;read;sys_read_[k];ext4_file_read_iter_[k] 30' \
	'app;main;jitfoo_[j];bar_[i] 5' \
	'app;main;a_very_long_function_name_that_will_not_fit_in_its_box_std::vector<int>::push_back 3' \
	'app;tiny1 1' \
	'app;tiny2 1' \
	'other;[unknown] 2' > "$IN"
BASE=$KS_TMP/base.folded
printf '%s\r\n' '# base profile, CRLF and float counts' \
	'app;main;compute;inner_loop 19.6' \
	'app;main;compute;vfs_read_[k] 10' \
	'app;main;io;read;sys_read_[k];ext4_file_read_iter_[k] 60' \
	'app;main;gone 10' > "$BASE"

CHROME=$(command -v chromium || echo /usr/bin/chromium)
# chromium_run URL: the text of #kstest after load (empty if none)
chromium_run() {
	local prof
	prof=$(mktemp -d "$KS_TMP/chrome.XXXXXX")
	timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$prof" --dump-dom "$1" 2>/dev/null |
		sed -n 's/.*<text id="kstest"[^>]*>\([^<]*\)<.*/\1/p' | head -1
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }

# --- usage ---
"$KSCOPE" flame --help | grep -q -- '--minwidth'
ks_check "flame --help prints usage, exit 0" $? "usage on stdout"
"$KSCOPE" flame --bogus >/dev/null 2>&1
rc=$?
ks_check "flame unknown option exits 2" $([ $rc = 2 ]; echo $?) "expected 2, saw $rc"

# --- bad input: one line naming file and line, exit 1 ---
printf 'a;b 1\na;b\n' > "$KS_TMP/bad.folded"
err=$("$KSCOPE" flame "$KS_TMP/bad.folded" -o "$KS_TMP/bad.svg" 2>&1)
rc=$?
ks_check "bad folded line: exit 1, FILE:LINE message" \
	$([ $rc = 1 ] && [ "$(echo "$err" | wc -l)" = 1 ] &&
	  [[ "$err" == *"bad.folded:2:"* ]]; echo $?) "expected exit 1 + 'bad.folded:2: ...', saw $rc '$err'"
ks_check "bad input leaves no output file" $([ ! -e "$KS_TMP/bad.svg" ]; echo $?) \
	"expected no bad.svg, saw $(ls "$KS_TMP"/bad.svg* 2>&1)"

# --- folded out: flamegraph.pl-compatible, merged, kinds kept ---
cat "$IN" "$IN" | "$KSCOPE" flame - -f folded > "$KS_TMP/round.folded"
want=$(awk '{v=$NF; $NF=""; sub(/ $/,""); s[$0]+=2*v} END {for (k in s) print k, s[k]}' "$IN" | sort)
saw=$(sort "$KS_TMP/round.folded" | awk '{ c[$0]++ } END { for (k in c) print k }' | sort)
got=$(awk '{v=$NF; $NF=""; sub(/ $/,""); s[$0]+=v} END {for (k in s) print k, s[k]}' "$KS_TMP/round.folded" | sort)
ks_check "folded round trip keeps stacks, kinds and totals" $([ "$want" = "$got" ]; echo $?) \
	"expected $(echo "$want" | wc -l) stacks summing twice the input, saw: $got"

# --- SVG: valid XML, structure, viewer ---
"$KSCOPE" flame "$IN" -o "$KS_TMP/in.svg" --title 'e2e <graph>'
xmllint --noout "$KS_TMP/in.svg" 2>"$KS_TMP/xmllint.err"
ks_check "xmllint accepts the SVG" $? "$(head -3 "$KS_TMP/xmllint.err")"
grep -q 'a_very_long_function_name_that_will_not_fit_in_its_box_std::vector\\u003cint\\u003e::push_back' "$KS_TMP/in.svg" &&
	grep -q '>a_\.\.</text>\|>a_ve[a-z_]*\.\.</text>' "$KS_TMP/in.svg"
ks_check "long name cut visibly with '..', full name kept" $? "a '..' label and the full name in the data"

out=$(chromium_run "file://$KS_TMP/in.svg#t=1&s=read&z=compute&h=compute")
m=$(field "$out" matched)
ks_check "chromium: SVG viewer runs without JS errors" $([[ "$out" == ok* ]]; echo $?) "expected ok..., saw '$out'"
ks_check "search 'read' matches 40 of 102 samples" $(ks_true "${m:-0} > 39.1 && ${m:-0} < 39.3"; echo $?) \
	"expected Matched 39.22%, saw '$m'"
ks_check "zoom on compute: 3 ancestors + compute + 2 children visible, full width" \
	$([ "$(field "$out" visible)" = 6 ] && [ "$(field "$out" width)" = 1180.0 ]; echo $?) "saw '$out'"
ks_check "tooltip: samples and share" $([[ "$(field "$out" tip)" == "60_samples_(58.82%),_user" ]]; echo $?) \
	"expected 60 samples (58.82%), saw '$(field "$out" tip)'"
out=$(chromium_run "file://$KS_TMP/in.svg#t=1&z=compute&u=1")
ks_check "unzoom after zoom runs" $([[ "$out" == ok*unzoomed* ]]; echo $?) "saw '$out'"

# --- narrow frames: merged into a visible remainder, counted ---
"$KSCOPE" flame "$IN" --minwidth 2.5 -o "$KS_TMP/min.svg"
xmllint --noout "$KS_TMP/min.svg" && grep -q 'class="rest"' "$KS_TMP/min.svg" &&
	grep -q '3 frames narrower than 2.5% merged into 2 grey boxes' "$KS_TMP/min.svg"
ks_check "sub-minwidth frames merged into remainders and counted" $? \
	"expected 'class=rest' boxes and '3 frames ... merged into 2 grey boxes'"
out=$(chromium_run "file://$KS_TMP/min.svg#t=1&h=%5B2%20narrower%20frames%20merged%5D")
ks_check "remainder tooltip explains the merge" $([[ "$(field "$out" tip)" == *narrower_than_2.5%* ]]; echo $?) \
	"saw '$out'"

# --- inverted: root at the top ---
"$KSCOPE" flame "$IN" --inverted -o "$KS_TMP/inv.svg"
y=$(sed -n '/<g id="frames">/,/<\/g>/p' "$KS_TMP/inv.svg" | grep -o '<rect x="[0-9.]*" y="[0-9]*"' |
	head -2 | sed 's/.*y="//;s/"//' | tr '\n' ' ')
ks_check "--inverted draws the root above its children" $(set -- $y; [ "$1" -lt "$2" ]; echo $?) "root y, child y: $y"
out=$(chromium_run "file://$KS_TMP/inv.svg#t=1&s=read&z=io")
ks_check "inverted viewer zooms" $([[ "$out" == ok*zoomed=io*visible=7* ]]; echo $?) "saw '$out'"

# --- --hash: a function keeps its colour across graphs ---
printf 'other;x;y;inner_loop 9\nz;k 3\n' > "$KS_TMP/other.folded"
"$KSCOPE" flame "$IN" --hash -o "$KS_TMP/h1.svg"
"$KSCOPE" flame "$KS_TMP/other.folded" --hash -o "$KS_TMP/h2.svg"
c1=$(grep -o 'fill="[^"]*"/><text[^>]*>inner_loop<' "$KS_TMP/h1.svg" | cut -d'"' -f2)
c2=$(grep -o 'fill="[^"]*"/><text[^>]*>inner_loop<' "$KS_TMP/h2.svg" | cut -d'"' -f2)
ks_check "--hash: same colour for inner_loop in two graphs" $([ -n "$c1" ] && [ "$c1" = "$c2" ]; echo $?) \
	"saw '$c1' and '$c2'"

# --- differential ---
"$KSCOPE" flame "$IN" --diff "$BASE" -o "$KS_TMP/diff.svg"
xmllint --noout "$KS_TMP/diff.svg"
ks_check "xmllint accepts the differential SVG" $? "valid XML"
out=$(chromium_run "file://$KS_TMP/diff.svg#t=1&h=inner_loop")
tip=$(field "$out" tip)
# inner_loop: 50/102 = 49.02% now, 20/100 = 20.00% in the base: +29.02 points
ks_check "diff tooltip: normalized shares and delta" $([[ "$tip" == *"base_20_(20.00%),_+29.02_pts"* ]]; echo $?) \
	"expected base 20 (20.00%), +29.02 pts, saw '$out'"
red=$(grep -o 'fill="[^"]*"/><text[^>]*>inner_loop<' "$KS_TMP/diff.svg" | cut -d'"' -f2)
blue=$(grep -o 'fill="[^"]*"/><text[^>]*>io<' "$KS_TMP/diff.svg" | cut -d'"' -f2)
ks_check "diff colours: grew red, shrank blue" \
	$([[ "$red" == "rgb(255,"* ]] && [[ "$blue" == *",255)" ]] && [[ "$blue" != "rgb(255,"* ]]; echo $?) \
	"inner_loop '$red', io '$blue'"
"$KSCOPE" flame "$IN" --diff "$BASE" --negate -o "$KS_TMP/neg.svg"
ks_check "--negate draws what disappeared (gone)" $(grep -q '>gone</text>' "$KS_TMP/neg.svg"; echo $?) \
	"a 'gone' frame in the negated graph"

# --- HTML: graph + sortable table ---
"$KSCOPE" flame "$IN" -o "$KS_TMP/in.html"
dom=$(mktemp "$KS_TMP/dom.XXXXXX")
prof=$(mktemp -d "$KS_TMP/chrome.XXXXXX")
timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$prof" --dump-dom "file://$KS_TMP/in.html#t=1&s=read&z=compute&sort=3" \
	2>/dev/null > "$dom"
out=$(sed -n 's/.*<text id="kstest"[^>]*>\([^<]*\)<.*/\1/p' "$dom" | head -1)
first=$(grep -o '<tr><td>[^<]*</td>' "$dom" | head -1 | sed 's/<[^>]*>//g')
ks_check "chromium: HTML page runs without JS errors" $([[ "$out" == ok* ]]; echo $?) "saw '$out'"
ks_check "HTML table sorts by self: inner_loop first" $([ "$first" = inner_loop ]; echo $?) \
	"expected inner_loop, saw '$first'"

# --- pprof: go tool pprof agrees on the total and the top function ---
"$KSCOPE" flame "$IN" -o "$KS_TMP/in.pb.gz"
if command -v go >/dev/null; then
	top=$(HOME=$KS_TMP GOFLAGS=-mod=mod timeout 60 go tool pprof -top "$KS_TMP/in.pb.gz" 2>&1)
	ks_check "go tool pprof reads our pprof: total 102" \
		$(echo "$top" | grep -q 'accounting for 102, 100% of 102 total'; echo $?) "saw: $(echo "$top" | head -5)"
	row=$(echo "$top" | grep -A1 ' flat ' | tail -1 | awk '{print $1, $NF}')
	ks_check "go tool pprof top function is inner_loop with 50" $([ "$row" = "50 inner_loop" ]; echo $?) \
		"saw '$row'"
else
	echo "SKIP: go tool pprof not installed"
fi

# --- speedscope and JSON ---
"$KSCOPE" flame "$IN" -o "$KS_TMP/in.speedscope.json"
w=$(jq '[.profiles[0].weights[]] | add' "$KS_TMP/in.speedscope.json" 2>&1)
n=$(jq '.profiles[0].samples | length' "$KS_TMP/in.speedscope.json" 2>&1)
ks_check "speedscope: valid JSON, weights sum to 102 over 8 samples" $([ "$w" = 102 ] && [ "$n" = 8 ]; echo $?) \
	"saw weights $w, samples $n"
"$KSCOPE" flame "$IN" -o "$KS_TMP/in.json"
t=$(jq '.total' "$KS_TMP/in.json" 2>&1)
k=$(jq -r '[.functions[] | select(.kind == "kernel") | .name] | sort | join(",")' "$KS_TMP/in.json" 2>&1)
ks_check "json: total and kernel frames" $([ "$t" = 102 ] && [ "$k" = "ext4_file_read_iter,sys_read,vfs_read" ]; echo $?) \
	"saw total $t, kernel '$k'"

# --- a big graph stays light: 60k stacks render fast and load in < 2 s ---
# the shared benchmark inputs sit beside the checkout (../shared/bench)
GEN=$KS_ROOT/../shared/bench/gen-folded.py
[ -f "$GEN" ] || GEN=/work/shared/bench/gen-folded.py
if [ ! -f "$GEN" ]; then
	echo "SKIP: big-graph checks: ../shared/bench/gen-folded.py not found"
else
	python3 "$GEN" "$KS_TMP/big.folded" 60000
	start=$(date +%s%N)
	"$KSCOPE" flame "$KS_TMP/big.folded" -o "$KS_TMP/big.svg"
	secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	ks_check "60k-stack folded renders in < 3 s" $(ks_true "$secs < 3"; echo $?) "took $secs s"
	out=$(chromium_run "file://$KS_TMP/big.svg#t=1&s=fn_1_&z=main")
	ms=$(field "$out" load_ms)
	ks_check "big SVG ($(du -k "$KS_TMP/big.svg" | cut -f1) KB) loads, searches, zooms in < 2000 ms" \
		$([[ "$out" == ok* ]] && ks_true "${ms:-99999} < 2000"; echo $?) "saw '$out'"
	# 3000 stacks: ~50k frames at 0.01%; without --minwidth it is raised to stay light
	python3 "$GEN" "$KS_TMP/wide.folded" 3000
	"$KSCOPE" flame "$KS_TMP/wide.folded" -o "$KS_TMP/wide.svg"
	n=$(sed -n '/<g id="frames">/,/<\/g>/p' "$KS_TMP/wide.svg" | grep -c '^<rect')
	ks_check "wide graph: minwidth raised, under 30000 frames, and said so" \
		$(grep -q 'minwidth raised to stay under 30000 frames' "$KS_TMP/wide.svg" &&
		  [ "$n" -le 30000 ] && [ "$n" -gt 1000 ]; echo $?) "saw $n frames"
	out=$(chromium_run "file://$KS_TMP/wide.svg#t=1&s=fn_1_&z=main&h=main")
	ms=$(field "$out" load_ms)
	# generous: other jobs share this machine; a frozen viewer takes tens of seconds
	ks_check "wide graph ($n frames) loads, searches, zooms in < 5000 ms" \
		$([[ "$out" == ok*zoomed=main*tip=* ]] && ks_true "${ms:-99999} < 5000"; echo $?) \
		"saw '$out'"
	"$KSCOPE" flame "$KS_TMP/wide.folded" --minwidth 0.01 -o "$KS_TMP/wide2.svg"
	n2=$(sed -n '/<g id="frames">/,/<\/g>/p' "$KS_TMP/wide2.svg" | grep -c '^<rect')
	ks_check "an explicit --minwidth is honoured" $([ "$n2" -gt 30000 ]; echo $?) "saw $n2 frames"
fi
exit $ks_failed
