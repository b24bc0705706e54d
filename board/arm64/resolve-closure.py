#!/usr/bin/env python3
# Resolves the arm64 dependency closure of some packages from apt's index (apt-cache dumpavail), without apt's installer.
"""Usage: apt-cache dumpavail | resolve-closure.py ARCH SKIP_REGEX PACKAGE...

Prints "name:arch=version" for every package of ARCH (or "all") that PACKAGE... need through
Depends and Pre-Depends, the first alternative that exists winning. Packages whose name matches
SKIP_REGEX are left out together with what only they pull in: a sysroot needs headers, .pc
files and shared libraries, not an interpreter or a package manager. A PACKAGE written NAME!
is taken without its dependencies (a plugin package whose other plugins' libraries are not
wanted: the caller lists the libraries it needs). apt's own solver cannot
do this for a foreign architecture on this host: it wants the whole closure installable next
to the amd64 system, and e.g. python3:arm64 is not (libsoup-3.0-dev -> gobject-introspection).
"""
import os
import re
import sys


def records(stream):
    rec = {}
    key = None
    for line in stream:
        line = line.rstrip("\n")
        if not line:
            if rec:
                yield rec
            rec, key = {}, None
        elif line[0] in " \t":
            if key:
                rec[key] += "\n" + line
        else:
            key, _, value = line.partition(":")
            rec[key] = value.strip()
    if rec:
        yield rec


def alternatives(field):
    """'a (>= 1) | b, c:any' -> [['a', 'b'], ['c']] (versions and arch qualifiers dropped)."""
    out = []
    for group in field.split(","):
        names = [re.sub(r"\s*[(\[<].*$", "", alt.strip()).split(":")[0] for alt in group.split("|")]
        names = [n for n in names if n]
        if names:
            out.append(names)
    return out


def main():
    arch, skip = sys.argv[1], re.compile(sys.argv[2])
    roots = sys.argv[3:]
    real, provides = {}, {}
    for rec in records(sys.stdin):
        if rec.get("Architecture") not in (arch, "all"):
            continue
        name = rec["Package"]
        real.setdefault(name, rec)
        for group in alternatives(rec.get("Provides", "")):
            provides.setdefault(group[0], []).append(name)

    bare = {r[:-1] for r in roots if r.endswith("!")}
    chosen, queue, missing, parent = {}, [r.rstrip("!") for r in roots], [], {}

    def pick(names):
        """The first alternative that exists, preferring one already chosen."""
        for n in names:
            if n in chosen or any(p in chosen for p in provides.get(n, [])):
                return None
        for n in names:
            if n in real:
                return n
            if n in provides:
                return sorted(provides[n])[0]
        return False

    while queue:
        name = queue.pop(0)
        if name in chosen:
            continue
        if name not in real:
            missing.append(name)
            continue
        rec = chosen[name] = real[name]
        if name in bare:
            continue
        for field in ("Pre-Depends", "Depends"):
            for group in alternatives(rec.get(field, "")):
                if all(skip.fullmatch(n) for n in group):
                    continue
                target = pick([n for n in group if not skip.fullmatch(n)])
                if target is False:
                    missing.append(" | ".join(group))
                elif target and not skip.fullmatch(target):
                    queue.append(target)
                    parent.setdefault(target, name)
    if missing:
        sys.exit(f"resolve-closure: no {arch} package for: {', '.join(sorted(set(missing)))}")
    for name in sorted(chosen):
        rec = chosen[name]
        why = f"  # from {parent[name]}" if os.environ.get("RESOLVE_WHY") and name in parent else ""
        print(f"{name}:{rec['Architecture']}={rec['Version']}{why}")


if __name__ == "__main__":
    main()
