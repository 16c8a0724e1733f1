"""Request and response bodies for accounts and API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from eventlens.models import Role


class SignupRequest(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=1024)
    name: str = Field(min_length=1, max_length=200)


class LoginRequest(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1024)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=8, max_length=1024)


MAX_PUBLIC_NAME = 100
MAX_WEBSITE = 300


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in text)


def check_public_name(value: str | None) -> str | None:
    """Blank clears it; otherwise one line of at most 100 characters."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > MAX_PUBLIC_NAME:
        raise ValueError(f"at most {MAX_PUBLIC_NAME} characters")
    if _has_control(text):
        raise ValueError("no control characters or line breaks")
    return text


def check_website(value: str | None) -> str | None:
    """Blank clears it; otherwise an absolute http(s) address with a host, nothing a browser would
    run (``javascript:``, ``data:``), no user name in it (``https://bank.example@evil.example``)."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > MAX_WEBSITE:
        raise ValueError(f"at most {MAX_WEBSITE} characters")
    if _has_control(text) or any(c.isspace() for c in text):
        raise ValueError("no spaces or control characters")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError as exc:
        raise ValueError("not a web address") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("must start with https:// or http://")
    if not host or "@" in parts.netloc:
        raise ValueError("must name a host, without a user name")
    return text


class ProfileUpdate(BaseModel):
    """What guests see of the photographer: a public name and a link (both optional; "" clears)."""

    public_name: str | None = Field(None, max_length=1000)
    website: str | None = Field(None, max_length=1000)

    _name = field_validator("public_name")(check_public_name)
    _site = field_validator("website")(check_website)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    role: Role
    created_at: datetime
    public_name: str | None = None
    website: str | None = None


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The token itself. Shown once: only its hash is kept.")


class TokenList(BaseModel):
    items: list[TokenRead]
    next_cursor: str | None = None


class WebhookResult(BaseModel):
    status: Literal["updated", "deactivated", "ignored"] = Field(
        description="What the message changed: `ignored` for other event types and for Clerk users "
        "with no account here (an account is made at the person's first sign-in)."
    )
