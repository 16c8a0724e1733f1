"""Counting the passwords actually checked (argon2 runs), for the rate-limit tests of HTTP and FTP."""

from __future__ import annotations

import threading

import pytest

from eventlens.auth import passwords


def count_password_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time a password is verified, from any thread."""
    seen: list[int] = []
    lock = threading.Lock()
    real = passwords.verify_password

    def counting(stored: str | None, password: str) -> bool:
        with lock:
            seen.append(1)
        return real(stored, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    return seen
