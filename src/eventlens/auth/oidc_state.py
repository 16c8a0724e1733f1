"""What a sign-in remembers between ``/auth/oidc/login`` and the provider's redirect back.

The browser keeps it, in a short-lived cookie signed with the server secret (a JWT made by joserfc), so
any API process can finish a sign-in another one started: state (against forged callbacks), nonce
(against replayed ID tokens), the PKCE code verifier and where to go afterwards.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from eventlens.auth import tokens

COOKIE = "eventlens_oidc"
COOKIE_PATH = "/auth/oidc"
LIFETIME = 600  # seconds a person has at the provider's page
_PURPOSE = b"eventlens oidc sign-in state v1"


@dataclass(frozen=True)
class PendingSignIn:
    state: str
    nonce: str
    code_verifier: str
    next_url: str = "/events"


def _key(secret: str) -> OctKey:
    # A key of its own, derived from the server secret: this cookie can never pass for anything else.
    return OctKey.import_key(hashlib.sha256(_PURPOSE + secret.encode()).digest())


def start(next_url: str = "/events") -> PendingSignIn:
    return PendingSignIn(
        state=tokens.new_token(24),
        nonce=tokens.new_token(24),
        code_verifier=tokens.new_token(48),
        next_url=next_url,
    )


def seal(pending: PendingSignIn, secret: str) -> str:
    now = int(time.time())
    claims = {
        "state": pending.state,
        "nonce": pending.nonce,
        "cv": pending.code_verifier,
        "next": pending.next_url,
        "iat": now,
        "exp": now + LIFETIME,
    }
    return jwt.encode({"alg": "HS256"}, claims, _key(secret))


def unseal(value: str, secret: str) -> PendingSignIn | None:
    """The sign-in in progress, or None when the cookie is missing, forged or too old."""
    try:
        token = jwt.decode(value, _key(secret), algorithms=["HS256"])
        jwt.JWTClaimsRegistry(exp={"essential": True}).validate(token.claims)
        claims = token.claims
        return PendingSignIn(
            state=str(claims["state"]),
            nonce=str(claims["nonce"]),
            code_verifier=str(claims["cv"]),
            next_url=str(claims.get("next") or "/events"),
        )
    except (JoseError, ValueError, TypeError, KeyError):
        return None
