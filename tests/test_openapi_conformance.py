"""schemathesis against the app: every answer is one the OpenAPI document describes, and none is a 5xx.

Each operation gets a few generated requests (seeded, so CI sees the same ones every run), sent with a
real API token so protected routes get past authentication. Half of the requests that take an event,
a photo or a guest link use real ones (a published event with an indexed photo), so answers other than
404 are checked too. Checks: no server error, status codes, content types, response headers and bodies
as documented.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import api_token, create_event, run_jobs, signup, upload

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 8  # about 45 operations: a few hundred requests in all


@dataclass(frozen=True)
class World:
    """What the generated requests can point at, and the token they carry: the owner's routes get one
    event (which they may change, archive and delete), the guest routes another, published one."""

    token: str
    event_id: str
    photo_id: str
    guest_slug: str
    guest_photo_id: str

    def real(self, path: str, name: str) -> str | None:
        if path.startswith("/api/public/"):
            return {"slug": self.guest_slug, "photo_id": self.guest_photo_id}.get(name)
        return {"event_id": self.event_id, "photo_id": self.photo_id}.get(name)


def _event_with_photo(client: TestClient, photo: Path, name: str) -> tuple[dict[str, Any], str]:
    event = create_event(client, name=name)
    r = upload(client, event["id"], (photo.name, photo.read_bytes()))
    assert r.status_code == 201, r.text
    return event, r.json()["items"][0]["id"]


@pytest.fixture
def world(client: TestClient, app: FastAPI, dataset: Path) -> World:
    signup(client)
    token = api_token(client)
    photo = next((dataset / "identities").rglob("*.jpg"))
    event, photo_id = _event_with_photo(client, photo, "Conformance")
    guest_event, guest_photo_id = _event_with_photo(client, photo, "Conformance for guests")
    run_jobs(app)
    assert client.post(f"/api/events/{guest_event['id']}/publish").status_code == 200
    return World(token, event["id"], photo_id, guest_event["slug"], guest_photo_id)


def _order(operation: Any) -> int:
    """Reads and edits first, then status changes (an archived event takes no uploads), deletes last."""
    if operation.method.upper() == "DELETE":
        return 2
    return 1 if operation.path.endswith(("/publish", "/unpublish", "/archive")) else 0


def _strategy(operation: Any) -> st.SearchStrategy[Any]:
    valid = operation.as_strategy(GenerationMode.POSITIVE)
    try:
        return valid | operation.as_strategy(GenerationMode.NEGATIVE)
    except Exception:  # nothing to make invalid (no parameters, no body)
        return valid


def test_every_answer_is_documented(app: FastAPI, world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    auth = {"Authorization": f"Bearer {world.token}"}
    failures: dict[str, str] = {}
    calls = 0

    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=_order)
    for operation in operations:

        @given(case=_strategy(operation), data=st.data())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: the report names the request
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any, data: st.DataObject) -> None:
            nonlocal calls
            # The live streams never end for a real event: they keep generated ids (their own tests cover them).
            if (
                case.path_parameters
                and not case.path.endswith(("/stream", "/live"))
                and data.draw(st.booleans())
            ):
                for name in list(case.path_parameters):
                    value = world.real(case.path, name)
                    if value is not None:
                        case.path_parameters[name] = value
            response = case.call(headers=auth)
            calls += 1
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failures[operation.label] = str(exc)[:1500]
    assert failures == {}, "\n\n".join(f"{label}:\n{why}" for label, why in failures.items())
    assert calls >= 200
