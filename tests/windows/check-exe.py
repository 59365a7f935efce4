#!/usr/bin/env python3
"""Checks what ywx.exe printed under wine in a Chinese locale (code page 936),
with its output redirected to files (ci/windows.sh, run_exe):

  exe-version.*             ywx.exe --version: "ywx VERSION", exit 0
  exe-check-CASE-json.*     ywx.exe --config check-CASE.json check --json
  exe-check-CASE-text.*     ywx.exe --config check-CASE.json check

for CASE good, secret, closed, domain: the diagnosis (failedStep null,
credentials, tcp, dns), the exit status (0 only for good), four different
verdicts, and the bytes: GBK (what cmd.exe's `type`, Notepad and a script on a
Chinese PC read), CR LF line ends, the ✓ that GBK lacks written as √.

  exe-pty.out               `check` of the domain config on a terminal
                            (script(1)): the console path, Unicode to the
                            console (wine writes it to the pty as UTF-8), ✓ ✗
                            as √ × since code page 936 lacks them

  tests/windows/check-exe.py FOLDER VERSION
"""
import json
import os
import sys

folder, version = sys.argv[1], sys.argv[2]
name = os.path.basename(folder.rstrip("/"))
failures = []


def fail(msg):
    failures.append(msg)


def read(stem):
    with open(os.path.join(folder, "exe-%s.out" % stem), "rb") as f:
        out = f.read()
    with open(os.path.join(folder, "exe-%s.err" % stem), "rb") as f:
        err = f.read()
    with open(os.path.join(folder, "exe-%s.rc" % stem)) as f:
        rc = int(f.read().strip())
    return out, err, rc


def gbk(stem, raw):
    """The bytes as strict GBK (code page 936), or a failure."""
    try:
        return raw.decode("gbk")
    except UnicodeDecodeError as e:
        fail("%s: not GBK (%s): %r" % (stem, e, raw[:200]))
        return raw.decode("gbk", "replace")


out, err, rc = read("version")
if rc != 0 or out != ("ywx %s\r\n" % version).encode():
    fail("--version: exit %d, %r (want 'ywx %s' CR LF) %r" % (rc, out, version, err))

CASES = {
    # case: (failedStep, exit status, words in the JSON)
    "good": (None, 0, "配置正确，网关可用"),
    "secret": ("credentials", 1, "clientSecret"),
    "closed": ("tcp", 1, "拒绝连接"),
    "domain": ("dns", 1, "无法解析"),
}
verdicts = []
for case, (step, want_rc, words) in CASES.items():
    stem = "check-%s-json" % case
    out, err, rc = read(stem)
    text = gbk(stem, out)
    try:
        v = json.loads(text)
    except ValueError as e:
        fail("%s: not JSON (%s): %r %r" % (stem, e, text[:300], err[:300]))
        continue
    data = v.get("data") or {}
    if data.get("failedStep") != step:
        fail("%s: failedStep %r, want %r: %s" % (stem, data.get("failedStep"), step, text))
    if rc != want_rc:
        fail("%s: exit %d, want %d" % (stem, rc, want_rc))
    if words not in text:
        fail("%s: %r not in %s" % (stem, words, text))
    verdict = v.get("message", "")
    verdicts.append(verdict)

    stem = "check-%s-text" % case
    out, err, rc = read(stem)
    text = gbk(stem, out)
    if rc != want_rc:
        fail("%s: exit %d, want %d" % (stem, rc, want_rc))
    # 配置 in GBK: C5 E4 D6 C3 (in UTF-8 it would be E9 85 8D E7 BD AE)
    if b"\xc5\xe4\xd6\xc3" not in out:
        fail("%s: no GBK bytes of 配置 in %r" % (stem, out[:120]))
    if "[1] √ 配置文件" not in text:
        fail("%s: no '[1] √ 配置文件' (✓ as √, GBK lacks ✓): %r" % (stem, text[:200]))
    if out.count(b"\n") != out.count(b"\r\n") or not out.endswith(b"\r\n"):
        fail("%s: lines not ended with CR LF: %r" % (stem, out[-80:]))
    lines = [l for l in text.split("\r\n") if l]
    if not lines or verdict not in lines[-1]:
        fail("%s: last line %r does not hold the verdict %r" % (stem, lines[-1:] or None, verdict))
    if case != "good" and "→ 处理办法" not in text:
        fail("%s: no '→ 处理办法' line: %r" % (stem, text))

try:
    with open(os.path.join(folder, "exe-pty.out"), "rb") as f:
        pty = f.read().decode("utf-8", "replace")
    for want in ("[1] √ 配置文件", "[2] × 域名解析 DNS", "无法解析"):
        if want not in pty:
            fail("console (pty): no %r in %r" % (want, pty[:600]))
except OSError as e:
    fail("console (pty): %s" % e)

if len(set(verdicts)) != 4:
    fail("four different diagnoses wanted: %r" % verdicts)

if failures:
    for f in failures:
        print("FAIL (%s ywx.exe): %s" % (name, f))
    sys.exit(1)
print("   ywx.exe (%s): --version = ywx %s; check: %s — GBK, CR LF, exit 0/1 as due;"
      " on a console: Unicode, ✓ ✗ as √ ×" % (name, version, " | ".join(verdicts)))
