#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The symbolizer against addr2line (binutils) and eu-addr2line (elfutils):
# N addresses (default 100k) drawn uniformly from the .text of libc (named
# through libc6-dbg's build-id debug file) and of a large binary with a
# .symtab (default /usr/bin/node, else bpftrace), resolved by
#   kscope symbolize          (one process, "BINARY ADDR" lines on stdin)
#   addr2line -f -e BINARY    (one process per binary, addresses on stdin)
#   eu-addr2line -f -e BINARY (same)
# Runs are interleaved; wall-time medians of REPS runs, max RSS, and how
# often each peer's function name agrees with ours (peers' names demangled
# with c++filt outside the timed runs; addr2line names inlined callees
# from DWARF where we name the enclosing symbol, so 100% is not expected).
#   REPS=5 N=100000 BIG=/usr/bin/node scripts/bench-symbolize.sh
set -u
cd "$(dirname "$0")/.." || exit 2
KSCOPE=${KSCOPE:-build/kscope}
REPS=${REPS:-5}
N=${N:-100000}
LIBC=${LIBC:-$(readlink -f /lib/x86_64-linux-gnu/libc.so.6)}
BIG=${BIG:-/usr/bin/node}
[ -f "$BIG" ] || BIG=/usr/bin/bpftrace
DIR=build/bench/symbolize
mkdir -p "$DIR"
[ -x "$KSCOPE" ] || make -s build/kscope || exit 1
for t in addr2line eu-addr2line c++filt python3; do
	command -v $t > /dev/null || { echo "bench-symbolize: $t missing" >&2; exit 1; }
done

bid=$(readelf -n "$LIBC" 2>/dev/null | sed -n 's/.*Build ID: //p')
dbg=/usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug
[ -f "$dbg" ] && dbgnote="debug file $dbg" || dbgnote="NO debug file (install libc6-dbg)"

# the inputs: uniform over each binary's .text, fixed seed
python3 - "$N" "$LIBC" "$BIG" "$DIR" <<'PY' || exit 1
import random, subprocess, sys
n, libc, big, d = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
rnd = random.Random(42)
ours = []
for tag, path in (("libc", libc), ("big", big)):
    out = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.replace("[ ", "[").split()
        if len(f) > 5 and f[1] == ".text":
            addr, size = int(f[3], 16), int(f[5], 16)
    addrs = ["0x%x" % rnd.randrange(addr, addr + size) for _ in range(n // 2)]
    open("%s/%s.addrs" % (d, tag), "w").write("\n".join(addrs) + "\n")
    ours += ["%s %s" % (path, a) for a in addrs]
open("%s/ours.in" % d, "w").write("\n".join(ours) + "\n")
PY

median() { sort -g | awk '{ v[NR] = $1 }
	END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# timed NAME OUT CMD...: stdin from the caller; appends "seconds rss_kb" to $DIR/NAME.t
timed() {
	local name=$1 out=$2 t0 t1
	shift 2
	t0=$(date +%s%N)
	/usr/bin/time -f '%M' -o "$DIR/rss.tmp" "$@" > "$out" || { echo "bench: $* failed" >&2; exit 1; }
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000 )) $(cat "$DIR/rss.tmp")" >> "$DIR/$name.t"
}
rm -f "$DIR"/*.t
for r in $(seq "$REPS"); do
	timed ours "$DIR/ours.out" "$KSCOPE" symbolize < "$DIR/ours.in"
	timed a2l_libc "$DIR/a2l_libc.out" addr2line -f -e "$LIBC" < "$DIR/libc.addrs"
	timed a2l_big "$DIR/a2l_big.out" addr2line -f -e "$BIG" < "$DIR/big.addrs"
	timed eu_libc "$DIR/eu_libc.out" eu-addr2line -f -e "$LIBC" < "$DIR/libc.addrs"
	timed eu_big "$DIR/eu_big.out" eu-addr2line -f -e "$BIG" < "$DIR/big.addrs"
done
"$KSCOPE" -v symbolize < "$DIR/ours.in" 2> "$DIR/ours.mem" > /dev/null

med() { awk '{ print $1 / 1e6 }' "$DIR/$1.t" | median; }
rss() { awk '{ print $2 }' "$DIR/$1.t" | median; }
ours=$(med ours)
a2l=$(awk -v a="$(med a2l_libc)" -v b="$(med a2l_big)" 'BEGIN { print a + b }')
eu=$(awk -v a="$(med eu_libc)" -v b="$(med eu_big)" 'BEGIN { print a + b }')

# agreement: our names (without +0xoff) against each peer's function lines
cut -f2 "$DIR/ours.out" | sed 's/+0x[0-9a-f]*$//' > "$DIR/ours.names"
agree() {	# agree PEER: % of addresses where the peer's name equals ours
	cat "$DIR/${1}_libc.out" "$DIR/${1}_big.out" | awk 'NR % 2 == 1' | c++filt |
		paste -d '\n' - "$DIR/ours.names" | awk 'NR % 2 == 1 { p = $0; next }
		{ n++; if (p == $0) a++ } END { printf "%.1f", 100 * a / n }'
}
# unnamed: "BASENAME+0xOFF" (mapping known, no symbol) or "[unknown]"
named=$(awk -F'\t' '{ n = split($3, p, "/") } index($2, p[n] "+0x") != 1 && $2 != "[unknown]"' \
	"$DIR/ours.out" | wc -l)

printf 'symbolize %d addresses: %d in %s (%s), %d in %s; %d runs, medians\n' \
	"$N" $((N / 2)) "$LIBC" "$dbgnote" $((N / 2)) "$BIG" "$REPS"
printf '  %-28s %9s %9s %11s %s\n' tool seconds "x ours" "maxRSS MB" "names = ours"
printf '  %-28s %9.3f %9s %11.1f %s\n' "kscope symbolize" "$ours" 1.0 \
	"$(awk -v k="$(rss ours)" 'BEGIN { print k / 1024 }')" "($named named)"
printf '  %-28s %9.3f %9.1f %11.1f %s%%\n' "addr2line -f (2 processes)" "$a2l" \
	"$(awk -v a="$a2l" -v o="$ours" 'BEGIN { print a / o }')" \
	"$(awk -v a="$(rss a2l_libc)" -v b="$(rss a2l_big)" 'BEGIN { print (a > b ? a : b) / 1024 }')" \
	"$(agree a2l)"
printf '  %-28s %9.3f %9.1f %11.1f %s%%\n' "eu-addr2line -f (2 processes)" "$eu" \
	"$(awk -v a="$eu" -v o="$ours" 'BEGIN { print a / o }')" \
	"$(awk -v a="$(rss eu_libc)" -v b="$(rss eu_big)" 'BEGIN { print (a > b ? a : b) / 1024 }')" \
	"$(agree eu)"
sed 's/^/  /' "$DIR/ours.mem"
