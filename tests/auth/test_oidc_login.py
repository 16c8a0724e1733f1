"""Sign-in with OpenID Connect against a real provider process (oidc-provider-mock, tests/support)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from eventlens.app import create_app
from eventlens.config import Settings
from tests.factories import PASSWORD, assert_error, signup
from tests.support.oidc_provider import OidcProvider, run_oidc_provider
from tests.support.processes import free_port

CLIENT_ID = "eventlens-test"


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with run_oidc_provider() as p:
        yield p


def with_settings(settings: Settings, **more: Any) -> Settings:
    """``settings`` with more values, validated as the environment's would be."""
    return Settings(**(settings.model_dump() | more))


def oidc_settings(settings: Settings, provider: OidcProvider, **more: Any) -> Settings:
    values = {
        "oidc_issuer": provider.issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": "s3cret",
        "oidc_name": "Test IdP",
    }
    return with_settings(settings, **(values | more))


@pytest.fixture
def browser(settings: Settings, provider: OidcProvider) -> Callable[..., TestClient]:
    """Make a browser (own cookie jar) on an app configured for the provider, with more settings."""
    made: list[TestClient] = []
    apps: dict[str, Any] = {}

    def make(**more: Any) -> TestClient:
        key = repr(sorted(more.items()))
        if key not in apps:
            apps[key] = create_app(oidc_settings(settings, provider, **more))
        c = TestClient(apps[key], base_url="https://testserver")
        c.__enter__()
        made.append(c)
        return c

    yield make  # type: ignore[misc]
    for c in made:
        c.__exit__(None, None, None)


def new_subject(provider: OidcProvider, **claims: Any) -> str:
    sub = f"user-{uuid.uuid4().hex[:8]}"
    provider.set_user(sub, **({"email": f"{sub}@example.com", "email_verified": True} | claims))
    return sub


def start(client: TestClient, path: str = "/auth/oidc/login") -> str:
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]


def sign_in(client: TestClient, provider: OidcProvider, sub: str) -> httpx.Response:
    """The whole dance: our login → the provider's page → our callback. Returns the callback's answer."""
    back = provider.authorize(start(client), sub)
    return client.get(back, follow_redirects=False)


def test_login_redirects_to_the_provider_with_pkce_state_and_nonce(
    browser: Callable[..., TestClient], provider: OidcProvider
) -> None:
    c = browser()
    location = start(c)
    assert location.startswith(provider.issuer + "/oauth2/authorize?")
    q = parse_qs(urlsplit(location).query)
    assert q["client_id"] == [CLIENT_ID]
    assert q["redirect_uri"] == ["https://testserver/auth/oidc/callback"]
    assert q["response_type"] == ["code"]
    assert q["scope"] == ["openid email profile"]
    assert q["code_challenge_method"] == ["S256"]
    assert len(q["code_challenge"][0]) == 43
    assert len(q["state"][0]) >= 24 and len(q["nonce"][0]) >= 24
    two = parse_qs(urlsplit(start(browser())).query)
    assert two["state"] != q["state"] and two["nonce"] != q["nonce"]


def test_first_login_creates_the_account_and_the_second_finds_it(
    browser: Callable[..., TestClient], provider: OidcProvider
) -> None:
    sub = new_subject(provider, name="Ada Lovelace")
    c = browser()
    r = sign_in(c, provider, sub)
    assert r.status_code == 303 and r.headers["location"] == "/events", r.text
    assert "eventlens_session=" in r.headers["set-cookie"]
    me = c.get("/api/me").json()
    assert me["email"] == f"{sub}@example.com"
    assert me["name"] == "Ada Lovelace"
    assert me["role"] == "admin"  # the first account on the server, as with sign-up
    assert c.get("/events").status_code == 200

    again = browser()
    assert sign_in(again, provider, sub).status_code == 303
    assert again.get("/api/me").json()["id"] == me["id"]
    # A second person gets an account of their own, not an admin one.
    other = browser()
    assert sign_in(other, provider, new_subject(provider)).status_code == 303
    assert other.get("/api/me").json()["role"] == "photographer"


def test_an_existing_password_account_with_the_same_email_is_not_taken_over(
    browser: Callable[..., TestClient], provider: OidcProvider
) -> None:
    owner = browser()
    signup(owner, email="victim@example.com")
    sub = new_subject(provider, email="victim@example.com")
    c = browser()
    r = sign_in(c, provider, sub)
    assert r.status_code == 409
    assert "already exists" in r.text
    assert c.get("/api/me").status_code == 401
    # The password account is untouched and still signs in.
    r = browser().post("/api/auth/login", json={"email": "victim@example.com", "password": PASSWORD})
    assert r.status_code == 200


def test_a_wrong_state_is_refused(browser: Callable[..., TestClient], provider: OidcProvider) -> None:
    c = browser()
    back = provider.authorize(start(c), new_subject(provider))
    forged = back.replace("state=", "state=x")
    r = c.get(forged, follow_redirects=False)
    assert r.status_code == 400 and "not for this browser" in r.text
    assert c.get("/api/me").status_code == 401
    # Without the cookie of the sign-in that was started (another browser): refused too.
    assert browser().get(back, follow_redirects=False).status_code == 400


