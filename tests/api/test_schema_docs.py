from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_the_schema_validates_without_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "Error" not in result.stderr


def test_every_operation_documents_problem_details(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.1")
    assert "Problem" in schema["components"]["schemas"]
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) >= 8
    for path, method, op in operations:
        for code in ("401", "403", "429", "500"):
            content = op["responses"][code]["content"]
            assert content == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}, (
                path, method, code,
            )
    members = schema["paths"]["/api/v1/members/"]["get"]
    assert {p["name"] for p in members["parameters"]} >= {"cursor", "page_size"}
    webhook_patch = schema["paths"]["/api/v1/webhooks/{id}/"]["patch"]
    assert {"412", "428"} <= set(webhook_patch["responses"])
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in webhook_patch["parameters"])
    webhook_post = schema["paths"]["/api/v1/webhooks/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in webhook_post["parameters"])


def _local_assets(html: str) -> list[str]:
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs
    return refs


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_use_local_assets_and_nonced_scripts(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for ref in _local_assets(html):
        assert ref.startswith("/"), ref  # served by us: no CDN
        assert not ref.startswith("//"), ref
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts
    assert all(f'nonce="{nonce}"' in attrs for attrs in scripts)
    assert "<style" not in html
    assert "fonts.googleapis" not in html
    for ref in _local_assets(html):
        if ref.startswith("/static/"):
            assert client.get(ref).status_code == 200, ref


@pytest.mark.browser
@pytest.mark.parametrize(("url", "selector"), [("/api/docs/", ".opblock"), ("/api/redoc/", "[data-section-id]")])
def test_the_docs_really_render_in_a_browser_under_the_csp(live_server, url, selector):
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with playwright.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=chromium) if chromium else p.chromium.launch()
        except Exception as exc:  # no browser on this machine
            pytest.skip(f"no Chromium: {exc}")
        page = browser.new_page()
        violations: list[str] = []
        outside: list[str] = []
        page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
        # Only requests that really went out (a load refused by the policy never finishes).
        ours = (live_server.url, f"blob:{live_server.url}")
        page.on("requestfinished", lambda req: None if req.url.startswith(ours) else outside.append(req.url))
        page.goto(live_server.url + url)
        page.wait_for_selector(selector, timeout=20_000)
        browser.close()
    assert outside == []
    # Redoc's attribution logo points at its CDN: the policy blocks it before any request is made
    # and Redoc hides it on error. Nothing else may be refused (scripts and styles included).
    assert [v for v in violations if "cdn.redoc.ly/redoc/logo-mini.svg" not in v] == []
