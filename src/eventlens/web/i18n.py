"""User-facing strings live in ``locales/<lang>.json``: one place, so a translation is one new file."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "en"


@cache
def catalogue(locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    """The strings of one locale, falling back to English for keys it lacks."""
    base: dict[str, str] = json.loads((LOCALES_DIR / f"{DEFAULT_LOCALE}.json").read_text("utf-8"))
    if locale != DEFAULT_LOCALE and (LOCALES_DIR / f"{locale}.json").exists():
        base = base | json.loads((LOCALES_DIR / f"{locale}.json").read_text("utf-8"))
    return base


class Translator:
    """``t(key, **values)`` in templates and code; an unknown key is a bug, so it raises."""

    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        self.locale = locale
        self.strings = catalogue(locale)

    def __call__(self, key: str, **values: object) -> str:
        text = self.strings[key]
        return text.format(**values) if values else text

    def subset(self, prefix: str) -> dict[str, str]:
        """Strings whose key starts with ``prefix`` (handed to page scripts as JSON)."""
        return {k: v for k, v in self.strings.items() if k.startswith(prefix)}
