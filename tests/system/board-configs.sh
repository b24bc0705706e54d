#!/usr/bin/env bash
# System test: the default callbox.conf and every board fragment pass `callboxd --check-config`.
set -euo pipefail
callboxd=$1
shift
for f in "$@"; do
  "$callboxd" --check-config "$f"
done
