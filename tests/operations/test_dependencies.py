"""The hashed lock files and the pip-audit verdict that .ci/run relies on."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _audit_module():
    spec = importlib.util.spec_from_file_location("requirements_audit", ROOT / "requirements" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


audit = _audit_module()


def _pins(path: Path) -> dict[str, str]:
    """name -> the text of its pin (version line and hash lines)."""
    blocks: dict[str, str] = {}
    current = None
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if m:
            current = re.sub(r"[-_.]+", "-", m.group(1)).lower()
            blocks[current] = line
        elif current and line.startswith("    --hash="):
            blocks[current] += "\n" + line
        elif not line.startswith("    "):
            current = None
    return blocks


def _names(requirements: list[str]) -> set[str]:
    return {re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0]).lower() for r in requirements}


@pytest.mark.parametrize(("lock", "extra"), [("production.txt", None), ("dev.txt", "dev")])
def test_the_lock_pins_every_dependency_with_hashes(lock, extra):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _names(project["dependencies"])
    if extra:
        wanted |= _names(project["optional-dependencies"][extra])
    pins = _pins(ROOT / "requirements" / lock)
    assert wanted <= set(pins), f"not pinned in {lock}: {sorted(wanted - set(pins))}"
    unhashed = [name for name, block in pins.items() if "--hash=sha256:" not in block]
    assert unhashed == []


def test_pip_tools_and_pip_audit_stay_out_of_the_production_lock():
    pins = _pins(ROOT / "requirements" / "production.txt")
    assert "pip-tools" not in pins
    assert "pip-audit" not in pins
    assert "pytest" not in pins


def test_a_known_vulnerability_fails_the_audit_and_names_it():
    report = {"dependencies": [
        {"name": "django", "version": "3.2.0", "vulns": [{"id": "PYSEC-2021-98", "fix_versions": ["3.2.4"]}]},
        {"name": "six", "version": "1.17.0", "vulns": []},
    ]}
    code, message = audit.verdict(report)
    assert code == 1
    assert "django 3.2.0: PYSEC-2021-98 (fixed in: 3.2.4)" in message


def test_an_unreachable_service_is_skipped_with_a_clear_message():
    code, message = audit.verdict(None, "requests.exceptions.ConnectionError: Max retries exceeded with url")
    assert code == 0
    assert "skipped: no vulnerability data reachable" in message


def test_a_service_that_knows_none_of_the_packages_is_not_reported_as_audited():
    report = {"dependencies": [{"name": "six", "skip_reason": "Dependency not found on PyPI and could not be audited"}]}
    code, message = audit.verdict(report)
    assert code == 0
    assert "skipped: no vulnerability data reachable" in message
    assert "no known vulnerabilities" not in message


def test_a_clean_report_passes_and_lists_what_it_could_not_audit():
    report = {"dependencies": [{"name": "six", "version": "1.17.0", "vulns": []},
                               {"name": "private-pkg", "skip_reason": "not found"}]}
    code, message = audit.verdict(report)
    assert code == 0
    assert "1 packages audited, no known vulnerabilities; 1 not audited (no data): private-pkg" in message


def test_any_other_pip_audit_failure_fails():
    code, message = audit.verdict(None, "ERROR: invalid requirement")
    assert code == 2
    assert "invalid requirement" in message


def test_the_script_against_a_vulnerable_pin_fails_or_says_it_was_skipped(tmp_path):
    """Live: with the service reachable, Django 3.2.0 must fail the audit; without it, a skip message."""
    lock = tmp_path / "vulnerable.txt"
    lock.write_text("django==3.2.0\n")
    proc = subprocess.run([sys.executable, str(ROOT / "requirements" / "audit.py"), str(lock)],
                          capture_output=True, text=True, timeout=400, check=False)
    if "skipped: no vulnerability data reachable" in proc.stdout:
        assert proc.returncode == 0
    else:
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "django 3.2.0" in proc.stdout
