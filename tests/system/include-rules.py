#!/usr/bin/env python3
"""Checks every #include in src/ against the table in docs/architecture.md ("What each folder
may include"): which folders of src/ and which libraries each folder may include.

Usage: include-rules.py SOURCE_ROOT   (exit 0: the rules hold; 1: a file breaks them)
       include-rules.py --self-test   (checks that a breaking file is reported)
"""
import re
import sys
import tempfile
from pathlib import Path

# The libraries the table names, and the headers that belong to each. An include that matches
# none of these is a C, C++ or system header, which every folder may use.
LIBRARIES = {
    "GLib": re.compile(r"^(glib\.h|glib-object\.h|glib-unix\.h|glib/|gio/)"),
    "libsoup": re.compile(r"^libsoup/"),
    "GStreamer": re.compile(r"^gst/"),
    "SQLite": re.compile(r"^sqlite3\.h$"),
    "GnuTLS": re.compile(r"^gnutls/"),
    "libqrencode": re.compile(r"^qrencode\.h$"),
    "json-glib": re.compile(r"^json-glib/"),
    "systemd": re.compile(r"^systemd/"),
}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def read_rules(architecture_md):
    """{folder: (allowed project folders or files, allowed libraries)} from the table."""
    text = Path(architecture_md).read_text(encoding="utf-8")
    section = text.split("## What each folder may include", 1)[1].split("\n## ", 1)[0]
    rules = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        folder = cells[0].strip("`").rstrip("/")
        may = {m.strip() for m in cells[2].split(",") if m.strip()}
        libraries = {l.strip() for l in cells[3].split(",") if l.strip()}
        unknown = libraries - LIBRARIES.keys()
        if unknown:
            raise SystemExit(f"{architecture_md}: unknown library {sorted(unknown)} for {folder}/")
        rules[folder] = (may, libraries)
    if not rules:
        raise SystemExit(f"{architecture_md}: no include table found")
    return rules


def check(src, rules):
    """The list of broken rules, as 'FILE:LINE: message', and how many includes were read."""
    problems, seen = [], 0
    for path in sorted(Path(src).rglob("*")):
        if path.suffix not in (".cpp", ".hpp", ".h") or not path.is_file():
            continue
        rel = path.relative_to(src)
        if len(rel.parts) == 1:
            continue  # main.cpp wires everything together
        folder = rel.parts[0]
        if folder not in rules:
            problems.append(f"src/{rel}: folder {folder}/ is not in docs/architecture.md's table")
            continue
        may, libraries = rules[folder]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            seen += 1
            quote, name = m.groups()
            where = f"src/{rel}:{number}"
            if quote == '"':
                target = name.split("/", 1)[0] if "/" in name else name
                if target not in may and name not in may:
                    problems.append(f'{where}: {folder}/ may not include "{name}"')
                continue
            library = next((lib for lib, rx in LIBRARIES.items() if rx.match(name)), None)
            if library and library not in libraries:
                problems.append(f"{where}: {folder}/ may not include <{name}> ({library})")
    return problems, seen


def self_test():
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "docs").mkdir()
        (root / "docs/architecture.md").write_text(
            "## What each folder may include\n\n| folder | holds | may include | libraries |\n"
            "|---|---|---|---|\n| `rooms/` | logic | rooms, protocol | GLib |\n"
            "| `media/` | media | media, server/media-control.hpp | GLib, GStreamer |\n\n## Next\n")
        (root / "src/rooms").mkdir(parents=True)
        (root / "src/media").mkdir()
        (root / "src/rooms/ok.cpp").write_text('#include "rooms/a.hpp"\n#include <vector>\n')
        (root / "src/rooms/bad.cpp").write_text('#include <libsoup/soup.h>\n#include "server/x.hpp"\n')
        (root / "src/media/ok.cpp").write_text('#include "server/media-control.hpp"\n#include <gst/gst.h>\n')
        (root / "src/media/bad.cpp").write_text('#include "server/http-server.hpp"\n')
        problems, seen = check(root / "src", read_rules(root / "docs/architecture.md"))
        expected = [
            'src/media/bad.cpp:1: media/ may not include "server/http-server.hpp"',
            "src/rooms/bad.cpp:1: rooms/ may not include <libsoup/soup.h> (libsoup)",
            'src/rooms/bad.cpp:2: rooms/ may not include "server/x.hpp"',
        ]
        if problems != expected or seen != 7:
            print("include-rules self-test failed:", problems, seen)
            return 1
    print("include-rules self-test: ok")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    root = Path(sys.argv[1])
    if self_test() != 0:
        return 1
    rules = read_rules(root / "docs/architecture.md")
    problems, seen = check(root / "src", rules)
    for p in problems:
        print(p)
    if seen == 0:
        print("include-rules: no #include found under src/")
        return 1
    print(f"include-rules: {seen} includes in {len(rules)} folders checked, {len(problems)} broken")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
