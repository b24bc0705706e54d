#!/usr/bin/env bash
# Disk cost of durable chat at the chat benchmark's fixed load: fsyncs (strace -c) and bytes
# written (/proc/PID/io write_bytes) per chat message. Usage, from the source root after a build:
#   bench/chat/io-per-message.sh [CALLBOXD]        (default build/src/callboxd)
# The daemon runs under `strace -f --seccomp-bpf -c -e trace=fsync,fdatasync,pwrite64` (only
# those calls stop it) with a fresh data dir under $BENCH_TMP (default /tmp), media off and the
# limits lifted as bench/chat/run.mjs does; node bench/chat/loadgen.mjs sends 2,000 msg/s from
# 200 clients in 10 rooms for 1 s of warm-up and 5 s measured. Messages = the rooms' last seq.
set -euo pipefail
cd "$(dirname "$0")/../.."
callboxd=$(realpath "${1:-build/src/callboxd}")
work=$(mktemp -d "${BENCH_TMP:-/tmp}/callbox-io-XXXXXX")
trap 'rm -rf "$work"' EXIT
printf '[rooms]\nmax_browsers=1000\nrate_limit=0\n[media]\nenabled=false\n' >"$work/bench.conf"
strace -f --seccomp-bpf -c -e trace=fsync,fdatasync,pwrite64 -o "$work/strace.txt" \
  "$callboxd" --no-tls --bind 127.0.0.1 --port 0 --data-dir "$work/data" --config "$work/bench.conf" \
  --web-dir web \
  >"$work/out" 2>&1 &
tracer=$!
for _ in $(seq 100); do grep -qs 'listening on' "$work/out" && break; sleep 0.1; done
url=$(grep -o 'listening on http[^ ]*' "$work/out" | head -1 | sed 's/listening on http/ws/; s,/$,,')/ws
pid=$(ps --ppid "$tracer" -o pid= | tr -d ' ')
written() { awk '/^write_bytes/ {print $2}' "/proc/$pid/io"; }
before=$(written)
node bench/chat/loadgen.mjs --target callbox --url "$url" --clients 200 --rooms 10 --rate 2000 \
  --duration 5 --warmup 1 >"$work/load.json"
after=$(written)
kill -TERM "$pid"
wait "$tracer" || true
messages=$(sqlite3 "$work/data/chat.sqlite3" 'SELECT sum(m) FROM (SELECT max(seq) AS m FROM chat GROUP BY room)')
syncs=$(awk '$NF == "fsync" || $NF == "fdatasync" {n += $4} END {print n + 0}' "$work/strace.txt")
pwrites=$(awk '$NF == "pwrite64" {print $4}' "$work/strace.txt")
echo "callboxd: $callboxd"
echo "load: $(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(`${r.sent} sent in the measured window, lost ${r.lost}, p99 ${r.latency_ms?.p99 ?? r.p99_ms ?? "?"} ms`)' "$work/load.json")"
echo "messages stored: $messages"
echo "fsync+fdatasync: $syncs ($(awk -v s="$syncs" -v m="$messages" 'BEGIN {printf "%.3f", s / m}') per message)"
echo "pwrite64: ${pwrites:-0}"
echo "bytes written (write_bytes, the whole run): $((after - before)) ($(awk -v b="$((after - before))" -v m="$messages" 'BEGIN {printf "%.0f", b / m}') per message)"
