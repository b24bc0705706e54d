#!/usr/bin/env bash
# System test: `callboxd --self-test` against the test sources (no camera, no sound card): every
# required row is ok, the tone row says what it checked instead, the missing Pi 4 encoder falls
# back to x264; an encoder whose element does not exist makes it fail with the package named.
set -euo pipefail
callboxd=$1
pipelines=${CALLBOX_PIPELINES_DIR:?}
tmp=$(mktemp -d "${CALLBOX_TEST_TMP:-/tmp}/self-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp XDG_CACHE_HOME=$tmp/cache GST_REGISTRY=$tmp/registry.bin

fail() { echo "self-test.sh: $*" >&2; exit 1; }
row() { grep -E "^$1 " "$2" || fail "no row '$1' in $2"; }
expect_row() { # ROW-NAME FILE RESULT [DETAIL-TEXT]
  local line
  line=$(row "$1" "$2")
  [[ $line =~ ^$1\ +$3\  ]] || fail "row '$1' is not $3: $line"
  [[ -z ${4:-} || $line == *"$4"* ]] || fail "row '$1' does not say '$4': $line"
}

# 1. The default config: everything required works, exit status 0.
printf '[media]\nvideo_source = auto\naudio_source = auto\n' > "$tmp/default.conf"
status=0
"$callboxd" --self-test -c "$tmp/default.conf" > "$tmp/default.txt" 2>"$tmp/default.err" || status=$?
cat "$tmp/default.txt"
[ "$status" = 0 ] || fail "exit status $status with the test sources"
expect_row "GStreamer elements" "$tmp/default.txt" ok
expect_row camera "$tmp/default.txt" ok "frames of 1280x720"
row camera "$tmp/default.txt" | grep -q "test pattern 1280x720@30" || fail "camera did not choose the test pattern"
expect_row microphone "$tmp/default.txt" ok
expect_row speaker "$tmp/default.txt" ok
expect_row "tone: speaker → microphone" "$tmp/default.txt" skipped "the detector hears the test microphone's 440 Hz"
expect_row screen "$tmp/default.txt" ok
expect_row "H.264 encoder x264" "$tmp/default.txt" ok "encoded buffers out"
expect_row "H.264 for calls" "$tmp/default.txt" ok
expect_row "VP8 encoder" "$tmp/default.txt" ok
expect_row "Opus encoder" "$tmp/default.txt" ok
grep -q "^self-test: everything required works$" "$tmp/default.txt" || fail "no verdict line"

# 2. The Pi 4's hardware encoder asked for on a machine without it: x264 is used, and the
# table says it fell back and what to install.
printf '[media]\nvideo_encoder = v4l2h264\nwidth = 640\nheight = 480\n' > "$tmp/v4l2.conf"
"$callboxd" --self-test -c "$tmp/v4l2.conf" > "$tmp/v4l2.txt" 2>&1 ||
  { st=$?; tail -n 60 "$tmp/v4l2.txt" >&2; fail "exit status $st with video_encoder = v4l2h264"; }
if gst-inspect-1.0 v4l2h264enc >/dev/null 2>&1; then
  echo "v4l2h264enc exists here: the fallback is not tried"
else
  expect_row "H.264 encoder v4l2h264" "$tmp/v4l2.txt" missing "install the Debian package gstreamer1.0-plugins-good"
  expect_row "H.264 for calls" "$tmp/v4l2.txt" ok "fell back from v4l2h264 (missing)"
  row "H.264 for calls" "$tmp/v4l2.txt" | grep -q " x264 " || fail "the fallback did not choose x264"
  grep -q "^missing: install gstreamer1.0-plugins-good" "$tmp/v4l2.txt" || fail "no package line"
  expect_row camera "$tmp/v4l2.txt" ok "frames of 640x480"
fi

# 3. A required encoder whose element does not exist: the self-test fails (status 1) and names
# the element and the package.
mkdir "$tmp/pipelines"
cp "$pipelines"/*.pipeline "$tmp/pipelines/"
echo 'vp8encnotinstalled deadline=1' > "$tmp/pipelines/video-encoder-vp8.pipeline"
printf '[media]\npipelines_dir = %s\nwidth = 640\nheight = 480\n' "$tmp/pipelines" > "$tmp/broken.conf"
status=0
"$callboxd" --self-test -c "$tmp/broken.conf" > "$tmp/broken.txt" 2>&1 || status=$?
cat "$tmp/broken.txt"
[ "$status" = 1 ] || fail "exit status $status with a missing VP8 element (expected 1)"
expect_row "VP8 encoder" "$tmp/broken.txt" missing "'vp8encnotinstalled' is missing"
expect_row "H.264 for calls" "$tmp/broken.txt" ok
grep -q "^self-test: FAILED" "$tmp/broken.txt" || fail "no FAILED verdict"
echo "self-test.sh: ok"
