"""The event page's FTP panel: where to connect, camera steps, make a login (password once), revoke it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories import create_event, signup
from tests.web.test_account_pages import form, parse


def test_the_panel_makes_shows_once_and_revokes_a_login(client: TestClient) -> None:
    signup(client)
    event = create_event(client, name="Gala 2026")
    url = f"/events/{event['id']}"
    html = client.get(url).text
    page = parse(html)
    assert "Upload from the camera (FTPS)" in page.text and "No FTP logins yet." in page.text
    assert "<code>testserver</code>" in html and "<code>2121</code>" in html  # server and port
    assert "explicit" in html and "passive" in html  # the camera settings that matter
    assert re.search(r'<script type="module" src="[^"]*/static/ftp-panel\.js">', html)
    assert "data-copy=" in html and "<script>" not in html  # copy buttons, no inline script

    create = form(page, f"{url}/ftp-credentials")
    r = client.post(f"{url}/ftp-credentials", data=create | {"label": "Body 2", "expires_in_hours": "24"})
    assert r.status_code == 200, r.text
    [login] = client.get(f"/api/events/{event['id']}/ftp-credentials").json()["items"]
    assert login["label"] == "Body 2" and login["expires_at"] is not None
    password = re.search(r"<dd><code>([a-z0-9-]{23})</code>", r.text)
    assert password, r.text
    assert login["username"] in r.text and "shown only this once" in r.text
    again = client.get(url).text
    assert login["username"] in again and password.group(1) not in again  # never shown again

    revoke = form(parse(again), f"{url}/ftp-credentials/{login['id']}/revoke")
    r = client.post(f"{url}/ftp-credentials/{login['id']}/revoke", data=revoke, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{url}#ftp"
    assert client.get(f"/api/events/{event['id']}/ftp-credentials").json()["items"] == []


def test_forms_need_the_csrf_token_and_a_valid_expiry(client: TestClient) -> None:
    signup(client)
    event = create_event(client)
    url = f"/events/{event['id']}"
    r = client.post(f"{url}/ftp-credentials", data={"csrf_token": "forged", "label": "x"})
    assert r.status_code == 200 and "Your form expired" in r.text
    token = form(parse(client.get(url).text), f"{url}/ftp-credentials")["csrf_token"]
    r = client.post(f"{url}/ftp-credentials", data={"csrf_token": token, "expires_in_hours": "soon"})
    assert "Choose how long the login stays valid" in r.text
    assert client.get(f"/api/events/{event['id']}/ftp-credentials").json()["items"] == []


def test_the_copy_script_is_served(client: TestClient) -> None:
    r = client.get("/static/ftp-panel.js")
    assert (
        r.status_code == 200
        and "clipboard" in r.text
        and "data-copy" not in r.text.split("querySelectorAll")[0]
    )
