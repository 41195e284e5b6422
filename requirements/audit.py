"""pip-audit over a pinned, hashed lock file, with a verdict CI can rely on.

    python requirements/audit.py [requirements/production.txt]

Exit 0: no known vulnerability, or no vulnerability data reachable (printed as
"skipped: no vulnerability data reachable", since a machine without the service's
data must not block CI — and must not pass as "audited" either). Exit 1: a known
vulnerability (each one listed). Exit 2: pip-audit failed for another reason.

pip-audit reports a package the service does not answer for as "skipped", and still
says "No known vulnerabilities found"; when it skipped every package nothing was
audited, and this script says so.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

SKIPPED = "skipped: no vulnerability data reachable"
_NETWORK = re.compile(
    r"ConnectionError|NameResolutionError|Max retries exceeded|timed out|Temporary failure in name resolution"
    r"|ProxyError|SSLError|Connection refused|Network is unreachable|HTTPError|ServiceError",
)


def verdict(report: dict | None, stderr: str = "") -> tuple[int, str]:
    """(exit code, message) for a pip-audit JSON report (None when pip-audit produced none)."""
    if report is None:
        if _NETWORK.search(stderr):
            last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
            return 0, f"pip-audit: {SKIPPED} ({last[:200]})"
        return 2, "pip-audit failed:\n" + stderr.strip()
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    if vulnerable:
        lines = ["pip-audit: known vulnerabilities in the lock file:"]
        for d in vulnerable:
            for v in d["vulns"]:
                fixes = ", ".join(v.get("fix_versions") or []) or "no fixed version yet"
                lines.append(f"  {d['name']} {d.get('version', '?')}: {v.get('id', '?')} (fixed in: {fixes})")
        return 1, "\n".join(lines)
    audited = [d for d in deps if "skip_reason" not in d]
    if deps and not audited:
        return 0, f"pip-audit: {SKIPPED} (the service answered for none of the {len(deps)} pinned packages)"
    message = f"pip-audit: {len(audited)} packages audited, no known vulnerabilities"
    skipped = [d["name"] for d in deps if "skip_reason" in d]
    if skipped:
        message += f"; {len(skipped)} not audited (no data): {', '.join(skipped)}"
    return 0, message


def run(lock: str, *, timeout: int = 300) -> tuple[int, str]:
    exe = Path(sys.executable).with_name("pip-audit")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        # --disable-pip --no-deps: the lock pins every package; nothing to resolve, nothing installed.
        cmd = [str(exe), "--disable-pip", "--no-deps", "--progress-spinner", "off", "-r", lock,
               "-f", "json", "-o", str(out)]
        if os.environ.get("PIP_AUDIT_SERVICE"):
            cmd += ["-s", os.environ["PIP_AUDIT_SERVICE"]]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
        except subprocess.TimeoutExpired:
            return verdict(None, "pip-audit timed out")
        report = None
        if out.exists() and out.stat().st_size:
            try:
                report = json.loads(out.read_text(encoding="utf-8"))
            except ValueError:
                report = None
        return verdict(report, proc.stderr)


def main(argv: list[str]) -> int:
    lock = argv[1] if len(argv) > 1 else "requirements/production.txt"
    code, message = run(lock)
    print(message)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
