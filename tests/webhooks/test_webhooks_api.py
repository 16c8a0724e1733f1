"""The webhook routes: the secret shown once, URLs checked, limits, who may see what."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from eventlens.config import Settings
from tests.factories import assert_error, create_event, signup
from tests.webhooks.receiver import Receiver

HOOK = "https://hooks.example.com/eventlens"


def _owner(new_client) -> TestClient:  # type: ignore[no-untyped-def]
    signup(new_client(), name="Admin")  # the first account is the admin; the owner is not
    owner = new_client()
    signup(owner)
    return owner


def test_an_endpoint_gets_a_standard_webhooks_secret_shown_once(new_client, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    owner = _owner(new_client)
    event = create_event(owner)
    r = owner.post(
        f"/api/events/{event['id']}/webhooks",
        json={"url": receiver.url, "events": ["photo.indexed", "guest.search", "photo.indexed"]},
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
    assert made["events"] == ["photo.indexed", "guest.search"]  # duplicates dropped, order kept
    assert made["event_id"] == event["id"] and made["url"] == receiver.url
    listed = owner.get(f"/api/events/{event['id']}/webhooks").json()["items"]
    assert [w["id"] for w in listed] == [made["id"]]
    assert "secret" not in listed[0]

    assert owner.delete(f"/api/events/{event['id']}/webhooks/{made['id']}").status_code == 204
    assert owner.get(f"/api/events/{event['id']}/webhooks").json()["items"] == []
    assert_error(owner.delete(f"/api/events/{event['id']}/webhooks/{made['id']}"), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x", "events": ["photo.indexed"]}, "url"),
        ({"url": "javascript:alert(1)", "events": ["photo.indexed"]}, "url"),
        ({"url": "https://user:pw@example.com/", "events": ["photo.indexed"]}, "url"),
        ({"url": "https://exa mple.com/", "events": ["photo.indexed"]}, "url"),
        ({"url": "https://" + "a" * 2000 + ".com/", "events": ["photo.indexed"]}, "url"),
        ({"url": HOOK, "events": []}, "events"),
        ({"url": HOOK, "events": ["photo.deleted"]}, "events.0"),
        ({"url": HOOK}, "events"),
    ],
)
def test_bad_endpoints_are_422_and_nothing_is_kept(new_client, body, field) -> None:  # type: ignore[no-untyped-def]
    owner = _owner(new_client)
    event = create_event(owner)
    err = assert_error(owner.post(f"/api/events/{event['id']}/webhooks", json=body), 422)
    assert field in [d["field"] for d in err["details"]], err
    assert owner.get(f"/api/events/{event['id']}/webhooks").json()["items"] == []


@pytest.fixture
def strict_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allow_private": False})


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
    ],
)
def test_private_addresses_are_refused_unless_the_setting_allows_them(
    strict_settings: Settings, url: str
) -> None:
    from eventlens.app import create_app

    with TestClient(create_app(strict_settings), base_url="https://testserver") as owner:
        signup(owner)
        event = create_event(owner)
        err = assert_error(
            owner.post(
                f"/api/events/{event['id']}/webhooks", json={"url": url, "events": ["event.published"]}
            ),
            422,
            "webhook_url_refused",
        )
        assert "private" in err["message"] or "loopback" in err["message"]
        assert owner.get(f"/api/events/{event['id']}/webhooks").json()["items"] == []


def test_an_event_has_at_most_ten_endpoints(new_client) -> None:  # type: ignore[no-untyped-def]
    owner = _owner(new_client)
    event = create_event(owner)
    for n in range(10):
        body = {"url": f"{HOOK}/{n}", "events": ["event.published"]}
        assert owner.post(f"/api/events/{event['id']}/webhooks", json=body).status_code == 201
    body = {"url": f"{HOOK}/11", "events": ["event.published"]}
    assert_error(owner.post(f"/api/events/{event['id']}/webhooks", json=body), 409, "too_many_webhooks")


def test_another_photographers_event_and_endpoints_are_404(new_client) -> None:  # type: ignore[no-untyped-def]
    owner = _owner(new_client)
    event = create_event(owner)
    hook = owner.post(
        f"/api/events/{event['id']}/webhooks", json={"url": HOOK, "events": ["event.published"]}
    ).json()
    stranger = new_client()
    signup(stranger)
    base = f"/api/events/{event['id']}/webhooks"
    assert_error(stranger.get(base), 404, "not_found")
    assert_error(stranger.post(base, json={"url": HOOK, "events": ["event.published"]}), 404)
    assert_error(stranger.get(f"{base}/{hook['id']}/deliveries"), 404)
    assert_error(stranger.post(f"{base}/{hook['id']}/test"), 404)
    assert_error(stranger.delete(f"{base}/{hook['id']}"), 404)
    # An endpoint of one event is not reachable through another event of the same owner.
    other = create_event(owner, name="Other")
    assert_error(owner.get(f"/api/events/{other['id']}/webhooks/{hook['id']}/deliveries"), 404)
    assert owner.get(f"{base}/{hook['id']}/deliveries").status_code == 200


def test_install_wide_endpoints_are_for_admins(new_client) -> None:  # type: ignore[no-untyped-def]
    admin = new_client()
    signup(admin, name="Admin")
    photographer = new_client()
    signup(photographer)
    body = {"url": HOOK, "events": ["event.published", "guest.search"]}
    assert_error(photographer.get("/api/webhooks"), 403, "forbidden")
    assert_error(photographer.post("/api/webhooks", json=body), 403, "forbidden")
    r = admin.post("/api/webhooks", json=body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["event_id"] is None and made["secret"].startswith("whsec_")
    assert_error(photographer.delete(f"/api/webhooks/{made['id']}"), 403)
    assert [w["id"] for w in admin.get("/api/webhooks").json()["items"]] == [made["id"]]
    # An install-wide endpoint is not one of an event's.
    event = create_event(admin)
    assert_error(admin.delete(f"/api/events/{event['id']}/webhooks/{made['id']}"), 404)
    assert admin.delete(f"/api/webhooks/{made['id']}").status_code == 204
