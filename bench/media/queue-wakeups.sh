#!/usr/bin/env bash
# What one queue thread's wake-up costs on this machine: a 50 Hz live source (Opus's 20 ms) into
# a tee with 8 branches, "queue ! fakesink" against "fakesink" alone, alternated; prints each
# pair and the median extra CPU per wake-up (µs), from the threads' schedstat run times.
#   bash bench/media/queue-wakeups.sh [PAIRS=3] [SECONDS=10]
set -euo pipefail
pairs=${1:-3}
seconds=${2:-10}
branches=8
rate=50

# cpu_us WITH_QUEUE: the pipeline's CPU time (µs) over $seconds, after 2 s to settle.
cpu_us() {
  local p="audiotestsrc is-live=true wave=silence samplesperbuffer=960"
  p="$p ! audio/x-raw,rate=48000,channels=1 ! tee name=t"
  for _ in $(seq "$branches"); do
    if [ "$1" = 1 ]; then p="$p t. ! queue ! fakesink sync=false async=false"
    else p="$p t. ! fakesink sync=false async=false"; fi
  done
  # shellcheck disable=SC2086 # the pipeline's words are gst-launch's arguments
  gst-launch-1.0 -q $p > /dev/null 2>&1 &
  local pid=$! a b
  sleep 2
  a=$(cat /proc/$pid/task/*/schedstat | awk '{s += $1} END {print s}')
  sleep "$seconds"
  b=$(cat /proc/$pid/task/*/schedstat | awk '{s += $1} END {print s}')
  kill "$pid"
  wait "$pid" 2> /dev/null || true
  echo $(((b - a) / 1000))
}

per_wakeup=()
for i in $(seq "$pairs"); do
  without=$(cpu_us 0)
  with=$(cpu_us 1)
  us=$(awk -v w="$with" -v o="$without" -v n=$((branches * rate * seconds)) 'BEGIN {printf "%.1f", (w - o) / n}')
  echo "pair $i: without queues $((without / seconds)) µs/s, with $((with / seconds)) µs/s: $us µs per wake-up"
  per_wakeup+=("$us")
done
printf '%s\n' "${per_wakeup[@]}" | sort -n | awk '{v[NR] = $1} END {printf "median: %s µs per queue wake-up (%d pairs, %d queues at %d Hz)\n", v[int((NR + 1) / 2)], NR, '"$branches"', '"$rate"'}'
