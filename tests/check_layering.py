#!/usr/bin/env python3
"""check_layering.py SOURCE_DIR: the include rules of docs/architecture.md.

- model/: a layer includes only the layers below it
  (core -> io -> {checkpoint, nets, data} -> facade -> train);
- model/ and analysis/ include no Qt header;
- analysis/ includes nothing of app/;
- a test includes a private header of model/src only when it says it is a white-box test.
Prints every violation with file and line; exit status 1 when there is one.
"""
import os
import re
import sys

BELOW = {
    "core": {"core"},
    "io": {"core", "io"},
    "checkpoint": {"core", "io", "checkpoint"},
    "nets": {"core", "io", "nets"},
    "data": {"core", "io", "data"},
    "facade": {"core", "io", "checkpoint", "nets", "data", "facade"},
    "train": {"core", "io", "checkpoint", "nets", "data", "facade", "train"},
}
LAYERS = set(BELOW) - {"facade"}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


def layer_of_path(rel):
    """The layer of a file under model/src or model/include/ringscope/model."""
    for prefix in ("model/src/", "model/include/ringscope/model/"):
        if rel.startswith(prefix):
            first = rel[len(prefix):].split("/")[0]
            return first if first in LAYERS else "facade"
    return None


def layer_of_include(target):
    if target.startswith("ringscope/model/"):
        first = target[len("ringscope/model/"):].split("/")[0]
        return first if first in LAYERS else "facade"
    first = target.split("/")[0]
    return first if first in LAYERS and "/" in target else None


def sources(root, top):
    for d, _, names in os.walk(os.path.join(root, top)):
        for n in names:
            if n.endswith((".h", ".cpp")):
                path = os.path.join(d, n)
                yield path, os.path.relpath(path, root).replace(os.sep, "/")


def main():
    root = sys.argv[1]
    problems = []
    for top in ("model", "analysis", "tests"):
        for path, rel in sources(root, top):
            text = open(path, encoding="utf-8").read()
            white_box = "White-box" in text or "white-box" in text
            for number, line in enumerate(text.splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = m.group(2)
                where = f"{rel}:{number}: {line.strip()}"
                if top in ("model", "analysis") and re.match(r"Q[A-Za-z]|qcustomplot", target):
                    problems.append(f"{where}: Qt in {top}/")
                if top == "analysis" and target.split("/")[0] in ("gui", "cli", "plots", "export"):
                    problems.append(f"{where}: analysis/ includes app/")
                if top == "model":
                    mine, theirs = layer_of_path(rel), layer_of_include(target)
                    if mine and theirs and theirs not in BELOW[mine]:
                        problems.append(f"{where}: {mine} may not include {theirs}")
                if top == "tests" and m.group(1) == '"' and layer_of_include(target) and \
                        not target.startswith("ringscope/") and not white_box:
                    problems.append(f"{where}: a private header of model/src in a test that does not say it is white-box")
    for p in problems:
        print(p)
    print(f"layering: {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
