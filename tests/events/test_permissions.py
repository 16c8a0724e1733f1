"""The README's "Roles per event" table, walked route by route for owner, photographer, viewer, admin
and stranger; and every event route the app serves has a row in it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from eventlens.db import session_scope
from eventlens.models import BlockSource, Face, FaceBlock, Person, PhotoDecision
from tests.factories import api_token, create_event, run_jobs, signup
from tests.support.routes import app_routes

README = Path(__file__).resolve().parents[2] / "README.md"
ROLES = ("owner", "photographer", "viewer", "admin", "stranger")
ROW = re.compile(r"^\| `(GET|POST|PATCH|DELETE) (/[^`]*)` \| ([^|]+) \|" + r" (yes|403|404) \|" * 5 + r"$")


def _table() -> dict[tuple[str, str], dict[str, str]]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Roles per event") :]
    section = section[: section.index("\n## ", 3)]
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for line in section.splitlines():
        m = ROW.match(line)
        if m:
            method, path, _action, *cells = m.groups()
            assert (method, path) not in rows, f"{method} {path} is in the table twice"
            rows[(method, path)] = dict(zip(ROLES, cells, strict=True))
    return rows


TABLE = _table()
HOOK = "https://hooks.example.com/eventlens"  # a public name: accepted, never called here
# Routes an allowed caller passes, then meets the route's own check with this sample request:
# presign with the local store (no direct uploads), complete with a made-up ticket.
# A face's columns a copy takes (a second face of the same photo, for the people routes).
COPIED = (
    "photo_id",
    "event_id",
    "box_x",
    "box_y",
    "box_w",
    "box_h",
    "score",
    "landmarks",
    "embedding",
    "engine_id",
    "engine_version",
    "searchable",
    "skip_reason",
)
PAST_THE_GATE = {
    ("POST", "/api/events/{event_id}/uploads/presign"): "direct_uploads_off",
    ("POST", "/api/events/{event_id}/uploads/complete"): "upload_ticket_invalid",
}


def _is_event_route(path: str) -> bool:
    if path.startswith(("/api/public/", "/api/internal/")):
        return False
    return path in ("/api/events", "/events") or "{event_id}" in path or "{photo_id}" in path


def test_every_event_route_of_the_app_has_a_row(app: Any) -> None:
    served = {
        (method, path)
        for path, methods in app_routes(app.routes)
        if _is_event_route(path)
        for method in methods - {"HEAD"}
    }
    assert served - set(TABLE) == set(), "routes missing from the README's Roles per event table"
    assert set(TABLE) - served == set(), "the README's Roles per event table lists routes the app lacks"


@dataclass
class Stage:
    """One event set up for one call: its owner, a photographer and a viewer member, what the path needs."""

    event: dict[str, Any]
    ids: dict[str, str] = field(default_factory=dict)


@dataclass
class Cast:
    clients: dict[str, TestClient]
    users: dict[str, dict[str, Any]]

    def csrf(self, role: str) -> str:
        return self.clients[role].headers["X-CSRF-Token"]


@pytest.fixture
def cast(client: TestClient, new_client: Callable[[], TestClient]) -> Cast:
    clients = {"admin": client}
    users = {"admin": signup(client, name="Ada Admin")}  # the first account is the admin
    for role in ("owner", "photographer", "viewer", "stranger"):
        clients[role] = new_client()
        users[role] = signup(clients[role], name=role.capitalize())
    return Cast(clients, users)


def _people_stage(app: Any, stage: Stage) -> None:
    """Two people of the event (the processed photo's face, and a copy of it): one to act on, one `into`;
    the first has a second face, so a split leaves it one."""
    with session_scope(app.state.ctx.sessions) as db:
        face = db.scalars(select(Face).where(Face.event_id == uuid.UUID(stage.ids["event_id"]))).one()
        assert face.person_id is not None
        other = Person(
            event_id=face.event_id,
            engine_id=face.engine_id,
            centroid_sum=face.embedding,
            centroid_count=1,
            cover_face_id=face.id,
        )
        db.add(other)
        db.flush()
        copies = {}
        for name, person in (("into", other.id), ("face", face.person_id)):
            copy = Face(**{c: getattr(face, c) for c in COPIED}, person_id=person)
            db.add(copy)
            db.flush()
            copies[name] = copy.id
        stage.ids |= {"person_id": str(face.person_id), "face_id": str(face.id)}
        stage.ids |= {"into": str(other.id), "split_face": str(copies["face"])}


def _removal_stage(app: Any, stage: Stage) -> None:
    """A guest's removal request waiting for the photographer's decision (as the removal route leaves it)."""
    with session_scope(app.state.ctx.sessions) as db:
        block = FaceBlock(
            event_id=uuid.UUID(stage.ids["event_id"]),
            source=BlockSource.guest,
            embeddings=b"",
            engine_id="yunet-sface",
            photo_decision=PhotoDecision.pending,
        )
        db.add(block)
        db.flush()
        stage.ids["request_id"] = str(block.id)


def _stage(cast: Cast, path: str, jpeg: bytes, app: Any = None) -> Stage:
    owner = cast.clients["owner"]
    stage = Stage(create_event(owner, name="Race day"))
    eid = stage.event["id"]
    stage.ids["event_id"] = eid
    for role in ("photographer", "viewer"):
        r = owner.post(f"/api/events/{eid}/members", json={"email": cast.users[role]["email"], "role": role})
        assert r.status_code == 201, r.text
    stage.ids["user_id"] = cast.users["viewer"]["id"]
    people = "{person_id}" in path or "{face_id}" in path
    if "{photo_id}" in path or path.endswith("/bulk") or people:
        r = owner.post(f"/api/events/{eid}/photos", files=[("files", ("a.jpg", jpeg, "image/jpeg"))])
        assert r.status_code == 201, r.text
        stage.ids["photo_id"] = r.json()["items"][0]["id"]
    if people:
        run_jobs(app)
        _people_stage(app, stage)
    if "{request_id}" in path:
        _removal_stage(app, stage)
    if "{credential_id}" in path:
        # Made by the photographer: the owner and admins may revoke it, and so may its maker.
        r = cast.clients["photographer"].post(f"/api/events/{eid}/ftp-credentials", json={})
        assert r.status_code == 201, r.text
        stage.ids["credential_id"] = r.json()["id"]
    if "{webhook_id}" in path:
        r = owner.post(f"/api/events/{eid}/webhooks", json={"url": HOOK, "events": ["photo.indexed"]})
        assert r.status_code == 201, r.text
        stage.ids["webhook_id"] = r.json()["id"]
    if path.endswith("/unpublish"):
        assert owner.post(f"/api/events/{eid}/publish").status_code == 200
        stage.event["status"] = "published"
    stage.ids["variant"] = "original"
    return stage


def _request(cast: Cast, role: str, method: str, path: str, stage: Stage, jpeg: bytes) -> dict[str, Any]:
    """What to send so that an allowed caller's request succeeds."""
    photo = stage.ids.get("photo_id")
    files = [("files", ("b.jpg", jpeg, "image/jpeg"))]
    page_form = {"data": {"csrf_token": cast.csrf(role)}, "follow_redirects": False}
    api: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/events"): {"json": {"name": "Mine"}},
        ("PATCH", "/api/events/{event_id}"): {"json": {"name": "Renamed"}},
        ("POST", "/api/events/{event_id}/members"): {
            "json": {"email": cast.users["stranger"]["email"], "role": "viewer"}
        },
        ("POST", "/api/events/{event_id}/ftp-credentials"): {"json": {}},
        ("POST", "/api/events/{event_id}/photos"): {"files": files},
        ("POST", "/api/events/{event_id}/photos/exists"): {"json": {"sha256": ["0" * 64]}},
        ("POST", "/api/events/{event_id}/photos/bulk"): {"json": {"photo_ids": [photo], "action": "hide"}},
        ("POST", "/api/events/{event_id}/reprocess"): {"json": {"scope": "failed"}},
        ("PATCH", "/api/photos/{photo_id}"): {"json": {"hidden": True}},
        ("POST", "/api/events/{event_id}/webhooks"): {"json": {"url": HOOK, "events": ["photo.indexed"]}},
        ("POST", "/api/events/{event_id}/uploads/presign"): {
            "json": {"filename": "b.jpg", "size": len(jpeg), "content_type": "image/jpeg", "sha256": "1" * 64}
        },
        ("POST", "/api/events/{event_id}/uploads/complete"): {
            "json": {"ticket": "not.valid", "filename": "b"}
        },
        ("PATCH", "/api/events/{event_id}/people/{person_id}"): {"json": {"name": "Pat"}},
        ("POST", "/api/events/{event_id}/people/{person_id}/merge"): {
            "json": {"into": stage.ids.get("into")}
        },
        ("POST", "/api/events/{event_id}/removals/{request_id}/photos"): {"json": {"action": "keep"}},
        ("POST", "/api/events/{event_id}/people/{person_id}/hide"): {"json": {"photos_too": False}},
        ("POST", "/api/events/{event_id}/people/{person_id}/split"): {
            "json": {"face_ids": [stage.ids.get("split_face")]}
        },
    }
    if (method, path) in api:
        return api[(method, path)]
    if path.startswith("/api/"):
        return {"follow_redirects": False}  # an image may be a redirect to its signed S3 URL
    if method == "GET":
        return {"follow_redirects": False}
    pages: dict[str, dict[str, Any]] = {
        "/events": {"name": "Mine"},
        "/events/{event_id}/edit": {"name": "Renamed"},
        "/events/{event_id}/access-code": {"access_code": "secret-code"},
        "/events/{event_id}/delete": {"confirm": "yes"},
        "/events/{event_id}/members": {"email": cast.users["stranger"]["email"], "role": "viewer"},
        "/events/{event_id}/webhooks": {"url": HOOK, "events": ["photo.indexed"]},
        "/events/{event_id}/removals/{request_id}/photos": {"action": "keep"},
    }
    page_form["data"] |= pages.get(path, {})
    if path == "/events/{event_id}/upload":
        page_form["files"] = files
    return page_form


