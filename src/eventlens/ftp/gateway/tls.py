"""The gateway's TLS: a configured certificate, or a self-signed one made on first run, and the context.

The key and certificate are generated with ``cryptography`` (pyOpenSSL's own dependency): pyOpenSSL
deprecated its key-generation API and no longer builds certificate extensions such as subjectAltName.
pyOpenSSL then serves them, as pyftpdlib requires.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from OpenSSL import SSL

CERT_NAME = "cert.pem"
KEY_NAME = "key.pem"
VALID_DAYS = 3650  # cameras have no way to renew; the fingerprint is what photographers check


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path
    fingerprint: str  # SHA-256 of the certificate, AA:BB:... as clients show it
    generated: bool  # made now, on this start


def fingerprint(cert_path: Path) -> str:
    """SHA-256 fingerprint of the first certificate in a PEM file."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    digest = cert.fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in digest)


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in dict.fromkeys(n for n in names if n):
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def make_self_signed(cert_path: Path, key_path: Path, names: list[str]) -> None:
    """An RSA-2048 key (what older camera firmware still expects) and a self-signed certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, (names[0] if names else "eventlens")[:64])])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(_san(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    # The key is written to a private temporary file and renamed: never world-readable, never half-written.
    tmp_key = key_path.with_suffix(".tmp")
    fd = os.open(tmp_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    tmp_cert = cert_path.with_suffix(".tmp")
    tmp_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp_key, key_path)
    os.replace(tmp_cert, cert_path)


def ensure_certificate(
    ftp_dir: Path, cert_file: Path | None, key_file: Path | None, names: list[str]
) -> TlsFiles:
    """The configured certificate, else ``ftp_dir/cert.pem`` (made on first run)."""
    if cert_file is not None:
        cert = cert_file.resolve()
        key = (key_file or cert_file).resolve()
        for path in (cert, key):
            if not path.is_file():
                raise FileNotFoundError(f"FTPS certificate or key not found: {path}")
        return TlsFiles(cert, key, fingerprint(cert), generated=False)
    cert, key = (ftp_dir / CERT_NAME).resolve(), (ftp_dir / KEY_NAME).resolve()
    generated = not (cert.is_file() and key.is_file())
    if generated:
        make_self_signed(cert, key, names)
    return TlsFiles(cert, key, fingerprint(cert), generated=generated)


def make_context(files: TlsFiles, *, data_channel: bool = False) -> SSL.Context:
    """TLS 1.2 or newer, no compression (CRIME), the key checked against the certificate up front.

    ``data_channel``: TLS 1.2 only. Under TLS 1.3 the server sends session tickets after the handshake;
    an uploading client never reads its data connection, and when it closes that connection with the
    tickets still unread its kernel answers with a reset, which throws away the last part of the file
    still waiting in our socket buffer (seen with lftp: a few-hundred-kB photo arrived cut short).
    TLS 1.2 sends nothing after the handshake, so every byte the client sent is read.
    """
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
    if data_channel:
        ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
    ctx.set_options(SSL.OP_NO_COMPRESSION)
    ctx.use_certificate_chain_file(str(files.cert))
    ctx.use_privatekey_file(str(files.key))
    ctx.check_privatekey()
    return ctx
