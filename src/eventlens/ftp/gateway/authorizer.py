"""Who may log in: the EventLens API decides, over HTTP, with the gateway's service token.

``login`` blocks (an HTTP call, an argon2 check on the other side); the handler runs it in a thread
pool, never on pyftpdlib's I/O loop. The rest is pyftpdlib's authorizer interface, which the handler
consults per command; every session has the same rights in its own upload area.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from pyftpdlib.exceptions import AuthenticationFailed, AuthorizerError

log = logging.getLogger("eventlens.ftp.gateway")

# e: CWD, l: LIST/NLST/SIZE/STAT, a: APPE, m: MKD, f: rename, w: STOR. No r (RETR), d (DELE/RMD),
# M (SITE CHMOD) or T (MFMT): a camera only ever adds photos.
PERMS = "elamfw"


@dataclass(frozen=True)
class Login:
    credential_id: uuid.UUID
    event_id: uuid.UUID
    event_slug: str
    event_name: str
    username: str


class LoginRefused(Exception):
    """The camera may not log in. ``code`` is the FTP reply code; ``disconnect`` ends the session."""

    def __init__(self, code: int, message: str, reason: str, *, disconnect: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.disconnect = disconnect


_FORBIDDEN_MESSAGES = {
    "credential_revoked": "This login was revoked; ask the photographer for a new one.",
    "credential_expired": "This login has expired; ask the photographer for a new one.",
    "event_archived": "The event is archived and takes no more photos.",
}


class ApiAuthorizer:
    def __init__(self, api_url: str, service_token: str, timeout: float = 15.0) -> None:
        self.api_url = api_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {service_token}"}
        self._timeout = timeout
        self._local = threading.local()  # one HTTP client (and its connections) per login thread

    def _client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(base_url=self.api_url, headers=self._headers, timeout=self._timeout)
            self._local.client = client
        return client

    def login(self, username: str, password: str, client_ip: str) -> Login:
        """Ask the API; raise :class:`LoginRefused` with the FTP reply to give. Blocking."""
        body = {"username": username, "password": password, "client_ip": client_ip}
        try:
            r = self._client().post("/api/internal/ftp/login", json=body)
        except httpx.HTTPError as exc:
            log.warning("ftp.login_unavailable user=%s ip=%s error=%s", username, client_ip, exc)
            raise LoginRefused(
                421,
                "The photo service cannot be reached; try again shortly.",
                "api_unreachable",
                disconnect=True,
            ) from exc
        if r.status_code == 200:
            data = r.json()
            return Login(
                credential_id=uuid.UUID(data["credential_id"]),
                event_id=uuid.UUID(data["event_id"]),
                event_slug=data["event_slug"],
                event_name=data["event_name"],
                username=username,
            )
        code = _error_code(r)
        if r.status_code == 429:
            wait = r.headers.get("Retry-After", "60")
            raise LoginRefused(
                421,
                f"Too many failed logins from your address; try again in {wait} seconds.",
                "rate_limited",
                disconnect=True,
            )
        if r.status_code == 401 and code == "invalid_credentials":
            raise LoginRefused(530, "Login incorrect.", code)
        if r.status_code == 403 and code in _FORBIDDEN_MESSAGES:
            raise LoginRefused(530, _FORBIDDEN_MESSAGES[code], code)
        # The gateway's own token refused, or the API failing: not the camera's fault.
        log.error("ftp.login_api_error user=%s status=%s code=%s", username, r.status_code, code)
        if code == "gateway_unauthorized":
            log.error(
                "ftp.login_unauthorized: the API refused the gateway's service token; give both the same "
                "EVENTLENS_FTP_SERVICE_TOKEN (or the same EVENTLENS_SECRET_KEY)"
            )
        raise LoginRefused(
            421,
            "The photo service is not available; try again shortly.",
            f"api_{r.status_code}",
            disconnect=True,
        )

    # --- pyftpdlib's authorizer interface

    def validate_authentication(self, username: str, password: str, handler: Any) -> None:
        raise AuthenticationFailed("logins are checked off the I/O loop by the handler")

    def get_home_dir(self, username: str) -> str:
        raise AuthorizerError("each session's home is made by the handler")

    def has_user(self, username: str) -> bool:
        return True

    def has_perm(self, username: str, perm: str, path: str | None = None) -> bool:
        return perm in PERMS

    def get_perms(self, username: str) -> str:
        return PERMS

    def get_msg_login(self, username: str) -> str:
        return "Logged in."

    def get_msg_quit(self, username: str) -> str:
        return "Goodbye."

    def impersonate_user(self, username: str, password: str) -> None:
        """Nothing to do: every session's files belong to the gateway's own system user."""

    def terminate_impersonation(self, username: str) -> None:
        """See impersonate_user."""


def _error_code(r: httpx.Response) -> str:
    try:
        return str(r.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "unknown"
