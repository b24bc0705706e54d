#!/usr/bin/env bash
# System test: the GStreamer elements callbox uses run, with orc's JIT, under MemoryDenyWriteExecute's seccomp filter.
set -euo pipefail
mdwe=$1
command -v gst-launch-1.0 >/dev/null || { echo "gst-launch-1.0 missing (gstreamer1.0-tools)"; exit 77; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
work=$(mktemp -d "${CALLBOX_TEST_TMP:-/tmp}/mdwe.XXXXXX")
trap 'rm -rf "$work"' EXIT
# As under the unit: HOME is the (writable) state dir, no XDG_RUNTIME_DIR, a private registry.
export HOME=$work XDG_CACHE_HOME=$work/cache GST_REGISTRY=$work/registry.bin
unset XDG_RUNTIME_DIR TMPDIR

# The filter itself: W+X memory must be refused, or the rest proves nothing.
"$mdwe" python3 - <<'PY'
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
p = libc.mmap(None, 4096, 7, 0x22, -1, 0)  # PROT_READ|WRITE|EXEC, MAP_PRIVATE|ANONYMOUS
if p not in (None, 2**64 - 1):
    sys.exit("FAIL: the filter let a W+X mapping through")
print("filter: a W+X mmap is refused with EPERM")
PY

# The capture and encode elements of pipelines/ (test sources, no devices), orc on.
pipeline="videotestsrc num-buffers=60 ! video/x-raw,format=I420,width=640,height=360,framerate=30/1
  ! videoconvert ! video/x-raw,format=BGRx ! videoscale ! video/x-raw,width=320,height=180
  ! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast ! fakesink
  audiotestsrc num-buffers=50 ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1
  ! volume volume=0.5 ! opusenc ! fakesink"
if ! ORC_DEBUG=4 "$mdwe" gst-launch-1.0 -q $pipeline >"$work/log" 2>&1; then
  tail -n 30 "$work/log"
  echo "FAIL: the pipeline failed under the filter"
  exit 1
fi
compiled=$(grep -c "finished compiling (success)" "$work/log" || true)
if grep -qiE "Failed to create write and exec|ORC: ERROR" "$work/log"; then
  grep -iE "Failed to create write and exec|ORC: ERROR" "$work/log" | head
  echo "FAIL: orc could not get executable memory under the filter"
  exit 1
fi
if [ "$compiled" -eq 0 ]; then
  grep -E "^ORC" "$work/log" | head -n 20 || true
  echo "orc compiled nothing here (no JIT for this CPU?): cannot tell"
  exit 77
fi
echo "ok: $compiled orc programs compiled and ran under MemoryDenyWriteExecute"
