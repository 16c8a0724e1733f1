"""Builds the configured object store from plain values (called by the app wiring)."""

from __future__ import annotations

from eventlens.config import Settings
from eventlens.storage.base import ObjectStore


def build_storage(settings: Settings) -> ObjectStore:
    if settings.storage == "s3":
        from eventlens.storage.s3 import S3ObjectStore

        secret = settings.s3_secret_access_key
        return S3ObjectStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
            region=settings.s3_region,
            signed_url_seconds=settings.s3_signed_url_seconds,
        )
    from eventlens.storage.local import LocalObjectStore

    root = settings.resolved_storage_dir
    root.mkdir(parents=True, exist_ok=True)
    return LocalObjectStore(root)
