"""One error handler: pages answer a rendered error page (or the sign-in page), /api answers JSON."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_error, create_event, signup

from .test_account_pages import form, parse


class ErrorPage(HTMLParser):
    """The parts of error.html a person reads: heading, status, message, the link back."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: dict[str, str] = {}
        self.links: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("class") == "back":
            self.links.append(a.get("href") or "")
        if tag in {"title", "h1"}:
            self._open = tag
        elif tag == "p" and a.get("class") in {"error-status", "error-message"}:
            self._open = a["class"]

    def handle_endtag(self, tag: str) -> None:
        if tag in {"title", "h1", "p"}:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None and data.strip():
            self.parts[self._open] = self.parts.get(self._open, "") + data.strip()


def error_page(response: Any, status: int) -> ErrorPage:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = ErrorPage()
    page.feed(response.text)
    assert page.parts["h1"] == "Something is not right"
    assert page.parts["error-status"] == f"Error {status}" and page.parts["title"].startswith(
        f"Error {status}"
    )
    return page


SIGNED_IN_ONLY = [
    ("GET", "/events"),
    ("GET", "/events/{id}"),
    ("GET", "/tokens"),
    ("GET", "/account"),
    ("POST", "/events"),
    ("POST", "/events/{id}/publish"),
    ("POST", "/events/{id}/edit"),
    ("POST", "/events/{id}/access-code"),
    ("POST", "/events/{id}/reprocess"),
    ("POST", "/events/{id}/delete"),
    ("POST", "/events/{id}/upload"),
    ("POST", "/events/{id}/ftp-credentials"),
    ("POST", "/events/{id}/ftp-credentials/{id}/revoke"),
    ("POST", "/tokens"),
    ("POST", "/tokens/{id}/revoke"),
    ("POST", "/account/password"),
]


@pytest.mark.parametrize(("method", "path"), SIGNED_IN_ONLY)
def test_signed_out_pages_send_the_browser_to_sign_in(
    client: TestClient, new_client: Any, method: str, path: str
) -> None:
    signup(client)
    event = create_event(client)
    anonymous = new_client()
    r = anonymous.request(
        method, path.format(id=event["id"]), data={"csrf_token": "x"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert client.get(f"/api/events/{event['id']}").json()["status"] == "draft"  # nothing happened


def test_another_users_event_is_a_404_page_and_a_404_in_the_api(client: TestClient, new_client: Any) -> None:
    signup(client)
    event = create_event(client, name="Private")
    other = new_client()
    signup(other)
    for url in (f"/events/{event['id']}", f"/events/{uuid.uuid4()}"):
        page = error_page(other.get(url), 404)
        assert page.parts["error-message"] == "That page does not exist, or it is not yours."
        assert page.links == ["/events"]
        assert "Private" not in other.get(url).text
    edit = other.post(f"/events/{event['id']}/edit", data={"name": "Mine now", "csrf_token": "x"})
    error_page(edit, 404)
    assert_error(other.get(f"/api/events/{event['id']}"), 404, "not_found")
    assert client.get(f"/api/events/{event['id']}").json()["name"] == "Private"


def test_a_raised_api_error_is_shown_on_the_error_page(client: TestClient) -> None:
    signup(client)
    event = create_event(client)
    url = f"/events/{event['id']}"
    token = form(parse(client.get(url).text), f"{url}/publish")["csrf_token"]
    assert (
        client.post(f"{url}/publish", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    )
    again = client.post(f"{url}/publish", data={"csrf_token": token})
    page = error_page(again, 409)
    assert page.parts["error-message"] == "Cannot publish an event that is published."
    assert page.links == ["/events"]
    assert_error(client.post(f"/api/events/{event['id']}/publish"), 409, "invalid_status_change")


def test_an_invalid_edit_answers_the_error_page_and_saves_nothing(client: TestClient) -> None:
    signup(client)
    event = create_event(client, name="Before", starts_at="2026-06-01T18:00:00Z")
    url = f"/events/{event['id']}"
    token = form(parse(client.get(url).text), f"{url}/edit")["csrf_token"]
    # The name is valid, the end is not: nothing of the form is saved.
    body = {
        "csrf_token": token,
        "name": "After",
        "starts_at": "2026-06-01T18:00",
        "ends_at": "2026-05-01T10:00",
    }
    page = error_page(client.post(f"{url}/edit", data=body), 422)
    assert "ends_at" in page.parts["error-message"]
    assert client.get(f"/api/events/{event['id']}").json()["name"] == "Before"


def test_unknown_paths_answer_a_page_outside_the_api_and_json_inside(client: TestClient) -> None:
    page = error_page(client.get("/no-such-page"), 404)
    assert page.links == ["/"]  # signed out: back to the start page
    assert_error(client.get("/api/no-such-thing"), 404, "not_found")
    assert_error(client.get("/api/events/not-a-uuid"), 401, "unauthorized")
    signup(client)
    error_page(client.get("/events/not-a-uuid"), 422)
    assert_error(client.get("/api/events/not-a-uuid"), 422, "validation_error")
