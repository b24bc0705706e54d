#!/usr/bin/env bash
# The unit suite of the arm64 build tree under qemu-user: `meson test` runs each test program through the cross file's exe_wrapper.
set -uo pipefail
obj=$1
if [ ! -f "$obj/build.ninja" ]; then
  echo "no arm64 build tree in $obj: the arm64-build test (board/arm64/build) did not run or failed"
  exit 77
fi
command -v qemu-aarch64-static >/dev/null || { echo "qemu-aarch64-static missing (qemu-user-static)"; exit 77; }
meson test -C "$obj" --suite unit --print-errorlogs --no-rebuild
