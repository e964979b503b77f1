#!/usr/bin/env python3
"""Every command, option and exit code of the programs, and every
configuration key they read, is in its man page.

The lists come from the programs themselves: the commands from
`iommu-hwinfoctl --help`, each command's options from `COMMAND --help`, the
daemon's from `iommu-hwinfod --help`, exit codes from the help text, and
configuration keys from the sources' GKeyFile reads.

    check-man.py SOURCE_DIR IOMMU_HWINFOCTL IOMMU_HWINFOD
"""
import os
import re
import subprocess
import sys

src, ctl, daemon = sys.argv[1:4]
doc = os.path.join(src, "doc")
failures = []
checked = 0


def page(name):
    with open(os.path.join(doc, name + ".scd"), encoding="utf-8") as f:
        return f.read()


def helptext(*argv):
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, LC_ALL="C.UTF-8"))
    if r.returncode != 0:
        failures.append(f"{' '.join(argv)} exited {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def options(text):
    """Long and short options of a GOptionContext --help (or our own usage)."""
    return sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?=[\s,=\]|]|$)", text)))


def expect(what, text, needle_re, where):
    global checked
    checked += 1
    if not re.search(needle_re, text):
        failures.append(f"{where}: {what} is not documented")


def section(text, title):
    # Headings are upper case; "# command" lines in examples are not headings.
    m = re.search(rf"^# {re.escape(title)}\n(.*?)(?=^# [A-Z][A-Z ]*$|\Z)", text, re.S | re.M)
    return m.group(1) if m else ""


# --- iommu-hwinfoctl(1) ------------------------------------------------------
ctl_page = page("iommu-hwinfoctl.1")
top = helptext(ctl, "--help")
commands = re.findall(r"^  ([a-z][a-z-]+)\s", top, re.M)
if len(commands) < 5:
    failures.append(f"could not read the commands from {ctl} --help: {commands}")
cmd_section = section(ctl_page, "COMMANDS")
for cmd in commands:
    # A command is documented where it is introduced: "*cmd*" opening a
    # paragraph of COMMANDS.
    expect(f"command '{cmd}'", cmd_section, rf"(?m)^\*{re.escape(cmd)}\*", "iommu-hwinfoctl.1 COMMANDS")
    for opt in options(helptext(ctl, cmd, "--help")):
        if opt in ("-h", "--help"):
            continue
        expect(f"option '{opt}' of '{cmd}'", ctl_page, rf"\*{re.escape(opt)}\*", "iommu-hwinfoctl.1")
for opt in options(top.split("Commands:", 1)[0]) + ["--version", "--json", "--help"]:
    expect(f"global option '{opt}'", section(ctl_page, "GLOBAL OPTIONS"), rf"\*{re.escape(opt)}\*",
           "iommu-hwinfoctl.1 GLOBAL OPTIONS")
exit_codes = sorted(set(re.findall(r"\b(\d{1,3}) [a-z]", top.split("Exit status", 1)[-1])), key=int)
if len(exit_codes) < 5:
    failures.append(f"could not read the exit codes from {ctl} --help: {exit_codes}")
for code in exit_codes:
    expect(f"exit status {code}", section(ctl_page, "EXIT STATUS"), rf"\*{code}\*", "iommu-hwinfoctl.1 EXIT STATUS")
examples = section(ctl_page, "EXAMPLES")
expect("an EXAMPLES section", ctl_page, r"(?m)^# EXAMPLES$", "iommu-hwinfoctl.1")
for cmd in commands:
    expect(f"an example of '{cmd}'", examples, rf"(?m)^[$#] iommu-hwinfoctl (--json )?{re.escape(cmd)}\b",
           "iommu-hwinfoctl.1 EXAMPLES")

# --- iommu-hwinfod(8) ---------------------------------------------------------
d_page = page("iommu-hwinfod.8")
d_opts = [o for o in options(helptext(daemon, "--help")) if o not in ("-h", "--help")]
if len(d_opts) < 4:
    failures.append(f"could not read the options from {daemon} --help: {d_opts}")
for opt in d_opts:
    expect(f"option '{opt}'", section(d_page, "OPTIONS"), rf"\*{re.escape(opt)}\*", "iommu-hwinfod.8 OPTIONS")

# --- configuration keys -------------------------------------------------------
# Every GKeyFile read with a literal group and key, and helpers called with
# the key file and a literal key (the group is then the file's only group).
pages_for_group = {
    "daemon": ("iommu-hwinfod.conf.5", "iommu-hwinfod.conf.example"),
    "nfd": ("iommu-hwinfod.conf.5", "iommu-hwinfod.conf.example"),
    "hook": ("iommu-hwinfo-libvirt-hook.8", "../client/hook.conf"),
}
keys = {}
for sub in ("daemon", "client"):
    for root, _dirs, files in os.walk(os.path.join(src, sub)):
        for fn in files:
            if not fn.endswith(".c"):
                continue
            text = open(os.path.join(root, fn), encoding="utf-8").read()
            pairs = re.findall(r"g_key_file_\w+\s*\(\s*\w+\s*,\s*\"([a-z]+)\"\s*,\s*\"([a-z0-9-]+)\"", text)
            groups = {g for g, _ in pairs} | set(re.findall(r"g_key_file_get_keys\s*\(\s*\w+\s*,\s*\"([a-z]+)\"", text))
            for g, k in pairs:
                keys.setdefault(g, set()).add(k)
            if len(groups) == 1:
                (g,) = groups
                for k in re.findall(r"\w+\s*\(\s*kf\s*,\s*\"([a-z][a-z0-9-]*)\"\s*,\s*[^\"\s]", text):
                    if k != g:
                        keys.setdefault(g, set()).add(k)
                # A table of accepted keys (unknown ones are warned about).
                for table in re.findall(r"known\[\]\s*=\s*\{([^}]*)\}", text):
                    keys.setdefault(g, set()).update(re.findall(r"\"([a-z0-9-]+)\"", table))
for group, minimum in (("daemon", 5), ("hook", 7)):
    if len(keys.get(group, ())) < minimum:
        failures.append(f"found only {sorted(keys.get(group, ()))} as [{group}] keys in the sources")
for group in sorted(keys):
    if group not in pages_for_group:
        failures.append(f"[{group}] keys {sorted(keys[group])} are read but no man page is known for the group")
        continue
    man, example = pages_for_group[group]
    man_text = page(man)
    example_text = open(os.path.join(doc, example), encoding="utf-8").read()
    expect(f"[{group}]", man_text, rf"\[{group}\]", man)
    for k in sorted(keys[group]):
        # Documented as a definition: "*key=*..." at the start of a line.
        expect(f"[{group}] key '{k}'", man_text, rf"(?m)^\*{re.escape(k)}=\*", man)
        expect(f"[{group}] key '{k}' (commented out at its default)", example_text,
               rf"(?m)^#{re.escape(k)}=", example)

for f in failures:
    print("FAIL:", f)
print(f"{checked} items checked, {len(failures)} missing")
sys.exit(1 if failures else 0)
