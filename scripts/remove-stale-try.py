#!/usr/bin/env python3
"""Removes `try ` where the compiler says nothing inside can throw.

Reads a `swift build` log on stdin, finds "no calls to throwing functions occur within 'try'
expression" warnings and deletes that `try ` (never `try?` or `try!`, whose meaning differs).
Run it repeatedly (after a clean rebuild) until it reports nothing: nested `try`s surface one
level at a time. Used once, when tensor ops stopped throwing.
"""
import re, sys
from collections import defaultdict

pattern = re.compile(r"^(/[^:]+\.swift):(\d+):(\d+): warning: no calls to throwing functions occur within 'try' expression")
edits = defaultdict(set)
for line in sys.stdin:
    m = pattern.match(line)
    if m:
        edits[m.group(1)].add((int(m.group(2)), int(m.group(3))))
removed = 0
for path, places in edits.items():
    lines = open(path, encoding="utf-8").read().split("\n")
    for row, col in sorted(places, key=lambda p: (p[0], -p[1])):
        text = lines[row - 1]
        # Columns count UTF-8 bytes; convert to a character index.
        data = text.encode("utf-8")
        index = len(data[: col - 1].decode("utf-8", errors="ignore"))
        if text[index:index + 4] == "try " :
            lines[row - 1] = text[:index] + text[index + 4:]
            removed += 1
    open(path, "w", encoding="utf-8").write("\n".join(lines))
print(f"removed {removed} stale try in {len(edits)} files", file=sys.stderr)
