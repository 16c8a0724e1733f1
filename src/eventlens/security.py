"""Headers every answer carries, and which Host names the app answers to.

- A strict Content-Security-Policy: the pages load only their own scripts, styles and images (plus the
  object store's origin, where image routes redirect to signed URLs), and no one may frame them.
- nosniff, a Referrer-Policy that keeps guest passes (``?t=``) inside the site, and HSTS when the app
  is served over https.
- Host names other than the base URL's (and loopback, for health checks) get a 400 before any route
  runs, so no redirect or link can be built from a forged ``Host`` header.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def content_security_policy(image_origins: Iterable[str] = (), connect_origins: Iterable[str] = ()) -> str:
    images = " ".join(["'self'", "data:", "blob:", *image_origins])
    connect = " ".join(["'self'", *connect_origins])
    return "; ".join(
        [
            "default-src 'self'",
            f"img-src {images}",
            "media-src 'self' blob:",
            "script-src 'self'",
            "style-src 'self'",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def allowed_hosts(base_url: str, extra: Iterable[str]) -> frozenset[str] | None:
    """Host names to answer to; None means any (``*`` among the extra ones)."""
    extra = [h.strip().lower() for h in extra if h.strip()]
    if "*" in extra:
        return None
    own = (urlsplit(base_url).hostname or "").lower()
    return frozenset({own, *LOOPBACK_HOSTS, *extra} - {""})


class SecurityHeaders:
    """Pure ASGI (no buffering), so streamed answers (ZIPs, Server-Sent Events) pass through as they go."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        base_url: str,
        hosts: frozenset[str] | None,
        image_origins: Iterable[str],
        connect_origins: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.hosts = hosts
        self.headers = [
            (b"content-security-policy", content_security_policy(image_origins, connect_origins).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
        ]
        if base_url.startswith("https://"):
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.hosts is not None:
            host = (Headers(scope=scope).get("host") or "").lower()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in self.hosts:
                answer = PlainTextResponse("Unknown host name.", status_code=400, headers=self._plain())
                await answer(scope, receive, send)
                return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _v in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in self.headers if k not in present),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)

    def _plain(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.headers}
