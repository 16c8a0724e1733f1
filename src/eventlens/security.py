"""Headers every answer carries, and which Host names the app answers to.

- A strict Content-Security-Policy: the pages load only their own scripts, styles and images (plus the
  object store's origin, where image routes redirect to signed URLs), and no one may frame them.
- nosniff, a Referrer-Policy that keeps guest passes (``?t=``) inside the site, and HSTS when the app
  is served over https.
- Host names other than the base URL's (and loopback, for health checks) get a 400 before any route
  runs, so no redirect or link can be built from a forged ``Host`` header. The 400 is the app's own
  error answer (JSON under ``/api``, the error page elsewhere), built as if the base URL's host had
  been asked.

The wiring puts this outside everything else, Starlette's catch-all for unhandled exceptions
included, so a 500 carries the headers too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
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
        refuse_host: Callable[[Request], Awaitable[Response]] | None = None,
    ) -> None:
        self.app = app
        self.hosts = hosts
        self.own_host = urlsplit(base_url).netloc or "localhost"
        self.refuse_host = refuse_host
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

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _v in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in self.headers if k not in present),
                ]
            await send(message)

        if self.hosts is not None:
            host = (Headers(scope=scope).get("host") or "").lower()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in self.hosts:
                await self._refuse(scope, receive, with_headers)
                return
        await self.app(scope, receive, with_headers)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.refuse_host is None:
            answer: Response = PlainTextResponse("Unknown host name.", status_code=400)
        else:
            # The answer is built for the site's own host: a page's links never name the forged one.
            scope = dict(scope)
            MutableHeaders(scope=scope)["host"] = self.own_host
            answer = await self.refuse_host(Request(scope, receive))
        await answer(scope, receive, send)
