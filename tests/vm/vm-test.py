#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The vm suite: the real daemon against a real kernel under QEMU (TCG).

    vm-test.py CASE

boots the kernel from $IHW_KERNEL_DIR (kernel-patches/build.sh's output:
bzImage-{unpatched,patched}, selftests-{unpatched,patched}/) with a vIOMMU
and QEMU's `edu` test device, a busybox initramfs (tests/vm/init) and the
host's root shared read-only over 9p, so the guest runs the daemon, the CLI
and dbus-daemon of this very build.  tests/vm/guest.sh gathers the kernel's
and the daemon's answers in the guest; this script checks them and prints
every check with the values it compared.  A missing kernel is a failure,
not a skip: CI builds it.
"""
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

# name -> (guest.sh CASE, kernel, vIOMMU device or None, extra kernel args)
INTEL = "intel-iommu,intremap=on"
# QEMU's host aw-bits the daemon must learn from the guest kernel's IOVA
# ranges: intel-iommu's aw-bits (48, QEMU 10.0's default, unless given).
AW_BITS = re.compile(r"aw-bits=(\d+)")
# amd-iommu needs intremap=off, and then MSIs are not isolated: iommufd
# refuses the bind without allow_unsafe_interrupts (EPERM).
AMD = "amd-iommu,intremap=off"
AMD_ARGS = ["iommufd.allow_unsafe_interrupts=1"]
CASES = {}
for k in ("unpatched", "patched"):
    CASES[f"intel-legacy-{k}"] = ("probe", k, INTEL + ",aw-bits=48", [])
    CASES[f"intel-sm-{k}"] = ("probe", k, INTEL + ",x-scalable-mode=on", [])
    CASES[f"intel-flts-{k}"] = ("probe", k, INTEL + ",x-scalable-mode=on,x-flts=on", [])
    CASES[f"amd-{k}"] = ("probe", k, AMD, AMD_ARGS)
    # The mock device of IOMMUFD_TEST is claimed by a real vIOMMU driver:
    # the selftests run without one.
    CASES[f"selftests-{k}"] = ("selftests", k, None, [])
# a 39-bit vIOMMU: QEMU 9.1+ refuses aw-bits=48 behind it ("aw-bits 48 >
# host aw-bits 39"); one kernel is enough, the IOVA ranges are 6.6's
CASES["intel-aw39-patched"] = ("probe", "patched", INTEL + ",aw-bits=39", [])
CASES["holders"] = ("holders", "patched", INTEL, [])
# Guests that also run the shipped unit's sandbox against their real VFIO and
# iommufd once their own part is done (guest.sh sandbox, judge_sandbox).
SANDBOX_CASES = {"intel-legacy-patched"}

# kernel-patches/README.md: the selftest totals on the patched kernel in a
# guest without a vIOMMU (the unpatched kernel, with its selftest shimmed to
# build: iommufd 164 pass / 26 fail, fail_nth 7 / 0).  The suite fails when
# the patched kernel does worse.
SELFTEST_DOCUMENTED = {
    "iommufd": {"pass": 194, "fail": 0},
    "iommufd_fail_nth": {"pass": 8, "fail": 0},
}

failures = []


def check(ok, what, detail=""):
    print(f"{'PASS' if ok else 'FAIL'}: {what}" + (f" ({detail})" if detail else ""))
    if not ok:
        failures.append(what)
    return ok


def newc(entries):
    """A cpio archive (newc) of (name, mode, data) entries."""
    out = bytearray()
    for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], 1):
        nb = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08x}" for v in (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nb), 0))
        out += hdr.encode() + nb
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def make_initrd(path, src):
    with open(shutil.which("busybox"), "rb") as f:
        bb = f.read()
    if b"ld-linux" in bb[:4096]:
        # nothing but busybox in there: it must not need a dynamic loader
        raise SystemExit("FAIL: busybox is dynamically linked: install busybox-static")
    with open(os.path.join(src, "tests/vm/init"), "rb") as f:
        init = f.read()
    d = 0o040755
    entries = [(n, d, b"") for n in ("bin", "dev", "proc", "sys", "host")]
    entries += [("bin/busybox", 0o100755, bb), ("init", 0o100755, init)]
    with open(path, "wb") as f:
        f.write(newc(entries))


def kernel_dir_problem(kdir):
    if os.environ.get("IHW_KERNEL_PROBLEM"):
        return os.environ["IHW_KERNEL_PROBLEM"]
    if not kdir:
        return ("IHW_KERNEL_DIR is not set: tests/run-all.sh sets it from kernel-patches/build.sh's "
                "last line; run that (or point IHW_KERNEL_DIR at its output) first")
    need = ["bzImage-unpatched", "bzImage-patched", ".complete"] + [
        f"selftests-{k}/{t}" for k in ("unpatched", "patched") for t in ("iommufd", "iommufd_fail_nth")]
    missing = [n for n in need if not os.path.exists(os.path.join(kdir, n))]
    if missing:
        return f"IHW_KERNEL_DIR={kdir} lacks {', '.join(missing)}: kernel-patches/build.sh did not finish"
    return None


def boot(case, kernel, viommu, extra_args, kdir, out, env, extra_params=None):
    src = env["IHW_SRC"]
    params = {"CASE": case, "SRC": src, "DAEMON": env["IHW_DAEMON"], "CTL": env["IHW_CTL"],
              "HOLDER": env["IHW_HOLDER"], "ASK": env["IHW_HWINFO_ASK"], "KTESTS": os.path.join(kdir, f"selftests-{kernel}")}
    params.update(extra_params or {})
    with open(os.path.join(out, "params"), "w") as f:
        f.writelines(f"{k}='{v}'\n" for k, v in params.items())
    initrd = os.path.join(out, "initrd.cpio")
    make_initrd(initrd, src)
    # q35's built-in AHCI has nothing attached (-nodefaults) and, behind
    # amd-iommu, only times out: not probing it saves seconds per boot.
    # no_timer_check: on a loaded host TCG can miss the early timer-IRQ
    # test, and with interrupt remapping that is a panic ("timer doesn't
    # work through Interrupt-remapped IO-APIC"), not a slower boot.
    append = ["console=ttyS0", "quiet", "panic=-1", "printk.devkmsg=on", "rdinit=/init",
              "initcall_blacklist=ahci_pci_driver_init", "no_timer_check"] + extra_args
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", "1G",
           "-machine", "q35,kernel-irqchip=split", "-nodefaults", "-no-reboot", "-display", "none",
           "-nic", "none", "-vga", "none", "-serial", "stdio"]
    if viommu:
        cmd += ["-device", viommu]
    cmd += ["-device", "edu",
            "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
            "-virtfs", f"local,path={out},mount_tag=out,security_model=none,multidevs=remap",
            "-kernel", os.path.join(kdir, f"bzImage-{kernel}"), "-initrd", initrd,
            "-append", " ".join(append)]
    print("$ " + " ".join(cmd))
    start = time.monotonic()
    try:
        # Inside meson's own timeout (tests/vm/meson.build), so QEMU is
        # killed here, with what it printed, rather than orphaned.
        qemu = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=840 if case == "selftests" else 270)
        console = qemu.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        console = (e.stdout or b"").decode(errors="replace") + "\n(QEMU killed: timeout)"
    took = time.monotonic() - start
    print(f"-- console ({took:.1f} s wall):\n{console.rstrip()}")
    log = os.path.join(out, "guest.log")
    if os.path.exists(log):
        print("-- guest.log:")
        print(open(log, errors="replace").read().rstrip())
    facts = {}
    fp = os.path.join(out, "facts")
    if os.path.exists(fp):
        for line in open(fp, errors="replace"):
            k, _, v = line.rstrip("\n").partition("=")
            facts[k] = v
    rc = open(os.path.join(out, "guest.rc")).read().strip() if os.path.exists(os.path.join(out, "guest.rc")) else None
    if not check(rc == "0", "the guest ran its part to the end", f"guest.sh exit {rc}, {took:.1f} s"):
        return None
    dmesg = open(os.path.join(out, "dmesg.txt"), errors="replace").read()
    print("-- guest dmesg, IOMMU lines:")
    print("\n".join(l for l in dmesg.splitlines() if re.search(r"DMAR|AMD-Vi|iommu|vfio", l)))
    bad = [l for l in dmesg.splitlines() if re.search(r"WARNING:|BUG:|Oops|refcount_t:", l)]
    check(not bad, "the guest kernel logged no WARNING/BUG/Oops", "; ".join(bad)[:400])
    return facts


# ---- reading busctl's answers -------------------------------------------------

def busctl_json(text):
    """busctl --json=short output -> its "data" (a list of the reply's values)."""
    try:
        return json.loads(text)["data"]
    except (TypeError, ValueError, KeyError):
        return None


def props(f, key):
    """GetAll's a{sv} under fact `key` -> {name: value}."""
    data = busctl_json(f.get(key))
    return {k: v["data"] for k, v in data[0].items()} if data else {}


def show_answers(f, p):
    """The D-Bus answers as they came, one line each, for the log."""
    for kind in ("Device", "Unit"):
        for k, v in props(f, f"{p}.{kind}").items():
            if k == "HwInfoData":
                v = bytes(v).hex(" ") or "(empty)"
            elif k == "Registers":
                v = " ".join(f"{r}={x:#x}" for r, x in sorted(v.items()))
            print(f"dbus {p}: {kind}.{k} = {v}")
    for key in ("GetHwInfo", "CheckNesting.intel", "CheckNesting.amd", "CheckNesting.intel-aw48"):
        print(f"dbus {p}: {key} = {busctl_json(f.get(f'{p}.{key}'))}")


def daemon_log(out, n):
    p = os.path.join(out, f"daemon-{n}.log")
    return open(p, errors="replace").read() if os.path.exists(p) else ""


def check_clean_log(log, n):
    bad = [l for l in log.splitlines() if re.search(r": (warning|critical|error): ", l)]
    check(not bad, f"daemon-{n}.log has no warning", "; ".join(bad)[:400])


def check_answer(f, p, bdf, want_type, want_source, sysfs):
    """Device answers under prefix p against the guest's sysfs registers."""
    show_answers(f, p)
    dev = props(f, f"{p}.Device")
    unit = props(f, f"{p}.Unit")
    t, src = dev.get("HwInfoType"), dev.get("Source")
    data = bytes(dev.get("HwInfoData") or [])
    hw = busctl_json(f.get(f"{p}.GetHwInfo")) or [None, [], 0, 0, None]
    check(t == want_type, f"{p}: {bdf} HwInfoType {want_type}", f"got {t} ({dev.get('HwInfoTypeName')})")
    check(src == want_source, f"{p}: {bdf} Source {want_source}", f"got {src}")
    check(hw[0] == t and bytes(hw[1]) == data and hw[4] == src, f"{p}: GetHwInfo says the same",
          f"type {hw[0]}, {len(hw[1])} bytes, source {hw[4]}")
    if want_type == 1:
        ok = len(data) >= 24
        flags, _, cap, ecap = struct.unpack_from("<IIQQ", data) if ok else (0, 0, 0, 0)
        check(ok and cap == sysfs["cap"] and ecap == sysfs["ecap"],
              f"{p}: HwInfoData cap/ecap equal the guest's sysfs",
              f"hw_info len {len(data)} flags {flags:#x} cap {cap:#x} ecap {ecap:#x}; "
              f"sysfs cap {sysfs['cap']:#x} ecap {sysfs['ecap']:#x}")
    elif want_type == 4:
        ok = len(data) >= 16
        efr, efr2 = struct.unpack_from("<QQ", data) if ok else (0, 0)
        check(ok and efr == sysfs["efr"] and efr2 == sysfs["efr2"],
              f"{p}: HwInfoData efr/efr2 equal the guest's sysfs",
              f"hw_info len {len(data)} efr {efr:#x} efr2 {efr2:#x}; "
              f"sysfs efr {sysfs['efr']:#x} efr2 {sysfs['efr2']:#x}")
    elif want_type == 0:
        check(len(data) == 0, f"{p}: no HwInfoData", f"{len(data)} bytes")
    regs = unit.get("Registers", {})
    want = {k: v for k, v in sysfs.items() if v >= 0}
    check(regs == want, f"{p}: Unit.Registers equal the guest's sysfs",
          " ".join(f"{k}={v:#x}" for k, v in sorted(regs.items())))
    return dev


def check_unprobed(f, p, bdf):
    """Every other device behind an IOMMU was never probed: the same answer
    on every vendor, its unit's registers from sysfs, no hw_info."""
    objs = busctl_json(f.get(f"{p}.objects"))
    seen = []
    for path, ifaces in (objs[0] if objs else {}).items():
        d = {k: v["data"] for k, v in ifaces.get("io.iommuhwinfo1.Device", {}).items()}
        if d and d["Address"] != bdf and d["Unit"] != "/":
            seen.append(f"{d['Address']} {d['HwInfoType']}/{d['Source']}")
    check(seen and all(s.endswith(" 0/sysfs") for s in seen),
          f"{p}: devices never probed answer type 0 from sysfs", ", ".join(seen))


def check_nesting(f, p, model, verdict, requirements):
    v, reasons = busctl_json(f.get(f"{p}.CheckNesting.{model}")) or (None, [])
    named = {r[1] for r in reasons}
    check(v == verdict and set(requirements) <= named,
          f"{p}: CheckNesting({model}) {verdict} naming {', '.join(requirements)}",
          f"got {v}: " + "; ".join(f"{r[1]} needs {r[2]}, found {r[3]}" for r in reasons))


def sysfs_registers(f):
    """The guest's register files; a missing one reads -1, which nothing equals."""
    s = {"cap": -1, "ecap": -1, "efr": -1, "efr2": -1}
    if "sysfs.cap" in f:
        s["cap"] = int(f["sysfs.cap"], 16)
        s["ecap"] = int(f["sysfs.ecap"], 16)
    if "sysfs.features" in f:
        parts = f["sysfs.features"].split(":")
        s["efr"] = int(parts[0], 16)
        if len(parts) > 1:
            s["efr2"] = int(parts[1], 16)
    return s


def judge_ask(kernel, f):
    """hwinfo-ask: the daemon's type-asking code against what this kernel
    itself answered.  The kernel knows IOMMU_HW_INFO_FLAG_INPUT_TYPE when it
    answers the device's own type asked with the flag; then a refused type
    is "no", and without the flag every answer is "unknown", never "no"."""
    check(f.get("ask.exit") == "0", "hwinfo-ask bound the device and asked", f"exit {f.get('ask.exit')}")
    m = re.match(r"ok type (\d+) len \d+$", f.get("ask.raw.default", ""))
    if not check(m is not None, "the kernel answers IOMMU_GET_HW_INFO without a flag", f.get("ask.raw.default")):
        return
    own = int(m.group(1))
    raw_own = f.get(f"ask.raw.ask.{own}", "")
    knows = raw_own.startswith(f"ok type {own} ")
    print(f"kernel answers: default type {own}; asked for {own}: {raw_own}; asked for 3: {f.get('ask.raw.ask.3')}")
    check(knows == (kernel == "patched"),
          f"the {kernel} kernel {'knows' if kernel == 'patched' else 'refuses'} IOMMU_HW_INFO_FLAG_INPUT_TYPE",
          f"asked for its own type {own}: {raw_own}")
    raw3 = f.get("ask.raw.ask.3", "")
    check(not raw3.startswith("ok type 3 "), "no x86 IOMMU reports TEGRA241_CMDQV", raw3)
    want3 = "yes" if raw3.startswith("ok type 3 ") else "no" if knows else "unknown"
    want_own = "yes" if knows else "unknown"
    for t, want in ((3, want3), (own, want_own)):
        got = f.get(f"ask.class.{t}")
        check(got == want, f"the probe classifies type {t} as {want}, as the kernel answered",
              f"got {got}; kernel: asked for {t}: {f.get(f'ask.raw.ask.{t}')}, for its own type {own}: {raw_own}"
              + (f"; error {f.get(f'ask.class.{t}.error')}" if f.get(f"ask.class.{t}.error") else ""))
        check(f"ask.class.{t}.error" not in f, f"type {t}: no unexpected errno", f.get(f"ask.class.{t}.error", ""))


def check_host_aw_bits(f, p, viommu, out):
    """HostAwBits from the kernel's IOVA ranges, and the aw-bits row of an
    emulated intel vIOMMU asking for 48 judged against it."""
    dev = props(f, f"{p}.Device")
    bits, src = dev.get("HostAwBits"), dev.get("HostAwBitsSource")
    v, reasons = busctl_json(f.get(f"{p}.CheckNesting.intel-aw48")) or (None, [])
    aw = [r for r in reasons if r[1] == "request.aw-bits"]
    shown = "; ".join(f"{r[1]} needs {r[2]}, found {r[3]}" for r in reasons)
    if not viommu.startswith("intel-iommu"):
        check(src == "iommufd IOVA ranges" and isinstance(bits, int) and bits >= 32,
              f"{p}: HostAwBits from iommufd IOVA ranges", f"got {bits} from {src!r}")
        return
    m = AW_BITS.search(viommu)
    want = int(m.group(1)) if m else 48
    if "x-flts=on" in viommu:
        # 6.12 gives an iommufd domain second-stage tables only
        # (intel_iommu_domain_alloc_user), which QEMU's x-flts VT-d (first
        # stage only) lacks: the attach fails, so the kernel's ranges are
        # unknown and the registers speak, saying so.
        log = daemon_log(out, 1)
        check(bits == want and src == "hw_info registers",
              f"{p}: HostAwBits {want} from the hw_info registers (no second stage: no IOAS attach)",
              f"got {bits} from {src!r}")
        check("VFIO_DEVICE_ATTACH_IOMMUFD_PT: Invalid argument; host aw-bits unknown" in log,
              f"{p}: the daemon says why the IOVA ranges are unknown",
              next((l for l in log.splitlines() if "host aw-bits" in l), "no line"))
        return
    check(bits == want and src == "iommufd IOVA ranges",
          f"{p}: HostAwBits {want} from iommufd IOVA ranges (intel-iommu aw-bits={want})",
          f"got {bits} from {src!r}")
    if want < 48:
        check(v == "unsupported" and len(aw) == 1 and aw[0][2] == "host aw-bits >= 48"
              and aw[0][3] == f"{want} (iommufd IOVA ranges)",
              f"{p}: CheckNesting(intel, aw-bits=48, emulated) unsupported naming aw-bits, found {want} from iommufd",
              f"got {v}: {shown}")
    else:
        check(v == "supported" and not aw, f"{p}: CheckNesting(intel, aw-bits=48, emulated) supported, no aw-bits reason",
              f"got {v}: {shown}")


def judge_probe(name, kernel, viommu, f, out):
    bdf = f.get("edu", "?")
    check(bool(f.get("edu")), "the edu device (1234:11e8) is there", bdf)
    sysfs = sysfs_registers(f)
    log = daemon_log(out, 1)
    check("probing through iommufd" in log, "the ready line says it probes through iommufd",
          next((l for l in log.splitlines() if "Ready on" in l), "no ready line"))
    check_clean_log(log, 1)
    judge_ask(kernel, f)
    if name.startswith("intel"):
        dev = check_answer(f, "probe", bdf, 1, "iommufd", sysfs)
        check(dev.get("NestParent") == "no", "probe: NestParent no (the kernel refuses NEST_PARENT)",
              f"got {dev.get('NestParent')}")
        check_nesting(f, "probe", "intel", "unsupported", ["ecap.NEST", "kernel.NEST_PARENT"])
    else:
        own = f.get("sysfs.iommu_functions", "")
        check("1022:" in own, "the amd-iommu's own PCI function has an iommu/ directory", own)
        check("readlink" not in log, "no readlink complaint about it")
        if kernel == "patched":
            check_answer(f, "probe", bdf, 4, "iommufd", sysfs)
        else:
            check_answer(f, "probe", bdf, 0, "sysfs", sysfs)
    check_host_aw_bits(f, "probe", viommu, out)
    check_unprobed(f, "probe", bdf)
    check(f.get("rebind") == "ok", "after the probe the cdev binds again (the daemon released it)", f.get("rebind"))
    check(f.get("daemon-1.exit") == "0", "the daemon stops cleanly on SIGTERM", f"exit {f.get('daemon-1.exit')}")

UDEV_RUN = "'/bin/systemctl --no-block try-restart iommu-hwinfod.service'"


def kernel_config(src):
    """kernel-patches/iommufd.config as {CONFIG_NAME: value}."""
    conf = {}
    for line in open(os.path.join(src, "kernel-patches/iommufd.config")):
        k, eq, v = line.strip().partition("=")
        if eq and k.startswith("CONFIG_"):
            conf[k] = v
    return conf


def judge_sandbox(f, out, src):
    """The shipped unit's sandbox against the real kernel (guest.sh sandbox)."""
    bdf = f.get("edu", "?")
    cdev = f.get("vfio.cdev", "?")
    group = f.get("vfio.group", "?")
    if not check(f.get("sandbox.cgroup") != "failed" and f.get("sandbox.rules") not in (None, "failed"),
                 "sandbox: the unit's device rules resolved and a cgroup-v1 device cgroup took them",
                 f"cgroup {f.get('sandbox.cgroup', 'ok')}, rules {f.get('sandbox.rules')} (guest.log says why)"):
        return
    conf = kernel_config(src)
    for mod, opt in (("iommufd", "CONFIG_IOMMUFD"), ("vfio", "CONFIG_VFIO"), ("vfio_pci", "CONFIG_VFIO_PCI")):
        want = {"y": "builtin", "m": "module"}.get(conf.get(opt), "?")
        check(f.get(f"sandbox.module.{mod}") == want, f"sandbox: {mod} is {want} ({opt}={conf.get(opt)})",
              f"guest: {f.get(f'sandbox.module.{mod}')}")
    if all(f.get(f"sandbox.module.{m}") == "builtin" for m in ("iommufd", "vfio")):
        print("NOTE: iommufd and vfio are built into the guest kernel: nothing can load them after the daemon "
              "started; tested instead: a cdev that appears after the start, and the udev rule on the add "
              "uevents this kernel sends for /dev/iommu and /dev/vfio/vfio")
    majors = {}
    for entry in f.get("sandbox.proc_devices", "").split(";"):
        num, _, name = entry.partition(" ")
        majors.setdefault(name, []).append(num)
    iommu = f.get("sandbox.iommu_node", "?")
    rules = f.get("sandbox.rules", "").split(";")
    print("sandbox: device rules from the unit, resolved in the guest: " + "; ".join(rules))
    want = [f"c {iommu} rw"] + [f"c {m}:* rw" for n in ("vfio", "vfio-dev") for m in majors.get(n, [])]
    check(len(want) == 3 and all(r in rules for r in want),
          "sandbox: the rules allow the guest's real /dev/iommu, vfio and vfio-dev majors",
          f"/proc/devices {f.get('sandbox.proc_devices')}, /dev/iommu {iommu}; wanted {want}")
    misc = majors.get("misc", ["10"])[0]
    check(not any(r.startswith(f"c {misc}:*") for r in rules), "sandbox: no rule opens every misc device")
    check(f.get("sandbox.cdev_at_start") == "absent", f"sandbox: {cdev} did not exist when the daemon started",
          f.get("sandbox.cdev_at_start"))
    check(f.get("sandbox.daemon.cgroup") == "/iommu-hwinfod", "sandbox: the daemon runs in the unit's device cgroup",
          f.get("sandbox.daemon.cgroup"))
    caps = dict(kv.split(":", 1) for kv in f.get("sandbox.daemon.caps", "").split() if ":" in kv)
    check(caps.get("CapEff") == caps.get("CapBnd") == caps.get("CapAmb") == "0000000000000000"
          and caps.get("NoNewPrivs") == "1", "sandbox: the daemon has no capability and no new privileges",
          f.get("sandbox.daemon.caps"))
    check(f.get("sandbox.daemon.own_mount_ns") == "yes", "sandbox: the daemon has its own mount namespace")
    seen = f.get("sandbox.daemon.dev", "").split()
    check("/dev/iommu" in seen and cdev in seen and "/dev/mem" not in seen and "/dev/kmsg" not in seen,
          f"sandbox: its private /dev has /dev/iommu and the late {cdev}, no /dev/mem or /dev/kmsg",
          " ".join(seen))
    log = daemon_log(out, 2)
    for line in log.splitlines():
        if line.startswith("unit-sandbox: "):
            print(line)
    # a build tree in /tmp or /root keeps PrivateTmp= or ProtectHome= off
    # (unit-sandbox-exec.sh says so in the log)
    want = {"run": "ro", "sys": "ro", "proc": "pid",
            "tmp": "shared" if "PrivateTmp(" in log else "empty",
            "root": "shared" if "ProtectHome(" in log else "empty"}
    fs = dict(kv.split("=", 1) for kv in f.get("sandbox.daemon.fs", "").split() if "=" in kv)
    check(fs == want, "sandbox: its file system is the unit's (ProtectSystem=strict, ProtectKernelTunables, "
          "ProcSubset=pid, PrivateTmp, ProtectHome)", f"got {f.get('sandbox.daemon.fs')}, wanted {want}")
    check("probing through iommufd" in log, "sandbox: the daemon opened /dev/iommu under the unit's rules",
          next((l for l in log.splitlines() if "Ready on" in l), "no ready line"))
    check_clean_log(log, 2)
    check_answer(f, "sandbox", bdf, 1, "iommufd", sysfs_registers(f))
    opened = {k[len("sandbox.open."):]: v for k, v in f.items() if k.startswith("sandbox.open.")}
    allowed = ["/dev/iommu", cdev, f"/dev/vfio/{group}", "/dev/null"]
    for n in allowed:
        check(opened.get(n) == "opened", f"sandbox: {n} opens inside the unit's device cgroup", opened.get(n))
    refused = [n for n in opened if n not in allowed]
    check({"/dev/vfio/vfio", "/dev/mem", "/dev/kmsg"} <= set(refused) and all(opened[n] == "EPERM" for n in refused),
          "sandbox: every node outside the allow-list is refused (EPERM)",
          ", ".join(f"{n} {opened[n]}" for n in refused))
    check(f.get("daemon-2.exit") == "0", "sandbox: the daemon stops cleanly on SIGTERM", f"exit {f.get('daemon-2.exit')}")
    judge_udev_rule(f, out, iommu)


def judge_udev_rule(f, out, iommu):
    """70-iommu-hwinfod.rules on the uevents the guest kernel sent."""
    path = os.path.join(out, "uevents.txt")
    text = open(path, errors="replace").read() if os.path.exists(path) else ""
    events = [dict(l.split("=", 1) for l in block.splitlines() if "=" in l) for block in text.split("\n\n")]
    major, _, minor = iommu.partition(":")
    for name, node in (("iommu", {"MAJOR": major, "MINOR": minor}), ("vfio/vfio", {})):
        ev = next((e for e in events if e.get("DEVNAME") == f"/dev/{name}"), {})
        check(ev.get("ACTION") == "add" and ev.get("SUBSYSTEM") == "misc" and
              all(ev.get(k) == v for k, v in node.items()),
              f"udev: the kernel's add uevent for /dev/{name} is misc, {node or 'any minor'}",
              " ".join(f"{k}={v}" for k, v in ev.items()))
    other = f.get("udev.other_misc", "?")
    cdev = f.get("vfio.cdev", "?").rsplit("/", 1)[-1]
    for dev, runs in (("misc.iommu", True), ("misc.vfio", True), (f"misc.{other}", False), (f"vfio-dev.{cdev}", False)):
        run = f.get(f"udev.run.{dev}")
        check(f.get(f"udev.test.{dev}") == "0" and run == (UDEV_RUN if runs else ""),
              f"udev: 70-iommu-hwinfod.rules {'restarts' if runs else 'leaves alone'} the service on add of {dev}",
              f"udevadm test exit {f.get(f'udev.test.{dev}')}, run: {run or '(none)'}")


def judge_holders(f, out):
    bdf = f.get("edu", "?")
    sysfs = sysfs_registers(f)
    log1 = daemon_log(out, 1)
    check(f.get("held.iommufd") == "ok", "a process holds the cdev through its own iommufd")
    check(f.get("held.iommufd.enable", "0").isdigit() and int(f["held.iommufd.enable"]) > 0,
          "the held device is enabled (PCI enable count)", f.get("held.iommufd.enable"))
    check_answer(f, "held_iommufd", bdf, 0, "sysfs", sysfs)
    check(f"{bdf}: in use through another iommufd (VFIO cdev), not probed; answering from its IOMMU unit" in log1,
          "the daemon reports it in use through another iommufd (EINVAL), not as a failure")
    check_answer(f, "free", bdf, 1, "iommufd", sysfs)
    check(f.get("held.group") == "ok", "a process holds it through its legacy VFIO group")
    check_answer(f, "held_group", bdf, 1, "cache", sysfs)
    check(f"{bdf}: in use through a VFIO group (legacy container), not probed; answering from its cached iommufd answer"
          in log1, "the daemon reports it in use through a VFIO group (EBUSY), keeping its cached answer")
    check_clean_log(log1, 1)
    log2 = daemon_log(out, 2)
    ready = next((l for l in log2.splitlines() if "Ready on" in l), "no ready line")
    check("no /dev/iommu" in ready, "without /dev/iommu the ready line says so", ready)
    check_answer(f, "no_iommufd", bdf, 0, "sysfs", sysfs)


def judge_selftests(kernel, f, out):
    check(f.get("nr_hugepages", "0").isdigit() and int(f["nr_hugepages"]) > 0, "hugepages reserved",
          f.get("nr_hugepages"))
    for t, doc in SELFTEST_DOCUMENTED.items():
        m = re.search(r"pass:(\d+) fail:(\d+) xfail:(\d+) xpass:(\d+) skip:(\d+) error:(\d+)", f.get(f"{t}.totals", ""))
        if not check(m is not None, f"{t}: the harness printed its totals", f.get(f"{t}.totals")):
            continue
        p, fl = int(m.group(1)), int(m.group(2))
        print(f"selftest totals ({kernel}) {t}: {m.group(0)} in {f.get(t + '.seconds')} s")
        with open(os.path.join(out, f"{t}.tap"), errors="replace") as tap:
            failed = [l.split(None, 3)[-1].rstrip() for l in tap if l.startswith("not ok")]
        if failed:
            print(f"  failed: {', '.join(failed)}")
        if kernel == "patched":
            check(p >= doc["pass"] and fl <= doc["fail"], f"{t}: not worse than kernel-patches/README.md",
                  f"pass {p} (documented {doc['pass']}), fail {fl} (documented {doc['fail']})")


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print(f"usage: vm-test.py {{{','.join(CASES)}}}", file=sys.stderr)
        return 64
    # meson's SIGTERM unwinds through subprocess.run, which kills QEMU.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    name = sys.argv[1]
    case, kernel, viommu, extra = CASES[name]
    env = os.environ
    kdir = env.get("IHW_KERNEL_DIR", "")
    problem = kernel_dir_problem(kdir)
    if problem:
        print(f"FAIL: {problem}")
        return 1
    if not shutil.which("busybox") or not shutil.which("qemu-system-x86_64"):
        print("FAIL: needs busybox (busybox-static) and qemu-system-x86_64 (tools/install-deps.sh installs them)")
        return 1
    version = os.path.join(kdir, "source-version")
    print(f"kernel {kdir}/bzImage-{kernel}, linux-source-6.12 "
          f"{open(version).read().strip() if os.path.exists(version) else '(version unknown)'}")
    out = os.path.join(env["IHW_VM_OUT"], name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    facts = boot(case, kernel, viommu, extra, kdir, out, env,
                 {"SANDBOX": "1"} if name in SANDBOX_CASES else None)
    if facts is None:
        print(f"{name}: FAILED: the guest did not get through (console above)")
        return 1
    if facts.get("kernel"):
        print(f"guest kernel {facts['kernel']}")
    if case == "probe":
        judge_probe(name, kernel, viommu, facts, out)
        if name in SANDBOX_CASES:
            judge_sandbox(facts, out, env["IHW_SRC"])
    elif case == "holders":
        judge_holders(facts, out)
    else:
        judge_selftests(kernel, facts, out)
    print(f"{name}: {'FAILED: ' + '; '.join(failures) if failures else 'all checks passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
