"""docs/API.md lists exactly the routes of the OpenAPI document, one table row per method and path."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "API.md"
ROW = re.compile(r"^\|\s*(GET|POST|PUT|PATCH|DELETE)\s*\|\s*`([^`]+)`\s*\|", re.MULTILINE)


def documented() -> set[tuple[str, str]]:
    return {(method, path) for method, path in ROW.findall(REFERENCE.read_text(encoding="utf-8"))}


def test_the_reference_and_the_openapi_document_list_the_same_routes(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    served = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    assert served - documented() == set(), "routes missing from docs/API.md"
    assert documented() - served == set(), "docs/API.md lists routes the app does not serve"


def test_internal_routes_stay_out_of_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/api/internal/")]