def _stream_status(live_url: str, token: str, url: str) -> int:
    # The stream never ends for an allowed caller: read the status line, then hang up.
    with httpx.stream("GET", live_url + url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as r:
        return r.status_code


@pytest.mark.parametrize(("method", "path"), sorted(TABLE))
def test_the_table(cast: Cast, request: pytest.FixtureRequest, dataset: Path, method: str, path: str) -> None:
    """One row: each role calls the route on an event of its own (the owner's, with both members)."""
    jpeg = (dataset / "identities/John_Savage/1.jpg").read_bytes()
    for role in ROLES:
        _check(cast, request, jpeg, role, method, path)


def _check(
    cast: Cast, request: pytest.FixtureRequest, jpeg: bytes, role: str, method: str, path: str
) -> None:
    expected = TABLE[(method, path)][role]
    stage = _stage(cast, path, jpeg, request.getfixturevalue("app"))
    url = path.format(**stage.ids)
    if path.endswith("/stream"):
        live = request.getfixturevalue("live_server")
        status = _stream_status(live.url, api_token(cast.clients[role]), url)
        body: Any = None
    else:
        r = cast.clients[role].request(method, url, **_request(cast, role, method, path, stage, jpeg))
        status = r.status_code
        body = r
    if expected == "yes" and (method, path) in PAST_THE_GATE and status >= 400:
        # Allowed through the permission gate, then refused by the route's own check.
        assert body is not None and body.json()["error"]["code"] == PAST_THE_GATE[(method, path)], body.text
    elif expected == "yes":
        assert status < 400, f"{role} {method} {url}: {status} {body.text if body else ''}"
    else:
        assert status == int(expected), f"{role} {method} {url}: {status} {body.text if body else ''}"
        if body is not None and path.startswith("/api/"):
            code = body.json()["error"]["code"]
            assert code == ("role_not_allowed" if expected == "403" else "not_found"), body.text
    if expected != "yes":  # refused: the event is as it was
        after = cast.clients["owner"].get(f"/api/events/{stage.ids['event_id']}")
        assert after.status_code == 200 and after.json()["name"] == "Race day"
        assert after.json()["status"] == stage.event["status"]
