"""API calls with a provider's JWT (a Clerk session token, say) as ``Authorization: Bearer``.

The test is the provider: it signs tokens with a key of its own and serves the discovery document and
the JWKS from a real HTTP server on loopback, which the app fetches once and then verifies against.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from eventlens.app import create_app
from eventlens.config import Settings
from tests.factories import api_token, assert_error, signup
from tests.support.processes import free_port

FRONTEND = "https://app.example.com"
CLIENT_ID = "eventlens-test"


class JwksServer:
    """Discovery + JWKS on a real socket; counts how often the JWKS was fetched."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.jwks_fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body: dict[str, Any] = {
                        "issuer": server.issuer,
                        "authorization_endpoint": f"{server.issuer}/authorize",
                        "token_endpoint": f"{server.issuer}/token",
                        "jwks_uri": f"{server.issuer}/jwks",
                    }
                elif self.path == "/jwks":
                    server.jwks_fetches += 1
                    body = KeySet([server.key]).as_dict(private=False)
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def sign(self, key: Any = None, alg: str = "RS256", **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "sub": "user_1",
            "azp": FRONTEND,
            "iat": now,
            "nbf": now - 5,
            "exp": now + 60,
        }
        body |= claims
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode({"alg": alg, "kid": "k1"}, body, key or self.key)


@pytest.fixture(scope="module")
def provider() -> Iterator[JwksServer]:
    server = JwksServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()


@pytest.fixture
def api(settings: Settings, provider: JwksServer) -> Iterator[TestClient]:
    values = settings.model_dump() | {
        "oidc_issuer": provider.issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_authorized_parties": f"{FRONTEND}, https://other-allowed.example.com",
    }
    with TestClient(create_app(Settings(**values)), base_url="https://testserver") as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def subject() -> str:
    return f"user_{uuid.uuid4().hex[:12]}"


def test_a_valid_token_is_accepted_and_its_account_made_once(api: TestClient, provider: JwksServer) -> None:
    sub = subject()
    token = provider.sign(sub=sub, email=f"{sub}@example.com", name="Clerk User")
    r = api.get("/api/me", headers=bearer(token))
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["email"] == f"{sub}@example.com" and me["name"] == "Clerk User"
    # The next call (without the e-mail claim, as Clerk's default session token) finds the same account.
    again = api.get("/api/me", headers=bearer(provider.sign(sub=sub)))
    assert again.json()["id"] == me["id"]
    # Writes need no CSRF token: a Bearer header is not sent by browsers on their own.
    created = api.post("/api/events", json={"name": "Run"}, headers=bearer(provider.sign(sub=sub)))
    assert created.status_code == 201, created.text
    # The JWKS was fetched once, not per request.
    assert provider.jwks_fetches == 1


def test_audience_of_the_client_id_is_accepted_too(api: TestClient, provider: JwksServer) -> None:
    sub = subject()
    token = provider.sign(sub=sub, email=f"{sub}@example.com", azp=None, aud=CLIENT_ID)
    assert api.get("/api/me", headers=bearer(token)).status_code == 200


OTHER_APP = "issued for another application"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": "https://evil.example.com"}, "'iss'"),  # another issuer
        ({"exp": int(time.time()) - 120}, "expired"),  # beyond the leeway
        ({"nbf": int(time.time()) + 600}, "not yet valid"),
        ({"azp": "https://evil.example.com"}, OTHER_APP),  # another front end
        ({"azp": "https://evil.example.com", "aud": CLIENT_ID}, OTHER_APP),  # whatever the audience
        ({"azp": None}, OTHER_APP),  # no authorized party and no audience
        ({"azp": None, "aud": "another-client"}, OTHER_APP),
        ({"exp": None}, "'exp'"),
        ({"sub": None}, "'sub'"),
    ],
)
def test_a_token_that_is_not_ours_is_401(
    api: TestClient, provider: JwksServer, claims: dict[str, Any], reason: str
) -> None:
    sub = subject()
    token = provider.sign(**({"sub": sub, "email": f"{sub}@example.com"} | claims))
    err = assert_error(api.get("/api/me", headers=bearer(token)), 401, "unauthorized")
    assert reason in err["message"]


def test_a_token_signed_by_another_key_is_401(api: TestClient, provider: JwksServer) -> None:
    sub = subject()
    claims = {"sub": sub, "email": f"{sub}@example.com"}
    forged = provider.sign(key=RSAKey.generate_key(2048, parameters={"kid": "k1"}), **claims)
    assert_error(api.get("/api/me", headers=bearer(forged)), 401, "unauthorized")
    # The public key used as an HMAC secret (algorithm confusion) is refused as well.
    hmac_key = OctKey.import_key(json.dumps(provider.key.as_dict(private=False)).encode())
    confused = provider.sign(key=hmac_key, alg="HS256", **claims)
    assert_error(api.get("/api/me", headers=bearer(confused)), 401, "unauthorized")
    # The signature of a valid token, on other claims.
    header, _, signature = provider.sign(**claims).split(".")
    _, payload, _ = provider.sign(sub=subject()).split(".")
    assert_error(api.get("/api/me", headers=bearer(f"{header}.{payload}.{signature}")), 401)


def test_an_unknown_subject_without_an_email_is_401_with_a_reason(
    api: TestClient, provider: JwksServer
) -> None:
    err = assert_error(api.get("/api/me", headers=bearer(provider.sign(sub=subject()))), 401)
    assert "sign in once" in err["message"]


def test_an_email_of_an_existing_password_account_is_not_taken_over(
    api: TestClient, provider: JwksServer
) -> None:
    signup(api, email="owner@example.com")
    api.cookies.clear()
    token = provider.sign(sub=subject(), email="owner@example.com")
    err = assert_error(api.get("/api/me", headers=bearer(token)), 401)
    assert "already exists" in err["message"]


def test_api_tokens_still_work_beside_jwts(api: TestClient) -> None:
    signup(api)
    token = api_token(api)
    api.cookies.clear()
    assert api.get("/api/me", headers=bearer(token)).status_code == 200
    assert_error(api.get("/api/me", headers=bearer("elt_not-a-token")), 401)
    assert_error(api.get("/api/me", headers=bearer("not.a.jwt")), 401)


def test_without_a_provider_a_jwt_is_just_an_unknown_token(client: TestClient, provider: JwksServer) -> None:
    token = provider.sign(sub=subject(), email="x@example.com")
    assert_error(client.get("/api/me", headers=bearer(token)), 401)
