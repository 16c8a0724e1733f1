"""A person signs in through the OpenID Connect provider's own page (oidc-provider-mock) in Chromium."""

from __future__ import annotations

import uuid
from typing import Any

from eventlens.config import Settings
from tests.support.live_server import LiveServer
from tests.support.oidc_provider import run_oidc_provider


def test_sign_in_with_the_provider_creates_the_account_and_lands_on_events(
    settings: Settings, browser: Any
) -> None:
    with run_oidc_provider() as provider:
        sub = f"person-{uuid.uuid4().hex[:8]}"
        provider.set_user(sub, email=f"{sub}@example.com", email_verified=True, name="Robin Lens")
        values = settings.model_dump() | {
            "oidc_issuer": provider.issuer,
            "oidc_client_id": "eventlens-browser",
            "oidc_client_secret": "browser-secret",
            "oidc_name": "Mock IdP",
            "password_login": False,
        }
        with LiveServer(Settings(**values)) as server:
            page = browser.new_page()
            try:
                page.goto(server.url)
                assert page.locator("#login-email").count() == 0  # password sign-in is off
                page.get_by_role("link", name="Sign in with Mock IdP").click()
                page.wait_for_url(f"{provider.issuer}/oauth2/authorize?**")
                page.get_by_placeholder("sub").fill(sub)
                page.get_by_role("button", name="Authorize").click()
                page.wait_for_url(f"{server.url}/events")
                me = page.evaluate("() => fetch('/api/me').then((r) => r.json())")
                assert me["email"] == f"{sub}@example.com"
                assert me["name"] == "Robin Lens"
            finally:
                page.close()
