#!/usr/bin/env bash
# A media call under qemu-user: the arm64 media-engine test's back-to-back call (webrtcbin, DTLS-SRTP, VP8) and its capture graph, in a loopback-only network namespace.
set -uo pipefail
obj=$1
netns_run=$2
exe=$obj/tests/media/test-media-engine
sysroot=${CALLBOX_ARM64_DIR:-}/sysroot
if [ ! -x "$exe" ] || [ ! -d "$sysroot" ]; then
  echo "no arm64 media test in $obj: the arm64-build test (board/arm64/build) did not run or failed"
  exit 77
fi
command -v qemu-aarch64-static >/dev/null || { echo "qemu-aarch64-static missing (qemu-user-static)"; exit 77; }
# An arm64 program cannot start GStreamer's plugin scanner (another arm64 program) without
# binfmt_misc: the scan runs in the test's process.
export GST_REGISTRY_FORK=no GST_REGISTRY=$CALLBOX_ARM64_DIR/gst-registry.bin
exec "$netns_run" qemu-aarch64-static -L "$sysroot" "$exe" \
  --gtest_filter='CaptureGraph.TestSourcesIntoFakesink:MediaEngineTest.SendReceiveCallBackToBack'
