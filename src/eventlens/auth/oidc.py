"""The configured OpenID Connect provider: discovery, keys, code exchange, token verification.

Nothing is fetched at import or start-up: the discovery document and the JWKS are fetched at first use
and kept, so a provider that is down makes sign-in fail with a clear 503, never the app's start. Keys are
fetched again when a token names a key id we do not hold (the provider rotated its keys), at most once a
minute. JWTs are parsed and verified by joserfc only.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from eventlens.auth.service import ExternalIdentity
from eventlens.errors import ApiError, Unavailable

log = logging.getLogger("eventlens.auth.oidc")

# Signatures with a provider's public keys; never HS256 (the key set is public).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
HTTP_TIMEOUT = 10.0
KEYS_REFRESH_EVERY = 60.0  # seconds between two fetches of the JWKS for an unknown key id
MAX_DOCUMENT_BYTES = 1_000_000


@dataclass(frozen=True)
class OidcConfig:
    """The provider as plain values, read from the settings by the wiring."""

    issuer: str
    client_id: str
    client_secret: str | None
    scopes: str
    redirect_uri: str
    name: str
    role_claim: str = ""
    authorized_parties: tuple[str, ...] = ()
    leeway: int = 30


def display_name(issuer: str) -> str:
    """A name for the sign-in button when none is configured: the issuer's host without ``www.``."""
    host = urlsplit(issuer).hostname or issuer
    return host.removeprefix("www.")


class ProviderUnavailable(Unavailable):
    def __init__(self, why: str) -> None:
        super().__init__(
            "identity_provider_unavailable",
            f"The sign-in provider cannot be reached right now ({why}). Try again in a minute.",
            retry_after=30,
        )


class TokenRejected(ApiError):
    """A token that is not valid for us: 401 (a Bearer JWT) or 400 (a sign-in's ID token)."""

    def __init__(self, message: str, status: int = 401, code: str = "unauthorized") -> None:
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        super().__init__(status, code, message, headers=headers)


