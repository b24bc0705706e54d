#!/usr/bin/env bash
# System test: `systemd-analyze security --offline=true` on callbox.service; fails above the exposure threshold.
set -euo pipefail
unit=$1 threshold=$2
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze"; exit 77; }
work=$(mktemp -d "${CALLBOX_TEST_TMP:-/tmp}/unit-security.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$unit" "$work/callbox.service"
out=$(cd "$work" && systemd-analyze security --no-pager --offline=true callbox.service 2>&1) || true
echo "$out" | grep -E "^✗" || true
line=$(grep -E "Overall exposure level for callbox.service" <<<"$out") || { echo "$out"; exit 1; }
echo "$line"
score=$(sed -E 's/.*: ([0-9]+\.[0-9]+).*/\1/' <<<"$line")
if awk -v s="$score" -v t="$threshold" 'BEGIN { exit !(s > t) }'; then
  echo "exposure $score is above the threshold $threshold"
  exit 1
fi
echo "exposure $score <= $threshold"