def test_an_id_token_with_another_sign_ins_nonce_is_refused(
    browser: Callable[..., TestClient], provider: OidcProvider
) -> None:
    """A code obtained for sign-in A, delivered with sign-in B's state: B's nonce is not in the token."""
    c = browser()
    sub = new_subject(provider)
    code_a = parse_qs(urlsplit(provider.authorize(start(c), sub)).query)["code"][0]
    state_b = parse_qs(urlsplit(start(c)).query)["state"][0]  # B's cookie replaces A's
    r = c.get(f"/auth/oidc/callback?code={code_a}&state={state_b}", follow_redirects=False)
    assert r.status_code == 400
    assert "nonce" in r.text
    assert c.get("/api/me").status_code == 401


def test_an_expired_id_token_is_refused(settings: Settings) -> None:
    with run_oidc_provider(token_max_age=-120) as expiring:
        app = create_app(oidc_settings(settings, expiring, oidc_clock_skew_seconds=5))
        with TestClient(app, base_url="https://testserver") as c:
            sub = new_subject(expiring)
            r = sign_in(c, expiring, sub)
            assert r.status_code == 400
            assert "expired" in r.text.lower()
            assert c.get("/api/me").status_code == 401


def test_the_role_claim_makes_an_admin_and_takes_it_back(
    browser: Callable[..., TestClient], provider: OidcProvider
) -> None:
    signup(browser(), email="first@example.com")  # someone else is the first account
    sub = new_subject(provider, groups=["staff", "admin"])
    c = browser(oidc_role_claim="groups")
    assert sign_in(c, provider, sub).status_code == 303
    assert c.get("/api/me").json()["role"] == "admin"
    provider.set_user(sub, email=f"{sub}@example.com", groups=["staff"])
    c2 = browser(oidc_role_claim="groups")
    assert sign_in(c2, provider, sub).status_code == 303
    assert c2.get("/api/me").json()["role"] == "photographer"


class _Landing(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[str] = []
        self.links: dict[str, str] = {}
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append(a.get("action") or "")
        if tag == "a":
            self._href = a.get("href")

    def handle_data(self, data: str) -> None:
        if self._href and data.strip():
            self.links[data.strip()] = self._href

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._href = None


def landing(c: TestClient) -> _Landing:
    page = _Landing()
    page.feed(c.get("/").text)
    return page


def test_the_landing_page_offers_the_provider(browser: Callable[..., TestClient]) -> None:
    page = landing(browser())
    assert page.links["Sign in with Test IdP"] == "/auth/oidc/login"
    assert {"/login", "/signup"} <= set(page.forms)


def test_the_button_name_defaults_to_the_issuers_host(settings: Settings, provider: OidcProvider) -> None:
    app = create_app(oidc_settings(settings, provider, oidc_name=""))
    with TestClient(app, base_url="https://testserver") as c:
        assert landing(c).links["Sign in with 127.0.0.1"] == "/auth/oidc/login"


def test_password_login_off_leaves_only_the_provider(
    browser: Callable[..., TestClient], provider: OidcProvider
) -> None:
    c = browser(password_login=False)
    page = landing(c)
    assert "Sign in with Test IdP" in page.links
    assert "/login" not in page.forms and "/signup" not in page.forms
    body = {"email": "pw@example.com", "password": PASSWORD, "name": "Pw"}
    assert_error(c.post("/api/auth/signup", json=body), 403, "password_login_disabled")
    assert_error(c.post("/api/auth/login", json=body), 403, "password_login_disabled")
    anon = c.cookies.get("eventlens_csrf")
    r = c.post("/signup", data=body | {"csrf_token": anon}, follow_redirects=False)
    assert r.status_code == 403 and "turned off" in r.text
    assert c.get("/api/me").status_code == 401
    assert sign_in(c, provider, new_subject(provider)).status_code == 303
    assert c.get("/api/me").status_code == 200


def test_sign_up_closed_refuses_a_new_provider_account(
    browser: Callable[..., TestClient], provider: OidcProvider
) -> None:
    signup(browser(), email="admin@example.com")
    c = browser(signup_open=False)
    r = sign_in(c, provider, new_subject(provider))
    assert r.status_code == 403 and "closed" in r.text
    assert c.get("/api/me").status_code == 401


def test_after_sign_in_only_a_local_path_is_followed(
    browser: Callable[..., TestClient], provider: OidcProvider
) -> None:
    sub = new_subject(provider)
    for asked, landed in [
        ("/tokens", "/tokens"),
        ("//evil.example/x", "/events"),
        ("https://evil.example", "/events"),
    ]:
        c = browser()
        back = provider.authorize(start(c, f"/auth/oidc/login?next={asked}"), sub)
        assert c.get(back, follow_redirects=False).headers["location"] == landed


def test_an_unreachable_provider_is_a_clear_503_page_and_the_app_still_starts(settings: Settings) -> None:
    down = with_settings(settings, oidc_issuer=f"http://127.0.0.1:{free_port()}", oidc_client_id=CLIENT_ID)
    with TestClient(create_app(down), base_url="https://testserver") as c:
        assert c.get("/healthz").status_code == 200
        r = c.get("/auth/oidc/login", follow_redirects=False)
        assert r.status_code == 503
        assert "text/html" in r.headers["content-type"]
        assert "cannot be reached" in r.text
        assert r.headers["retry-after"]


def test_without_a_provider_the_routes_are_404(client: TestClient) -> None:
    assert client.get("/auth/oidc/login", follow_redirects=False).status_code == 404
    assert client.get("/auth/oidc/callback?code=x&state=y", follow_redirects=False).status_code == 404
    assert "/auth/oidc/login" not in client.get("/").text
