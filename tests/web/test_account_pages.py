"""The landing page's forms: sign up, sign in, sign out, with CSRF (checked with an HTML parser)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import PASSWORD


class Forms(HTMLParser):
    """Collects each form's action and inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "inputs": {}})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"][a.get("name")] = a.get("value") or ""

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(data.strip())


def parse(html: str) -> Forms:
    p = Forms()
    p.feed(html)
    return p


def form(page: Forms, action: str) -> dict[str, str]:
    for f in page.forms:
        if f["action"] == action:
            inputs: dict[str, str] = f["inputs"]
            return inputs
    raise AssertionError(f"no form posting to {action}: {page.forms}")


def test_sign_up_through_the_form_then_sign_out_and_in(client: TestClient) -> None:
    landing = parse(client.get("/").text)
    assert "The first account on this server becomes its administrator." in landing.text
    signup = form(landing, "/signup")
    assert signup["csrf_token"]
    r = client.post(
        "/signup",
        data={
            "csrf_token": signup["csrf_token"],
            "email": "p@example.com",
            "password": PASSWORD,
            "name": "Pat",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/events"
    assert client.get("/api/me").json()["role"] == "admin"
    assert client.get("/", follow_redirects=False).headers["location"] == "/events"

    logout_token = form(parse(client.get("/events").text), "/logout")["csrf_token"]
    assert (
        client.post("/logout", data={"csrf_token": logout_token}, follow_redirects=False).status_code == 303
    )
    assert client.get("/api/me").status_code == 401

    login = form(parse(client.get("/").text), "/login")
    r = client.post(
        "/login",
        data={"csrf_token": login["csrf_token"], "email": "p@example.com", "password": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get("/api/me").status_code == 200


def test_forms_without_the_csrf_token_are_refused(client: TestClient) -> None:
    client.get("/")
    r = client.post("/signup", data={"email": "p@example.com", "password": PASSWORD, "name": "Pat"})
    assert r.status_code == 403
    assert "Your form expired" in " ".join(parse(r.text).text)
    assert client.get("/api/me").status_code == 401


def test_wrong_password_shows_the_error_on_the_page(client: TestClient) -> None:
    token = form(parse(client.get("/").text), "/signup")["csrf_token"]
    client.post(
        "/signup", data={"csrf_token": token, "email": "p@example.com", "password": PASSWORD, "name": "P"}
    )
    client.cookies.delete("eventlens_session")
    token = form(parse(client.get("/").text), "/login")["csrf_token"]
    r = client.post("/login", data={"csrf_token": token, "email": "p@example.com", "password": "wrong-wrong"})
    assert r.status_code == 401
    page = parse(r.text)
    assert "Wrong e-mail or password." in page.text
    assert form(page, "/login")["email"] == "p@example.com"  # what was typed stays


def test_signup_form_validation_errors_are_shown(client: TestClient) -> None:
    token = form(parse(client.get("/").text), "/signup")["csrf_token"]
    r = client.post(
        "/signup", data={"csrf_token": token, "email": "p@example.com", "password": "short", "name": "P"}
    )
    assert r.status_code == 422
    assert any("password" in line for line in parse(r.text).text)
