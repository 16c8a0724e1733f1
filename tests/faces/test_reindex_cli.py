"""`eventlens faces reindex --event` takes the event's id or its link name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from eventlens.cli import app as cli
from eventlens.config import Settings
from tests.factories import create_event, run_jobs, signup, upload


def _env(settings: Settings) -> dict[str, str]:
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[f"EVENTLENS_{name.upper()}"] = str(value)
    return env


def test_reindex_by_link_name(client: TestClient, app: Any, settings: Settings, dataset: Path) -> None:
    signup(client)
    event = create_event(client, name="Reindex me")
    photo = dataset / "identities/Angelina_Jolie/1.jpg"
    assert upload(client, event["id"], ("a.jpg", photo.read_bytes())).status_code == 201
    run_jobs(app)
    before = client.get(f"/api/events/{event['id']}/photos").json()["items"][0]
    assert before["status"] == "indexed"

    runner = CliRunner()
    result = runner.invoke(cli, ["faces", "reindex", "--event", event["slug"]], env=_env(settings))
    assert result.exit_code == 0, result.output
    assert "Re-indexing 1 photos" in result.output
    after = client.get(f"/api/photos/{before['id']}").json()
    assert after["status"] == "indexed" and after["processed_at"] > before["processed_at"]

    missing = runner.invoke(cli, ["faces", "reindex", "--event", "no-such-event"], env=_env(settings))
    assert missing.exit_code == 2 and "no-such-event" in missing.output
