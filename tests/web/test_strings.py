"""User-facing strings live in the locale catalogue: every key a template or page uses exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import eventlens.web as web

WEB = Path(web.__file__).parent
KEY_RE = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")


def _used_keys() -> set[str]:
    used: set[str] = set()
    for path in [*WEB.rglob("*.html"), *WEB.rglob("*.py"), *WEB.rglob("*.js")]:
        used |= set(KEY_RE.findall(path.read_text("utf-8")))
    return used


def test_every_used_string_key_exists_in_english() -> None:
    catalogue = json.loads((WEB / "locales" / "en.json").read_text("utf-8"))
    used = _used_keys()
    assert used, "no t(...) calls found: the scan is broken"
    # t("events.status." ~ status) builds the key: the prefix must have entries
    prefixes = {k for k in used if k.endswith(".")}
    missing = sorted(used - prefixes - set(catalogue))
    missing += sorted(p for p in prefixes if not any(k.startswith(p) for k in catalogue))
    assert not missing, f"keys used but missing from en.json: {missing}"


def test_catalogue_has_no_empty_strings() -> None:
    catalogue = json.loads((WEB / "locales" / "en.json").read_text("utf-8"))
    assert all(isinstance(v, str) and v.strip() for v in catalogue.values())


def test_the_guest_pages_script_strings_exist() -> None:
    catalogue = json.loads((WEB / "locales" / "en.json").read_text("utf-8"))
    used = set(
        re.findall(r"""\bsay\(\s*["']([a-z_]+)["']""", (WEB / "static" / "guest.js").read_text("utf-8"))
    )
    assert used, "no say(...) calls found: the scan is broken"
    assert not sorted(k for k in used if f"guest.{k}" not in catalogue)
