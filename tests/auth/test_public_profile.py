"""The photographer's public name and website: set on the account (PATCH /api/me or the account page),
checked (http(s) only, lengths), and shown on the guest page of their events as a nofollow link."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_error, create_event, signup
from tests.web.test_account_pages import form, parse

HOSTILE = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "https://bank.example@evil.example/",
    "//evil.example/",
    "evil.example",
    "https://",
    "https://exa mple.com/",
    "https://example.com/\nSet-Cookie: x=1",
    "https://example.com:port/",
    "ftp://example.com/",
    "https://example.com/" + "a" * 300,
]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs))


def _links(html: str) -> list[dict[str, str | None]]:
    parser = Links()
    parser.feed(html)
    return parser.links


def _published(client: TestClient) -> dict[str, Any]:
    event = create_event(client, name="Summer Gala")
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    return event


def test_set_read_and_clear_the_profile(client: TestClient) -> None:
    signup(client, name="Pat Private")
    me = client.get("/api/me").json()
    assert me["public_name"] is None and me["website"] is None
    r = client.patch(
        "/api/me", json={"public_name": "  Studio Lumière ", "website": "https://studio.example/gallery?x=1"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["public_name"] == "Studio Lumière"
    assert r.json()["website"] == "https://studio.example/gallery?x=1"
    # Only what is sent changes; "" clears.
    r = client.patch("/api/me", json={"website": ""})
    assert r.json()["public_name"] == "Studio Lumière" and r.json()["website"] is None
    assert client.get("/api/me").json()["website"] is None


@pytest.mark.parametrize("url", HOSTILE)
def test_a_website_that_is_not_an_http_address_is_refused(client: TestClient, url: str) -> None:
    signup(client)
    assert_error(client.patch("/api/me", json={"website": url}), 422, "validation_error")
    assert client.get("/api/me").json()["website"] is None  # nothing kept


def test_names_too_long_or_with_control_characters_are_refused(client: TestClient) -> None:
    signup(client)
    assert_error(client.patch("/api/me", json={"public_name": "x" * 101}), 422, "validation_error")
    assert_error(client.patch("/api/me", json={"public_name": "a\nb"}), 422, "validation_error")
    assert client.patch("/api/me", json={"public_name": "x" * 100}).status_code == 200


def test_only_a_signed_in_account_may_change_it(client: TestClient, new_client: Any) -> None:
    assert_error(new_client().patch("/api/me", json={"public_name": "Someone"}), 401)


def test_the_guest_page_shows_the_name_and_a_nofollow_link(client: TestClient, new_client: Any) -> None:
    signup(client, name="Pat Private")
    event = _published(client)
    guest = new_client()
    page = guest.get(f"/e/{event['slug']}").text
    assert "Pat Private" in page and not [a for a in _links(page) if a.get("rel")]  # no link yet
    client.patch(
        "/api/me", json={"public_name": "Studio <Lumière>", "website": 'https://studio.example/?a=1&b="2"'}
    )
    page = guest.get(f"/e/{event['slug']}").text
    [link] = [a for a in _links(page) if a.get("href", "").startswith("https://studio.example")]
    assert link["href"] == 'https://studio.example/?a=1&b="2"'
    assert set((link["rel"] or "").split()) == {"noopener", "noreferrer", "nofollow"}
    assert "Studio &lt;Lumière&gt;" in page and "Pat Private" not in page
    public = guest.get(f"/api/public/events/{event['slug']}").json()
    assert public["photographer"] == "Studio <Lumière>"
    assert public["photographer_url"] == 'https://studio.example/?a=1&b="2"'


def test_the_account_page_form_saves_and_refuses_a_hostile_link(client: TestClient, new_client: Any) -> None:
    signup(client)
    event = _published(client)
    fields = form(parse(client.get("/account").text), "/account/profile")
    r = client.post(
        "/account/profile",
        data={
            "csrf_token": fields["csrf_token"],
            "public_name": "Pat Studio",
            "website": "javascript:alert(1)",
        },
    )
    assert r.status_code == 422 and "https://" in r.text
    assert 'value="javascript:alert(1)"' in r.text  # shown again to fix, as typed (escaped, inert)
    assert client.get("/api/me").json()["website"] is None
    assert "javascript:" not in new_client().get(f"/e/{event['slug']}").text
    r = client.post(
        "/account/profile",
        data={
            "csrf_token": fields["csrf_token"],
            "public_name": "Pat Studio",
            "website": "http://pat.example",
        },
    )
    assert r.status_code == 200 and 'value="http://pat.example"' in r.text
    me = client.get("/api/me").json()
    assert (me["public_name"], me["website"]) == ("Pat Studio", "http://pat.example")
    bad = client.post("/account/profile", data={"csrf_token": "nope", "public_name": "X", "website": ""})
    assert bad.status_code == 403
