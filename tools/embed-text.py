#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Turns a text file into a C header holding it as one string constant, so a
# file installed as data (the D-Bus introspection XML) is also compiled in
# from the same source.   embed-text.py INPUT OUTPUT SYMBOL
import sys

src, out, symbol = sys.argv[1:4]
data = open(src, encoding="utf-8").read()
with open(out, "w", encoding="utf-8") as f:
    f.write("/* Generated from %s by tools/embed-text.py; do not edit. */\n" % src.split("/")[-1])
    f.write("#pragma once\n\nstatic const char %s[] =\n" % symbol)
    for line in data.splitlines(keepends=True):
        esc = line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        f.write('  "%s"\n' % esc)
    f.write("  ;\n")
