"""Every setting is in the README's configuration table, with its default."""

from __future__ import annotations

import re
from pathlib import Path

from eventlens.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def _documented() -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in README.read_text().splitlines():
        m = re.match(r"^\|\s*`(EVENTLENS_[A-Z0-9_]+)`\s*\|([^|]*)\|", line)
        if m:
            rows[m.group(1)] = m.group(2).strip()
    return rows


def test_every_setting_is_documented_in_the_readme() -> None:
    documented = _documented()
    fields = {f"EVENTLENS_{name.upper()}" for name in Settings.model_fields}
    missing = sorted(fields - set(documented))
    assert not missing, f"settings missing from README.md's table: {missing}"
    unknown = sorted(set(documented) - fields)
    assert not unknown, f"README.md documents settings that don't exist: {unknown}"


def test_documented_defaults_match_the_code() -> None:
    documented = _documented()
    for name, field in Settings.model_fields.items():
        cell = documented[f"EVENTLENS_{name.upper()}"]
        default = field.default
        if default in (None, "") or cell.startswith("empty"):
            assert cell.startswith("empty"), f"{name}: default is {default!r} but README says {cell!r}"
            continue
        shown = str(default).lower() if isinstance(default, bool) else str(default)
        if isinstance(default, Path):
            shown = f"./{default}"
        assert f"`{shown}`" == cell, f"{name}: default {shown!r} but README says {cell!r}"
