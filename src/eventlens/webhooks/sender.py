"""One try of one webhook: sign the body (Standard Webhooks), POST it to the checked address, time it.

Signing uses the ``standardwebhooks`` library, so receivers can verify with it (or any Standard Webhooks
implementation). The connection goes to the address ``addresses.checked_address`` approved, with the
URL's host name in the Host header and TLS's server name, so the certificate is still checked against
the name, and a DNS answer that changes between check and connect cannot redirect the try.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from eventlens.webhooks.addresses import UnsafeUrl, checked_address, parse

MAX_RESPONSE_BYTES = 4096  # what we read of an answer: enough for an error excerpt, never a flood
EXCERPT_CHARS = 200
USER_AGENT = "EventLens-Webhooks/1"


@dataclass(frozen=True)
class TryResult:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_headers(secret: str, message_id: str, body: str, now: datetime | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``."""
    when = (now or datetime.now(UTC)).replace(microsecond=0)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, when, body),
    }


def send(
    url: str, secret: str, message_id: str, body: str, *, allow_private: bool, timeout: float
) -> TryResult:
    """POST ``body`` to ``url``, signed; never raises for what the endpoint or network does."""
    started = time.perf_counter()

    def done(status: int | None, error: str | None) -> TryResult:
        return TryResult(status, error, int((time.perf_counter() - started) * 1000))

    try:
        target = parse(url)
        ip = checked_address(target, allow_private=allow_private)
    except UnsafeUrl as exc:
        return done(None, f"URL refused: {exc}")
    literal = f"[{ip}]" if ip.version == 6 else str(ip)
    default_port = 443 if target.scheme == "https" else 80
    host_header = f"[{target.host}]" if ":" in target.host else target.host
    if target.port != default_port:
        host_header += f":{target.port}"
    headers = {
        "Host": host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signed_headers(secret, message_id, body),
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream(
                "POST",
                f"{target.scheme}://{literal}:{target.port}{target.path}",
                content=body.encode(),
                headers=headers,
                extensions=extensions,
            ) as response,
        ):
            excerpt = b""
            deadline = started + 2 * timeout  # a body trickled a byte at a time ends here too
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= MAX_RESPONSE_BYTES or time.perf_counter() > deadline:
                    break
    except httpx.TimeoutException:
        return done(None, f"no answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        return done(None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return done(response.status_code, None)
    text = excerpt[:EXCERPT_CHARS].decode("utf-8", "replace").strip()
    return done(response.status_code, f"HTTP {response.status_code}" + (f": {text}" if text else ""))
