"""`eventlens serve` as a real process on a real socket: migrations, first-run message, a full round trip."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.factories import PASSWORD
from tests.support.processes import clean_env, free_port, wait_healthy


def test_serve_starts_on_embedded_defaults_and_answers_over_a_socket(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env()
    env |= {"EVENTLENS_PORT": str(port), "EVENTLENS_COOKIE_SECURE": "false"}
    eventlens = Path(sys.executable).parent / "eventlens"
    proc = subprocess.Popen(
        [str(eventlens), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, lambda: proc.stdout.read() if proc.stdout else "")
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {
            "database": "ok",
            "storage": "ok",
            "rate_limits": "ok",
            "queue": "ok",
        }
        with httpx.Client(base_url=base) as browser:
            r = browser.post(
                "/api/auth/signup", json={"email": "a@example.com", "password": PASSWORD, "name": "A"}
            )
            assert r.status_code == 201 and r.json()["role"] == "admin"
            csrf = {"X-CSRF-Token": r.headers["X-CSRF-Token"]}
            token = browser.post("/api/tokens", json={"name": "cli"}, headers=csrf).json()["token"]
        me = httpx.get(f"{base}/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["email"] == "a@example.com"
        assert "<form" in httpx.get(base).text
        assert (tmp_path / "data" / "eventlens.db").exists()  # defaults: ./data beside where it runs
        assert (tmp_path / "data" / "objects").is_dir()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert "first account you create becomes the admin" in out
    assert "EVENTLENS_BASE_URL" in out  # guest links would point at this computer: say how to change it
    assert "WARN" not in out, out  # no library noise at start
    assert f"http://127.0.0.1:{port}" in out
    # uvicorn finishes its shutdown, then re-raises SIGTERM so the exit status says why it stopped
    assert "Application shutdown complete" in out
    assert proc.returncode in (0, -signal.SIGTERM), out
