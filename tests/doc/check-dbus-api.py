#!/usr/bin/env python3
"""doc/dbus-api.md documents dbus/io.iommuhwinfo1.xml: every method with its
exact signature and a `busctl call` whose signature matches the XML, every
property with its type and a `busctl get-property` naming it, every signal
(the XML's own and the standard ones the daemon emits) with a `busctl
monitor` match, and every error (the XML's list and the error table in
common/) with a busctl example.  Nothing is documented that the XML does
not have.

    check-dbus-api.py SOURCE_DIR
"""
import os
import re
import shlex
import sys
import xml.etree.ElementTree as ET

src = sys.argv[1]
xml_path = os.path.join(src, "dbus", "io.iommuhwinfo1.xml")
doc_text = open(os.path.join(src, "doc", "dbus-api.md"), encoding="utf-8").read()
failures = []
checked = 0

# Signals of the standard interfaces the daemon emits, with the D-Bus
# specification's argument names (SPEC §4: Properties on
# every object, ObjectManager on the root); the XML does not repeat them.
STANDARD_SIGNALS = {
    "org.freedesktop.DBus.ObjectManager": [
        ("InterfacesAdded", [("object_path", "o"), ("interfaces_and_properties", "a{sa{sv}}")]),
        ("InterfacesRemoved", [("object_path", "o"), ("interfaces", "as")]),
    ],
    "org.freedesktop.DBus.Properties": [
        ("PropertiesChanged", [("interface_name", "s"), ("changed_properties", "a{sv}"),
                               ("invalidated_properties", "as")]),
    ],
}


def fail(msg):
    failures.append(msg)


def ok(cond, msg):
    global checked
    checked += 1
    if not cond:
        fail(msg)


def sections(text, level):
    """{heading: body} for headings of exactly `level` #s."""
    out = {}
    parts = re.split(rf"(?m)^({'#' * level} .*)$", text)
    for i in range(1, len(parts), 2):
        out[parts[i][level + 1:].strip()] = parts[i + 1]
    return out


def busctl_commands(text):
    """Every `busctl ...` command line in code blocks, continuations joined,
    as argument lists."""
    cmds = []
    for block in re.findall(r"```\n(.*?)```", text, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.strip()
            line = re.sub(r"^\$ (sudo )?", "", line)
            if line.startswith("busctl "):
                cmds.append(shlex.split(line))
    return cmds


def positional(argv):
    return [a for a in argv[1:] if not a.startswith("-")]


tree = ET.parse(xml_path)
interfaces = tree.getroot().findall("interface")
ok(len(interfaces) >= 3, f"{xml_path}: only {len(interfaces)} interfaces")
h2 = sections(doc_text, 2)
all_cmds = busctl_commands(doc_text)

for iface in interfaces:
    name = iface.get("name")
    body = next((b for h, b in h2.items() if h.split()[0] == name), None)
    if body is None:
        fail(f"no '## {name}' section")
        continue
    h3 = sections(body, 3)
    cmds = busctl_commands(body)
    documented_methods = {h.split("(")[0] for h in h3 if "(" in h}
    for m in iface.findall("method"):
        mname = m.get("name")
        ins = [(a.get("name"), a.get("type")) for a in m.findall("arg") if a.get("direction", "in") == "in"]
        outs = [(a.get("name"), a.get("type")) for a in m.findall("arg") if a.get("direction") == "out"]
        sig = f"{mname}({', '.join(f'{t} {n}' for n, t in ins)}) → ({', '.join(f'{t} {n}' for n, t in outs)})"
        ok(sig in h3, f"{name}: no heading '### {sig}'")
        in_sig = "".join(t for _, t in ins)
        calls = [positional(c) for c in cmds if "call" in c]
        calls = [c for c in calls if len(c) >= 5 and c[4] == mname and c[3] == name]
        ok(calls, f"{name}.{mname}: no 'busctl call ... {name} {mname}' example")
        for c in calls:
            got = c[5] if len(c) > 5 else ""
            ok(got == in_sig, f"{name}.{mname}: busctl example uses signature '{got}', the XML '{in_sig}'")
    xml_methods = {m.get("name") for m in iface.findall("method")}
    for extra in documented_methods - xml_methods:
        fail(f"{name}: documents method {extra}, which the XML does not have")

    rows = dict(re.findall(r"(?m)^\| `(\w+)` \| ([^ |]+) \|", body))
    getters = [positional(c) for c in cmds if "get-property" in c]
    for p in iface.findall("property"):
        pname, ptype = p.get("name"), p.get("type")
        ok(rows.get(pname) == ptype, f"{name}.{pname}: table row says type {rows.get(pname)!r}, the XML {ptype!r}")
        ok(any(g[3] == name and pname in g[4:] for g in getters if len(g) > 4),
           f"{name}.{pname}: no 'busctl get-property ... {name} ... {pname}' example")
    for extra in set(rows) - {p.get("name") for p in iface.findall("property")}:
        fail(f"{name}: documents property {extra}, which the XML does not have")

    for sgl in iface.findall("signal"):
        STANDARD_SIGNALS.setdefault(name, []).append(
            (sgl.get("name"), [(a.get("name"), a.get("type")) for a in sgl.findall("arg")]))

signal_body = h2.get("Signals", "")
for iface, signals in STANDARD_SIGNALS.items():
    for sname, args in signals:
        heading = f"### {iface}.{sname}({', '.join(f'{t} {n}' for n, t in args)})"
        ok(heading in doc_text, f"no heading '{heading}'")
        ok(any("monitor" in c and any(f"member='{sname}'" in a and f"interface='{iface}'" in a for a in c)
               for c in all_cmds),
           f"{iface}.{sname}: no 'busctl monitor --match \"...interface='{iface}',member='{sname}'\"' example")

# Errors: the XML's declared list and the error table in common/.
errors = set()
xml_raw = open(xml_path, encoding="utf-8").read()
for group in re.findall(r"io\.iommuhwinfo1\.Error\.\{([^}]*)\}", xml_raw):
    errors |= {e.strip() for e in group.split(",") if e.strip()}
for root, _d, files in os.walk(os.path.join(src, "common")):
    for fn in files:
        if fn.endswith(".c"):
            errors |= set(re.findall(r"\"io\.iommuhwinfo1\.Error\.(\w+)\"", open(os.path.join(root, fn)).read()))
ok(len(errors) >= 7, f"found only {sorted(errors)} as errors")
err_body = h2.get("Errors", "")
blocks = "\n".join(re.findall(r"```\n(.*?)```", err_body, re.S))
for e in sorted(errors):
    ok(re.search(rf"(?m)^\| `io\.iommuhwinfo1\.Error\.{e}` \|", err_body), f"error {e}: no row in the Errors table")
    ok(re.search(rf"(?m)^# {e}: .*\n(#.*\n)*\$ (sudo )?busctl ", blocks),
       f"error {e}: no '# {e}: ...' busctl example in the Errors section")

for f in failures:
    print("FAIL:", f)
print(f"{checked} items checked, {len(failures)} missing")
sys.exit(1 if failures else 0)
