#!/usr/bin/env bash
# Package test: builds the .deb from a copy of the source tree and checks what it installs and runs on install.
# A cross build (board/arm64/build): CALLBOX_DEB_ARCH=arm64 with CALLBOX_SYSROOT and
# DH_MESON_CROSS_FILE from board/arm64/make-sysroot, CALLBOX_RUN the command that runs an arm64
# program here (qemu-aarch64-static -L SYSROOT); CALLBOX_DEB_WORK=DIR builds in DIR and keeps it.
set -euo pipefail
src=$1
command -v dpkg-buildpackage >/dev/null || { echo "dpkg-buildpackage missing (dpkg-dev)"; exit 77; }
command -v dh >/dev/null || { echo "debhelper missing"; exit 77; }
native_arch=$(dpkg --print-architecture)
arch=${CALLBOX_DEB_ARCH:-$native_arch}
if [ -n "${CALLBOX_DEB_WORK:-}" ]; then
  work=$CALLBOX_DEB_WORK
  rm -rf "$work"
  mkdir -p "$work"
else
  work=$(mktemp -d "${CALLBOX_TEST_TMP:-/tmp}/deb.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

# A clean copy: tracked and new files, none of the build dirs or node_modules.
mkdir "$work/callbox"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$src" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - 2>/dev/null) |
    tar -xf - -C "$work/callbox"
else
  tar -C "$src" --exclude=./build --exclude='./build-*' --exclude=node_modules --exclude=.git \
    --exclude='./obj-*' --exclude=./debian/callbox -cf - . | tar -xf - -C "$work/callbox"
fi
cd "$work/callbox"
cross=()
if [ "$arch" != "$native_arch" ]; then
  # The build dependencies are in the sysroot, not in this host's dpkg database.
  cross=(-a"$arch" -d)
elif ! missing=$(dpkg-checkbuilddeps -Pnocheck 2>&1); then
  echo "$missing"
  echo "cannot build the package here: build dependencies missing"
  exit 77
fi
jobs=$(nproc 2>/dev/null || echo 2)
if ! DEB_BUILD_OPTIONS="nocheck parallel=$jobs" dpkg-buildpackage -us -uc -b -Pnocheck "${cross[@]}" \
    >"$work/build.log" 2>&1; then
  tail -n 60 "$work/build.log"
  echo "FAIL: dpkg-buildpackage failed"
  exit 1
fi
deb=$(ls "$work"/callbox_*.deb)
echo "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
# CALLBOX_DEB_OUT=DIR keeps a copy of the package (the work dir is removed).
if [ -n "${CALLBOX_DEB_OUT:-}" ]; then cp "$deb" "$CALLBOX_DEB_OUT/"; fi

contents=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|')
fail=0
expect() {
  if grep -qxE "$1" <<<"$contents"; then echo "ok: $1"; else echo "MISSING: $1"; fail=1; fi
}
expect '/usr/sbin/callboxd'
expect '/usr/share/callbox/web/index.html'
expect '/usr/share/callbox/web/app.js'
expect '/usr/share/callbox/pipelines/video-source-v4l2.pipeline'
expect '/usr/share/callbox/pipelines/video-encoder-v4l2h264.pipeline'
expect '(/usr)?/lib/systemd/system/callbox.service'
expect '/usr/lib/sysusers.d/callbox.conf'
expect '/usr/lib/tmpfiles.d/callbox.conf'
expect '/usr/share/callbox/boards/rpi4.conf'
expect '/usr/share/callbox/boards/rpi5.conf'
expect '/usr/share/callbox/boards/x86-dev.conf'
expect '/etc/callbox/callbox.conf'
expect '/etc/callbox/conf.d/'
expect '/etc/avahi/services/callbox.service'
expect '/usr/share/doc/callbox/deployment.md(.gz)?' # dh_compress gzips longer docs

ctl="$work/control"
dpkg-deb -e "$deb" "$ctl"
check() {
  if grep -qE "$2" "$ctl/$1"; then echo "ok: $1 has $2"; else echo "MISSING: $1 lacks $2"; fail=1; fi
}
check conffiles '^/etc/callbox/callbox.conf$'
check conffiles '^/etc/avahi/services/callbox.service$'
check postinst 'systemd-sysusers'
check postinst 'deb-systemd-helper.*enable.*callbox.service'
check postinst 'systemd-tmpfiles'
check prerm 'callbox.service'
check control '^Depends:.*gstreamer1.0-plugins-good'
check control '^Recommends:.*avahi-daemon'
check control "^Architecture: $arch\$"
check control '^Depends:.*libsoup-3\.0-0' # dpkg-shlibdeps found the libraries' packages

# The unit in the package names the installed paths.
unit_dir=$work/unpacked
dpkg-deb -x "$deb" "$unit_dir"
unit=
for u in "$unit_dir"/lib/systemd/system/callbox.service "$unit_dir"/usr/lib/systemd/system/callbox.service; do
  [ -f "$u" ] && unit=$u
done
if grep -qx 'ExecStart=/usr/sbin/callboxd --config /etc/callbox/callbox.conf' "$unit"; then
  echo "ok: ExecStart=/usr/sbin/callboxd --config /etc/callbox/callbox.conf"
else
  grep '^ExecStart' "$unit"; echo "FAIL: unexpected ExecStart"; fail=1
fi
# The daemon is a program for the package's architecture.
machine=$(LC_ALL=C readelf -h "$unit_dir/usr/sbin/callboxd" | sed -n 's/^ *Machine: *//p')
case "$arch:$machine" in
  amd64:*X86-64 | arm64:AArch64) echo "ok: callboxd is an ELF program for $machine" ;;
  amd64:* | arm64:*) echo "FAIL: callboxd is for '$machine', not $arch"; fail=1 ;;
  *) echo "callboxd: ELF machine $machine ($arch not checked)" ;;
esac
# Every shipped config passes the shipped daemon's own check.
for f in "$unit_dir"/etc/callbox/callbox.conf "$unit_dir"/usr/share/callbox/boards/*.conf; do
  ${CALLBOX_RUN:-} "$unit_dir/usr/sbin/callboxd" --check-config "$f" || fail=1
done
exit $fail
