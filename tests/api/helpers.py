"""Assertions shared by the API tests."""

from __future__ import annotations


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "code", "errors"}
    assert body["status"] == status
    assert body["type"] == "about:blank"
    if code is not None:
        assert body["code"] == code, body
    return body