def s256(verifier: str) -> str:
    """The PKCE code challenge of a verifier (RFC 7636, method S256)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass
class _Cache:
    metadata: dict[str, Any] | None = None
    keys: KeySet | None = None
    keys_fetched_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class IdentityProvider:
    """One provider, shared by every request of the process (thread-safe)."""

    def __init__(self, config: OidcConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._http = httpx.Client(timeout=HTTP_TIMEOUT, transport=transport, follow_redirects=False)
        self._cache = _Cache()

    # --- documents, fetched at first use
    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = self._http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            log.warning("oidc.unreachable url=%s error=%s", url, exc)
            raise ProviderUnavailable(f"{type(exc).__name__} for {url}") from exc
        if response.status_code != 200 or len(response.content) > MAX_DOCUMENT_BYTES:
            raise ProviderUnavailable(f"HTTP {response.status_code} for {url}")
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderUnavailable(f"no JSON at {url}") from exc
        if not isinstance(body, dict):
            raise ProviderUnavailable(f"no JSON object at {url}")
        return body

    def metadata(self) -> dict[str, Any]:
        """The discovery document, checked to be the configured issuer's."""
        cached = self._cache.metadata
        if cached is not None:
            return cached
        url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        doc = self._get_json(url)
        if str(doc.get("issuer", "")).rstrip("/") != self.config.issuer.rstrip("/"):
            raise ProviderUnavailable(f"the discovery document names another issuer: {doc.get('issuer')!r}")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(doc.get(key), str):
                raise ProviderUnavailable(f"the discovery document has no {key}")
        self._cache.metadata = doc
        return doc

    @property
    def issuer(self) -> str:
        """The issuer exactly as the provider writes it (tokens must carry this value)."""
        return str(self.metadata()["issuer"])

    @property
    def link_issuer(self) -> str:
        """The issuer accounts are linked by: the configured one without a trailing slash (no fetch)."""
        return self.config.issuer.rstrip("/")

    def keys(self, *, refresh: bool = False) -> KeySet:
        cache = self._cache
        with cache.lock:
            stale = refresh and time.monotonic() - cache.keys_fetched_at > KEYS_REFRESH_EVERY
            if cache.keys is None or stale:
                doc = self._get_json(str(self.metadata()["jwks_uri"]))
                try:
                    cache.keys = KeySet.import_key_set(doc)  # type: ignore[arg-type]
                except (JoseError, ValueError, TypeError, KeyError) as exc:
                    raise ProviderUnavailable("its JWKS holds no usable key") from exc
                cache.keys_fetched_at = time.monotonic()
                log.info("oidc.keys_fetched count=%d", len(cache.keys.keys))
            return cache.keys

    # --- sign-in
    def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        params = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": self.config.redirect_uri,
            "scope": self.config.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": s256(code_verifier),
            "code_challenge_method": "S256",
        }
        endpoint = str(self.metadata()["authorization_endpoint"])
        return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)

    def exchange_code(self, *, code: str, code_verifier: str) -> str:
        """The ID token the provider gives for an authorization code."""
        meta = self.metadata()
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.config.redirect_uri,
            "code_verifier": code_verifier,
            "client_id": self.config.client_id,
        }
        auth: httpx.Auth | None = None
        if self.config.client_secret:
            methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
            if "client_secret_basic" in methods:
                auth = httpx.BasicAuth(self.config.client_id, self.config.client_secret)
            else:
                data["client_secret"] = self.config.client_secret
        try:
            response = self._http.post(
                str(meta["token_endpoint"]), data=data, auth=auth or httpx.USE_CLIENT_DEFAULT
            )
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"{type(exc).__name__} at its token endpoint") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            log.warning("oidc.code_refused status=%s error=%s", response.status_code, error)
            raise TokenRejected(
                f"The sign-in provider refused the sign-in ({error or response.status_code}). Try again.",
                status=400,
                code="oidc_failed",
            )
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise TokenRejected(
                "The provider sent no ID token (is `openid` among the scopes?).", 400, "oidc_failed"
            )
        return id_token

    # --- verification
    def _decode(self, value: str) -> dict[str, Any]:
        """The claims of a JWT whose signature is one of the provider's keys."""
        for refresh in (False, True):
            try:
                return dict(jwt.decode(value, self.keys(refresh=refresh), algorithms=ALGORITHMS).claims)
            except InvalidKeyIdError:
                continue
            except (JoseError, ValueError, TypeError) as exc:
                raise TokenRejected(f"The token is not valid: {type(exc).__name__}.") from exc
        raise TokenRejected("The token is signed with a key the provider does not publish.")

    def _check_times(self, claims: dict[str, Any], *, essential: dict[str, Any]) -> None:
        registry = jwt.JWTClaimsRegistry(
            leeway=self.config.leeway,
            iss={"essential": True, "value": self.issuer},
            sub={"essential": True},
            exp={"essential": True},
            **essential,
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise TokenRejected(f"The token is not valid: {exc.description or exc.error}.") from exc

    def verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """The claims of a sign-in's ID token: our client, this login's nonce, not expired."""
        try:
            claims = self._decode(id_token)
            self._check_times(claims, essential={"nonce": {"essential": True, "value": nonce}})
            audience = claims.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if self.config.client_id not in audiences:
                raise TokenRejected("The ID token was issued for another client.")
            if len(audiences) > 1 and claims.get("azp") != self.config.client_id:
                raise TokenRejected("The ID token's authorized party is another client.")
        except TokenRejected as exc:
            log.warning("oidc.id_token_rejected reason=%s", exc.message)
            raise TokenRejected(exc.message, status=400, code="oidc_failed") from exc
        return claims

    def verify_bearer(self, token: str) -> dict[str, Any]:
        """The claims of a session JWT (e.g. Clerk's) sent as ``Authorization: Bearer``: signed by the
        provider, ours (``azp`` among the authorized parties, or ``aud`` our client id), in its time."""
        claims = self._decode(token)
        self._check_times(claims, essential={})  # nbf and iat too, when present
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience] if audience else []
        azp = claims.get("azp")
        ours = (azp is not None and azp in self.config.authorized_parties) or (
            bool(self.config.client_id) and self.config.client_id in audiences
        )
        if self.config.authorized_parties and azp is not None and azp not in self.config.authorized_parties:
            ours = False  # a token handed to another front end is not ours, whatever its audience
        if not ours:
            raise TokenRejected("The token was issued for another application (azp / aud).")
        return claims

    def identity(self, claims: dict[str, Any]) -> ExternalIdentity:
        """Who verified claims name, for the account service."""
        email = claims.get("email")
        verified = claims.get("email_verified")
        return ExternalIdentity(
            issuer=self.link_issuer,
            subject=str(claims["sub"]),
            email=email if isinstance(email, str) else None,
            email_verified=verified if isinstance(verified, bool) else None,
            name=display_name_of(claims),
            admin=says_admin(claims, self.config.role_claim),
        )


def _claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by name, or by a dotted path into nested objects (``metadata.role``)."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def says_admin(claims: dict[str, Any], role_claim: str) -> bool | None:
    """Whether the role claim gives ``admin`` (a string, or a list holding it); None when not configured."""
    if not role_claim:
        return None
    value = _claim(claims, role_claim)
    if isinstance(value, str):
        return value.strip().lower() == "admin"
    if isinstance(value, list):
        return any(isinstance(v, str) and v.strip().lower() == "admin" for v in value)
    return False


def display_name_of(claims: dict[str, Any]) -> str | None:
    name = claims.get("name")
    if isinstance(name, str) and name.strip():
        return name
    parts = [claims.get("given_name"), claims.get("family_name")]
    joined = " ".join(p for p in parts if isinstance(p, str) and p.strip())
    if joined:
        return joined
    username = claims.get("preferred_username")
    return username if isinstance(username, str) and username.strip() else None
