"""Screenshots of the photographer's dashboard and the guest page, on a phone and a desktop, for review.

    python bench/screens.py [--dataset DIR] [--photos 24] [--out bench/out/screens]

Starts a throw-away install (temp SQLite and data dir) on a free local port with its job consumer,
signs up, creates an event with dates, uploads ``--photos`` photos of the face dataset (default
../shared/datasets/faces; any folder of JPEGs with faces will do, the bigger the better), waits until
they are processed, publishes, and drives Debian's Chromium (/usr/bin/chromium) with Playwright:

- dashboard-desktop-*.png (1280 px) and dashboard-phone-*.png (390 px): each tab and the lightbox;
- guest-desktop-*.png and guest-phone-*.png: the hero, the results of a selfie search, the lightbox,
  in light and dark colour schemes.

The files go to bench/out/screens (git-ignored). Nothing is measured: it is for looking at.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import Page, sync_playwright

from eventlens.app import create_app
from eventlens.config import Settings
from eventlens.migrate import upgrade

REPO = Path(__file__).resolve().parents[1]
DATASET = REPO.parent / "shared" / "datasets" / "faces"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "correct horse battery staple"
SELFIE_PERSON = "Angelina_Jolie"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(settings: Settings) -> tuple[uvicorn.Server, threading.Thread]:
    port = int(settings.base_url.rsplit(":", 1)[1])
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, run_jobs=True), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread


def pick_photos(dataset: Path, count: int) -> tuple[list[Path], Path]:
    """Photos for the event (the selfie's person among them) and the selfie, kept out of the event."""
    person = sorted((dataset / "identities" / SELFIE_PERSON).glob("*.jpg"))
    if len(person) < 4:
        raise SystemExit(f"{dataset} needs identities/{SELFIE_PERSON}/*.jpg (4 or more)")
    others = [p for p in sorted(dataset.glob("identities/*/*.jpg")) if p.parent.name != SELFIE_PERSON]
    groups = sorted(dataset.glob("groups/*.jpg"))[:3]
    photos = [*person[:-1], *groups, *others[: max(0, count - len(person) + 1 - len(groups))]]
    return photos[:count], person[-1]


def setup_event(page: Page, base: str, photos: list[Path]) -> dict[str, Any]:
    api = page.request
    r = api.post(
        f"{base}/api/auth/signup", data={"email": "ana@example.com", "password": PASSWORD, "name": "Ana Lens"}
    )
    assert r.ok, r.text()
    csrf = {"X-CSRF-Token": r.headers["x-csrf-token"]}
    event = api.post(
        f"{base}/api/events",
        data={
            "name": "Harbour Festival 2026",
            "description": "Three days of music by the water.",
            "starts_at": "2026-06-12T16:00:00Z",
            "ends_at": "2026-06-14T22:00:00Z",
        },
        headers=csrf,
    ).json()
    for n, photo in enumerate(photos):
        # Playwright's multipart takes one value per name: one request per file.
        part = {"name": f"{n:02d}-{photo.name}", "mimeType": "image/jpeg", "buffer": photo.read_bytes()}
        up = api.post(f"{base}/api/events/{event['id']}/photos", multipart={"files": part}, headers=csrf)
        assert up.status in (200, 201), up.text()
    deadline = time.monotonic() + 600
    while True:
        counts = api.get(f"{base}/api/events/{event['id']}").json()["counts"]["photos"]
        if counts["indexed"] + counts["failed"] >= len(photos):
            break
        assert time.monotonic() < deadline, counts
        time.sleep(0.5)
    log(f"processed: {counts}")
    assert api.post(f"{base}/api/events/{event['id']}/publish", headers=csrf).ok
    return dict(event)


def shoot(page: Page, out: Path, name: str, *, full: bool = True) -> None:
    page.wait_for_timeout(300)  # lazy thumbnails and fonts settle
    page.screenshot(path=str(out / f"{name}.png"), full_page=full)
    log(f"wrote {name}.png")


def dashboard(browser: Any, base: str, state: Any, event: dict[str, Any], out: Path) -> None:
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport, storage_state=state, timezone_id="Europe/Berlin")
        page = context.new_page()
        for tab in ("photos", "share", "upload", "settings"):
            page.goto(f"{base}/events/{event['id']}#{tab}")
            page.wait_for_load_state("networkidle")
            for img in page.locator(f"#{tab} img").all():
                img.scroll_into_view_if_needed()
            page.evaluate("window.scrollTo(0, 0)")
            shoot(page, out, f"dashboard-{label}-{tab}")
        page.goto(f"{base}/events/{event['id']}#photos")
        picks = page.locator("#photo-grid .pick")
        picks.nth(1).check()
        picks.nth(4).click(modifiers=["Shift"])
        shoot(page, out, f"dashboard-{label}-selected", full=False)
        page.locator("#photo-grid .thumb").nth(2).click()
        page.locator("#lightbox .face-box").first.wait_for()
        shoot(page, out, f"dashboard-{label}-lightbox", full=False)
        context.close()


def guest(browser: Any, base: str, event: dict[str, Any], selfie: Path, out: Path) -> None:
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport=viewport, color_scheme=scheme, has_touch=label == "phone")
            page = context.new_page()
            page.goto(f"{base}/e/{event['slug']}")
            page.wait_for_load_state("networkidle")
            shoot(page, out, f"guest-{label}-{scheme}-start")
            with page.expect_response(lambda res: res.url.split("?")[0].endswith("/search")):
                page.set_input_files("#file-input", str(selfie))
            page.locator("#grid img").first.wait_for()
            page.wait_for_load_state("networkidle")
            shoot(page, out, f"guest-{label}-{scheme}-results")
            page.locator("#grid .thumb").first.click()
            page.wait_for_function("() => document.getElementById('lightbox-img').complete")
            shoot(page, out, f"guest-{label}-{scheme}-lightbox", full=False)
            context.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", type=Path, default=DATASET, help="folder with identities/<name>/*.jpg")
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "screens")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    photos, selfie = pick_photos(args.dataset, args.photos)
    with tempfile.TemporaryDirectory(prefix="eventlens-screens-") as tmp:
        url = f"sqlite:///{tmp}/screens.db"
        upgrade(url)
        base = f"http://127.0.0.1:{free_port()}"
        settings = Settings(
            data_dir=Path(tmp) / "data",
            database_url=url,
            secret_key="screens",
            base_url=base,
            search_rate_limit="1000/minute",
            log_level="WARNING",
        )
        server, thread = serve(settings)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context()
                page = context.new_page()
                event = setup_event(page, base, photos)
                state = context.storage_state()
                context.close()
                dashboard(browser, base, state, event, args.out)
                guest(browser, base, event, selfie, args.out)
                browser.close()
        finally:
            server.should_exit = True
            thread.join(30)
    log(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
