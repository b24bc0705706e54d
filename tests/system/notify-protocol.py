#!/usr/bin/env python3
# System test: callboxd's sd_notify protocol (READY, WATCHDOG, RELOADING on SIGHUP, STOPPING on SIGTERM) on a fake NOTIFY_SOCKET.
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

WATCHDOG_USEC = 2_000_000


def main():
    callboxd = sys.argv[1]
    wrapper = sys.argv[2:]  # e.g. mdwe-exec: run the daemon under the service's W^X filter
    web_dir = os.environ.get("CALLBOX_WEB_DIR", "")
    base = os.environ.get("CALLBOX_TEST_TMP", tempfile.gettempdir())
    with tempfile.TemporaryDirectory(prefix="notify.", dir=base) as tmp:
        sock_path = os.path.join(tmp, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(sock_path)
        config = os.path.join(tmp, "callbox.conf")
        with open(config, "w") as f:
            f.write("# notify-protocol test config\n[media]\nvideo_source = test\n"
                    "audio_source = test\nvideo_sink = fake\naudio_sink = fake\n")
        env = dict(os.environ)
        env.update({
            "NOTIFY_SOCKET": sock_path,
            "WATCHDOG_USEC": str(WATCHDOG_USEC),
            "HOME": tmp,
            "XDG_CACHE_HOME": os.path.join(tmp, "cache"),
            "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
            "XDG_RUNTIME_DIR": tmp,
            "GST_REGISTRY": os.path.join(tmp, "gst-registry.bin"),
        })
        env.pop("WATCHDOG_PID", None)
        args = wrapper + [callboxd, "--config", config, "--no-tls", "--bind", "127.0.0.1",
                          "--port", "0", "--data-dir", os.path.join(tmp, "data")]
        if web_dir:
            args += ["--web-dir", web_dir]
        daemon = subprocess.Popen(args, env=env)
        received = []  # (seconds since start, line)
        start = time.monotonic()

        def wait_for(line, timeout, after=0):
            """Waits for `line` among the messages from index `after` on; returns its index."""
            deadline = time.monotonic() + timeout
            while True:
                for i in range(after, len(received)):
                    if received[i][1] == line:
                        return i
                left = deadline - time.monotonic()
                if left <= 0 or daemon.poll() is not None and not pending():
                    got = [l for _, l in received[after:]]
                    sys.exit(f"FAIL: no {line} within {timeout}s (daemon "
                             f"{'exited ' + str(daemon.returncode) if daemon.poll() is not None else 'running'}); "
                             f"after it got {got}")
                sock.settimeout(min(left, 0.5))
                try:
                    data = sock.recv(4096)
                except socket.timeout:
                    continue
                for l in data.decode(errors="replace").split("\n"):
                    if l:
                        received.append((time.monotonic() - start, l))
                        print(f"{received[-1][0]:7.3f}s  {l}", flush=True)

        def pending():
            sock.setblocking(False)
            try:
                data = sock.recv(4096, socket.MSG_PEEK)
                return bool(data)
            except BlockingIOError:
                return False
            finally:
                sock.setblocking(True)

        try:
            ready = wait_for("READY=1", 30)
            first = wait_for("WATCHDOG=1", WATCHDOG_USEC / 1e6 * 2, ready + 1)
            second = wait_for("WATCHDOG=1", WATCHDOG_USEC / 1e6 * 2, first + 1)
            gap = received[second][0] - received[first][0]
            print(f"watchdog pings {gap:.2f}s apart (WATCHDOG_USEC={WATCHDOG_USEC})")
            if gap > WATCHDOG_USEC / 1e6:
                sys.exit(f"FAIL: watchdog pings {gap:.2f}s apart, more than the whole period")
            daemon.send_signal(signal.SIGHUP)
            reloading = wait_for("RELOADING=1", 10, second + 1)
            wait_for("READY=1", 10, reloading + 1)
            daemon.send_signal(signal.SIGTERM)
            wait_for("STOPPING=1", 10, len(received))
            try:
                code = daemon.wait(timeout=15)
            except subprocess.TimeoutExpired:
                sys.exit("FAIL: callboxd still runs 15s after SIGTERM")
            if code != 0:
                sys.exit(f"FAIL: callboxd exited {code} after SIGTERM, not 0")
            print("ok: READY, WATCHDOG x2, RELOADING → READY on SIGHUP, STOPPING and exit 0 on SIGTERM")
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()


if __name__ == "__main__":
    main()
