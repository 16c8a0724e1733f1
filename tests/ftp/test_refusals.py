"""What the gateway refuses, with which reply: plain FTP, downloads, deletes, escapes, files that are not photos."""

from __future__ import annotations

import ftplib
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eventlens.ftp.gateway.server import Gateway
from tests.ftp.conftest import StartGateway
from tests.ftp.harness import Camera, ftps, photos, spool_files, tls_context, wait_for
from tests.ftp.test_uploads import small_jpeg


def _code(exc: pytest.ExceptionInfo[ftplib.Error]) -> str:
    return str(exc.value)[:3]


def test_plain_ftp_is_refused_when_tls_is_required(gateway: Gateway, camera: Camera, cafile: Path) -> None:
    host, port = gateway.address
    with ftplib.FTP() as plain:  # noqa: S321 (plain FTP must be refused)
        plain.connect(host, port, timeout=10)
        with pytest.raises(ftplib.error_perm) as refused:
            plain.login(camera.username, camera.password)
        assert _code(refused) == "530" and "TLS is required" in str(refused.value)
    # TLS on the control channel only (no PROT P): the data channel must be encrypted too.
    with ftps(gateway, cafile) as ftp:
        ftp.login(camera.username, camera.password)
        with pytest.raises(ftplib.error_perm) as refused:
            ftp.storbinary("STOR a.jpg", io.BytesIO(small_jpeg(1)))
        assert _code(refused) == "521"


def test_downloads_deletes_and_site_commands_are_refused(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path
) -> None:
    with ftps(gateway, cafile, camera) as ftp:
        ftp.storbinary("STOR a.jpg", io.BytesIO(small_jpeg(1)))
        ftp.mkd("Sub")
        for attempt, code in (
            (lambda: ftp.retrbinary("RETR a.jpg", lambda _b: None), "550"),
            (lambda: ftp.delete("a.jpg"), "550"),
            (lambda: ftp.rmd("Sub"), "550"),
            (lambda: ftp.sendcmd("SITE CHMOD 777 a.jpg"), "502"),
            (lambda: ftp.sendcmd("MFMT 20200101000000 a.jpg"), "502"),
            (lambda: ftp.rename("Sub", "Other"), "550"),  # only files are renamed
        ):
            with pytest.raises(ftplib.error_perm) as refused:
                attempt()
            assert _code(refused) == code, refused.value
        assert sorted(ftp.nlst()) == ["Sub", "a.jpg"]
        assert gateway.handoff.wait_idle(10)
    assert [p["original_filename"] for p in photos(client, camera.event_id)] == ["a.jpg"]


def test_names_that_climb_out_are_refused(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path
) -> None:
    spool = gateway.settings.data_dir.resolve() / "ftp" / "spool"
    with ftps(gateway, cafile, camera) as ftp:
        for name in ("../evil.jpg", "../../../../tmp/evil.jpg", "Sub/../../evil.jpg", "..\\evil.jpg"):
            with pytest.raises(ftplib.error_perm) as refused:
                ftp.storbinary(f"STOR {name}", io.BytesIO(small_jpeg(1)))
            assert _code(refused) == "553", name
        for command in ("MKD ../x", "RNFR ../outbox", "SIZE ../../.lock"):
            with pytest.raises(ftplib.error_perm) as refused:
                ftp.sendcmd(command)
            assert _code(refused) == "553", command
        ftp.cwd("../../..")  # navigation is allowed, but stops at the top of the session's area
        assert ftp.pwd() == "/"
        with pytest.raises(ftplib.error_perm):
            ftp.size("/etc/passwd")
        assert ftp.nlst() == []
    assert not list(spool.parent.rglob("evil.jpg")) and not Path("/tmp/evil.jpg").exists()
    assert photos(client, camera.event_id) == []


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.jpg", b"", "empty"),
        ("notes.txt", b"camera settings, not a photo\n" * 20, "Only JPEG"),
        ("fake.jpg", b"%PDF-1.7\n" + b"0" * 2000, "looks like a PDF"),
    ],
)
def test_empty_files_and_non_images_are_refused_and_nothing_is_stored(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path, name: str, content: bytes, reason: str
) -> None:
    with ftps(gateway, cafile, camera) as ftp:
        with pytest.raises(ftplib.error_perm) as refused:
            ftp.storbinary(f"STOR {name}", io.BytesIO(content))
        assert _code(refused) == "550" and reason in str(refused.value)
        assert ftp.nlst() == []  # the refused file is gone from the session too
        assert gateway.handoff.wait_idle(10)
    assert photos(client, camera.event_id) == []
    wait_for("an empty spool", lambda: spool_files(gateway) == [])


def _refused_upload(ftp: ftplib.FTP_TLS, command: str, data: bytes) -> str:
    """The reply refusing an upload. The server hangs up the data connection while the client is
    still sending, which the client may notice first (a TLS EOF) before it reads the reply."""
    try:
        ftp.storbinary(command, io.BytesIO(data))
    except ftplib.error_perm as exc:
        return str(exc)
    except OSError:
        try:
            return ftp.getresp()
        except ftplib.error_perm as exc:
            return str(exc)
    raise AssertionError(f"{command} was accepted")


def test_a_file_over_the_size_limit_is_cut_off(
    client: TestClient, start_gateway: StartGateway, camera: Camera, cafile: Path
) -> None:
    gateway = start_gateway(max_upload_mb=1)
    big = small_jpeg(1) + b"\0" * (2 * 1024 * 1024)
    with ftps(gateway, cafile, camera) as ftp:
        reply = _refused_upload(ftp, "STOR big.jpg", big)
        assert reply.startswith("552") and "1 MB" in reply, reply
        assert ftp.nlst() == []
    assert photos(client, camera.event_id) == []


def test_a_tls_handshake_is_required_before_login_even_on_anonymous(gateway: Gateway, cafile: Path) -> None:
    host, port = gateway.address
    ftp = ftplib.FTP_TLS(context=tls_context(cafile), timeout=10)  # noqa: S321 (FTPS under test)
    ftp.connect(host, port)
    with pytest.raises(ftplib.error_perm) as refused:
        ftp.login()  # anonymous, over TLS: there is no such account
    assert _code(refused) == "530"
    ftp.close()
