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


def test_the_schema_answers_json_for_format_json(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert '"nullable"' not in response.content.decode()


def _operations(client):
    schema = client.get("/api/schema/?format=json").json()
    for path, item in schema["paths"].items():
        if "get" in item:
            yield path.replace("{id}", "1").replace("{endpoint_id}", "1").replace("{prefix}", "abcdefgh"), item["get"]


def test_every_get_refuses_an_unknown_query_parameter_and_knows_its_documented_ones(client, admin_api):
    from tests.api.helpers import assert_problem

    checked = 0
    for path, operation in _operations(client):
        body = assert_problem(admin_api.get(f"{path}?updated_sinse=2026-01-01T00:00:00Z"), 400, "unknown_parameter")
        assert set(body["errors"]) == {"updated_sinse"}, path
        for param in operation.get("parameters", []):
            if param["in"] != "query":
                continue
            response = admin_api.get(f"{path}?{param['name']}=1")
            unknown = response.status_code == 400 and response.json()["code"] == "unknown_parameter"
            assert not unknown, (path, param["name"], response.content)
        checked += 1
    assert checked >= 40


def test_the_schema_is_typed_for_generated_clients(client):
    schema = client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    params = [(path, p) for path, item in schema["paths"].items() for op in item.values()
              for p in op.get("parameters", [])]
    # Every path parameter is an integer id, except an API key's prefix (a key has no integer id;
    # its prefix is what the admin sees and is not secret).
    prefixes = [p for path, p in params if p["in"] == "path" and path.startswith("/api/v1/api-keys/")]
    assert prefixes and all(p["name"] == "prefix" and p["schema"]["type"] == "string" for p in prefixes)
    path_ids = [p for path, p in params if p["in"] == "path" and not path.startswith("/api/v1/api-keys/")]
    assert path_ids and all(p["schema"] == {"type": "integer", "minimum": 1} for p in path_ids)
    assert all(p.get("description", "").startswith("Id of a") for p in path_ids)
    filters = {(path, p["name"]): p for path, p in params if p["in"] == "query"}
    assert filters[("/api/v1/sessions/", "dispute")]["schema"]["type"] == "integer"
    assert filters[("/api/v1/disclosures/", "to_party")]["description"].startswith("Id of a case party (not a party")
    assert filters[("/api/v1/representatives/", "party")]["description"].startswith("Id of a party (not a case party")
    assert filters[("/api/v1/disputes/", "mine")]["schema"] == {"type": "boolean"}
    assert not [key for key, p in filters.items() if p["schema"].get("type") == "number"]
    assert components["TrackEnum"]["x-enum-varnames"] == ["TRACK_1", "TRACK_1_5", "TRACK_2", "TRACK_3"]
    assert components["SessionOutput"]["properties"]["notes"]["items"] == {"$ref": "#/components/schemas/NoteOutput"}
    assert components["ThreadNodeOutput"]["properties"]["children"]["items"] == {
        "$ref": "#/components/schemas/ThreadNodeOutput"}
    timeline = components["TimelineEntry"]
    assert timeline["discriminator"]["propertyName"] == "kind" and len(timeline["oneOf"]) == 6
    assert components["TimelineNoteEntry"]["properties"]["data"] == {"$ref": "#/components/schemas/NoteData"}
    dispute = schema["paths"]["/api/v1/disputes/{id}/"]["get"]
    assert "304" in dispute["responses"] and any(p["name"] == "If-None-Match" for p in dispute["parameters"])
    assert "Location" in schema["paths"]["/api/v1/disputes/"]["post"]["responses"]["201"]["headers"]
    assert "ETag" in schema["paths"]["/api/v1/disputes/{id}/stage/"]["post"]["responses"]["200"]["headers"]
    page = components["PaginatedDisputeListRowList"]["properties"]
    assert page["next_cursor"]["type"] == ["string", "null"] and page["sync_watermark"]["format"] == "date-time"
