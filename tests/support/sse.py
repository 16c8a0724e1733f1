"""Reading Server-Sent Events in tests: the dashboard's stream and the live screen's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event name, JSON data) for each event in a stream's text lines."""
    name, data = "message", ""
    for line in lines:
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data += line.split(":", 1)[1].strip()
        elif line == "" and data:
            yield name, json.loads(data)
            name, data = "message", ""
