"""The pages: the guest page offers the removal; the event page lists requests and takes the decision."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.hiding.conftest import JOLIE, JOLIE_SELFIE


class Requests(HTMLParser):
    """The removal requests on the event page: each one's id and its thumbnails."""

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, list[str]] = {}
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "li" and "removal-request" in (a.get("class") or ""):
            self._current = a["data-request-id"] or ""
            self.items[self._current] = []
        elif tag == "form":  # the request's buttons come after its thumbnails
            self._current = None
        elif tag == "img" and self._current is not None:
            self.items[self._current].append(a.get("src") or "")


def _requests(client: TestClient, event_id: str) -> dict[str, list[str]]:
    parser = Requests()
    parser.feed(client.get(f"/events/{event_id}").text)
    return parser.items


def test_the_guest_page_offers_removal_and_the_dashboard_lists_and_decides(
    client: TestClient, new_client: Any, gallery: dict[str, Any], dataset: Path
) -> None:
    guest, slug, event_id, ids = (
        new_client(),
        gallery["event"]["slug"],
        gallery["event"]["id"],
        gallery["ids"],
    )
    page = guest.get(f"/e/{slug}").text
    assert 'id="removal-form"' in page and 'id="removal-confirm"' in page
    assert _requests(client, event_id) == {}

    r = guest.post(
        f"/api/public/events/{slug}/removals",
        files=[("selfie", ("me.jpg", (dataset / JOLIE_SELFIE).read_bytes(), "image/jpeg"))],
        data={"confirm": "true"},
    )
    assert r.status_code == 201, r.text
    listed = _requests(client, event_id)
    assert list(listed) == [r.json()["id"]]
    assert sorted(listed[r.json()["id"]]) == sorted(f"/api/photos/{ids[n]}/thumbnail" for n in JOLIE)

    url = f"/events/{event_id}/removals/{r.json()['id']}/photos"
    assert client.post(url, data={"action": "hide", "csrf_token": "forged"}).status_code == 200
    assert client.get(f"/api/photos/{ids[JOLIE[0]]}").json()["hidden"] is False
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/events/{event_id}").text)
    assert m
    done = client.post(url, data={"action": "hide", "csrf_token": m.group(1)}, follow_redirects=False)
    assert done.status_code == 303
    assert all(client.get(f"/api/photos/{ids[n]}").json()["hidden"] for n in JOLIE)
    assert 'data-decision="hidden"' in client.get(f"/events/{event_id}").text
