"""The gateway's small rules on their own: names, ports, the outbox on disk, the certificate."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from eventlens.config import Settings
from eventlens.ftp import derived
from eventlens.ftp.gateway.handler import bad_name
from eventlens.ftp.gateway.handoff import Outbox, UploadMeta
from eventlens.ftp.gateway.session import has_final_name
from eventlens.ftp.gateway.tls import ensure_certificate, fingerprint


@pytest.mark.parametrize(
    ("name", "final"),
    [
        ("IMG_0001.JPG", True),
        ("dsc.heic", True),
        ("a.webp", True),
        ("IMG_0001.JPG.part", False),
        (".in.IMG_0001.JPG", False),
        ("~IMG_0001.JPG", False),
        ("IMG_0001.tmp", False),
        ("DSC0001", False),
    ],
)
def test_final_names(name: str, final: bool) -> None:
    assert has_final_name(Path(name)) is final


@pytest.mark.parametrize(
    ("arg", "bad"),
    [
        ("a.jpg", False),
        ("Sub/a.jpg", False),
        ("..", True),
        ("../a.jpg", True),
        ("a\\..\\b", True),
        ("a\nb", True),
    ],
)
def test_bad_names(arg: str, bad: bool) -> None:
    assert bad_name(arg) is bad


def test_passive_ports() -> None:
    assert derived.passive_ports("60000-60002") == [60000, 60001, 60002]
    assert derived.passive_ports("60000, 60005-60006") == [60000, 60005, 60006]
    assert derived.passive_ports("") is None
    for wrong in ("60010-60000", "abc", "0-3", "70000"):
        with pytest.raises(ValueError, match="passive ports"):
            derived.passive_ports(wrong)


def test_api_url_and_public_host() -> None:
    s = Settings(host="0.0.0.0", port=8080, base_url="https://photos.example.org")  # noqa: S104 (a setting)
    assert derived.api_url(s) == "http://127.0.0.1:8080"  # a wildcard listener is reached on loopback
    assert derived.api_url(s, "10.0.0.5", 9000) == "http://10.0.0.5:9000"
    assert derived.public_host(s) == "photos.example.org"
    assert derived.public_host(Settings(ftp_public_host="ftp.example.org")) == "ftp.example.org"
    assert derived.api_url(Settings(ftp_api_url="http://api.internal:8000/")) == "http://api.internal:8000"


def test_outbox_resumes_whole_items_and_drops_halves(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    src = tmp_path / "a.jpg"
    src.write_bytes(b"\xff\xd8\xff photo")
    meta = UploadMeta("e", "c", "user", "192.0.2.1", "a.jpg", "Album", 1.0)
    kept = outbox.put(src, meta)
    assert kept.data.read_bytes() == src.read_bytes() and kept.data.stat().st_ino == src.stat().st_ino
    (outbox.root / "orphan.data").write_bytes(b"no description")
    (outbox.root / "lost.json").write_text(json.dumps(asdict(meta)))  # its data never arrived
    (outbox.root / "half.json.tmp").write_text("{")
    [item] = Outbox(outbox.root).left_over()
    assert item.id == kept.id and item.meta == meta
    assert sorted(p.name for p in outbox.root.iterdir()) == sorted([f"{kept.id}.data", f"{kept.id}.json"])
    outbox.remove(item)
    assert list(outbox.root.iterdir()) == []


def test_a_self_signed_certificate_is_made_once(tmp_path: Path) -> None:
    first = ensure_certificate(tmp_path, None, None, ["ftp.example.org", "127.0.0.1"])
    assert first.generated and first.key.stat().st_mode & 0o077 == 0  # the key is private
    again = ensure_certificate(tmp_path, None, None, ["ftp.example.org"])
    assert not again.generated and again.fingerprint == first.fingerprint == fingerprint(first.cert)
    assert len(first.fingerprint.split(":")) == 32
    with pytest.raises(FileNotFoundError):
        ensure_certificate(tmp_path, tmp_path / "missing.pem", None, [])
