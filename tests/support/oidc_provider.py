"""A real OpenID Connect provider for the tests: ``oidc-provider-mock`` (PyPI) in a subprocess.

It serves discovery, JWKS, an authorization page (a person types a subject and clicks) and a token
endpoint, and signs ID tokens with its own RSA key. Any client id and secret are accepted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.processes import clean_env, free_port


@dataclass
class OidcProvider:
    issuer: str
    proc: subprocess.Popen[str]

    def set_user(self, sub: str, **claims: Any) -> None:
        """The claims the provider will put in ``sub``'s ID token."""
        r = httpx.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        assert r.status_code == 204, r.text

    def authorize(self, authorize_url: str, sub: str) -> str:
        """What a person does on the provider's page: sign in as ``sub``. Returns the redirect back."""
        r = httpx.post(authorize_url, data={"sub": sub}, timeout=10)
        assert r.status_code == 302, r.text
        return r.headers["location"]


@contextmanager
def run_oidc_provider(*, token_max_age: int | None = None) -> Iterator[OidcProvider]:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), "--require-nonce", "true"]
    if token_max_age is not None:
        args += ["--token-max-age", str(token_max_age)]
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, text=True, env=clean_env())

        def output() -> str:
            out.seek(0)
            return out.read()[-4000:]

        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    r = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
                    if r.status_code == 200 and json.loads(r.text)["issuer"] == issuer:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, f"the OIDC provider exited at start:\n{output()}"
                assert time.monotonic() < deadline, f"the OIDC provider did not start:\n{output()}"
                time.sleep(0.1)
            yield OidcProvider(issuer, proc)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
