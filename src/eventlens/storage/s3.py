"""Object store on any S3-compatible service (AWS S3, Cloudflare R2, MinIO, SeaweedFS) through boto3."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from eventlens.storage.base import (
    ObjectNotFound,
    ObjectStoreError,
    PresignedPost,
    StorageFull,
    validate_key,
    validate_prefix,
)

log = logging.getLogger("eventlens.storage")

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
# Multipart above 16 MB: big originals upload in parallel parts, photos below in one request.
_TRANSFER = TransferConfig(multipart_threshold=16 * 1024 * 1024, multipart_chunksize=16 * 1024 * 1024)


# What S3-compatible servers answer when the bucket or the disks behind it are full (MinIO, Ceph, R2).
_FULL_CODES = {"XMinioStorageFull", "InsufficientStorage", "QuotaExceeded", "StorageFull"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _put_error(key: str, exc: Exception) -> ObjectStoreError:
    # boto3's upload_file wraps the ClientError in S3UploadFailedError (raised inside its except block).
    cause = exc.__context__ if isinstance(exc, S3UploadFailedError) else exc
    if isinstance(cause, ClientError):
        status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if _code(cause) in _FULL_CODES or status == 507:
            return StorageFull(f"S3 put {key}: the bucket has no room ({_code(cause) or status})")
    return ObjectStoreError(f"S3 put {key}: {exc}")


class _FullReader:
    """Counts the bytes boto3 reads, and fills each read: s3transfer takes a short read for the end
    of the stream, so a stream that returns less than asked (a socket, a pipe) would be cut short."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            data = self._stream.read()
        else:
            parts: list[bytes] = []
            wanted = size
            while wanted > 0:
                chunk = self._stream.read(wanted)
                if not chunk:
                    break
                parts.append(chunk)
                wanted -= len(chunk)
            data = b"".join(parts)
        self.count += len(data)
        return data


class S3ObjectStore:
    name = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None,
        access_key_id: str | None,
        secret_access_key: str | None,
        region: str = "us-east-1",
        signed_url_seconds: int = 900,
        create_bucket: bool = True,
    ) -> None:
        self.bucket = bucket
        self.signed_url_seconds = signed_url_seconds
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            retries={"max_attempts": 5, "mode": "standard"},
            connect_timeout=10,
            read_timeout=60,
        )
        # A client is thread-safe: one per store serves every request and worker thread.
        self.client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=region,
            config=config,
        )
        if create_bucket:
            self._ensure_bucket(region)

    def _ensure_bucket(self, region: str) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if _code(exc) not in _NOT_FOUND | {"NoSuchBucket"}:
                raise ObjectStoreError(f"cannot reach bucket {self.bucket}: {exc}") from exc
        except BotoCoreError as exc:
            raise ObjectStoreError(f"cannot reach the S3 endpoint: {exc}") from exc
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if region and region not in {"us-east-1", "auto"}:
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self.client.create_bucket(**kwargs)
        except ClientError as exc:
            if _code(exc) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise ObjectStoreError(f"cannot create bucket {self.bucket}: {exc}") from exc

    def _call(self, what: str, key: str, fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                raise ObjectNotFound(key) from exc
            raise ObjectStoreError(f"S3 {what} {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise ObjectStoreError(f"S3 {what} {key}: {exc}") from exc

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        validate_key(key)
        extra = {"ContentType": content_type} if content_type else None
        try:
            self.client.upload_file(str(path), self.bucket, key, ExtraArgs=extra, Config=_TRANSFER)
        except (ClientError, BotoCoreError, S3UploadFailedError) as exc:
            raise _put_error(key, exc) from exc

    def put_stream(self, key: str, stream: BinaryIO, content_type: str | None = None) -> int:
        validate_key(key)
        counter = _FullReader(stream)
        extra = {"ContentType": content_type} if content_type else None
        try:
            self.client.upload_fileobj(counter, self.bucket, key, ExtraArgs=extra, Config=_TRANSFER)
        except (ClientError, BotoCoreError, S3UploadFailedError) as exc:
            raise _put_error(key, exc) from exc
        return counter.count

    def open(self, key: str) -> BinaryIO:
        validate_key(key)
        response = self._call("get", key, self.client.get_object, Key=key)
        return cast(BinaryIO, response["Body"])

    def iter_chunks(self, key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        body = self.open(key)

        def chunks() -> Iterator[bytes]:
            try:
                while chunk := body.read(chunk_size):
                    yield chunk
            finally:
                body.close()

        return chunks()

    def size(self, key: str) -> int:
        validate_key(key)
        return int(self._call("head", key, self.client.head_object, Key=key)["ContentLength"])

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        validate_key(key)
        with contextlib.suppress(ObjectNotFound):
            self._call("delete", key, self.client.delete_object, Key=key)

    def list_keys(self, prefix: str) -> Iterator[str]:
        validate_prefix(prefix)
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield str(item["Key"])
        except (ClientError, BotoCoreError) as exc:
            raise ObjectStoreError(f"S3 list {prefix}: {exc}") from exc

    def list_objects(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        validate_prefix(prefix)
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield str(item["Key"]), item["LastModified"].astimezone(UTC)
        except (ClientError, BotoCoreError) as exc:
            raise ObjectStoreError(f"S3 list {prefix}: {exc}") from exc

    def sweep_temporary(self, before: datetime) -> int:
        """Abort multipart uploads a crashed writer left open (their parts cost storage until then)."""
        removed = 0
        try:
            paginator = self.client.get_paginator("list_multipart_uploads")
            for page in paginator.paginate(Bucket=self.bucket):
                for upload in page.get("Uploads", []):
                    if upload["Initiated"] < before:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        removed += 1
        except (ClientError, BotoCoreError) as exc:
            raise ObjectStoreError(f"S3 list multipart uploads: {exc}") from exc
        return removed

    def delete_prefix(self, prefix: str) -> int:
        keys = list(self.list_keys(prefix))
        for i in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[i : i + 1000]]
            response = self._call("delete", prefix, self.client.delete_objects, Delete={"Objects": batch})
            if response.get("Errors"):
                first = response["Errors"][0]
                raise ObjectStoreError(f"S3 delete {first.get('Key')}: {first.get('Message')}")
        return len(keys)

    def signed_url(self, key: str, disposition: str | None = None) -> str | None:
        validate_key(key)
        params: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if disposition:
            params["ResponseContentDisposition"] = disposition
        return str(
            self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=self.signed_url_seconds)
        )

    def read_head(self, key: str, size: int) -> bytes:
        validate_key(key)
        response = self._call("read", key, self.client.get_object, Key=key, Range=f"bytes=0-{size - 1}")
        with contextlib.closing(response["Body"]) as body:
            return bytes(body.read())

    def presigned_post(self, key: str, *, content_type: str, max_bytes: int, seconds: int) -> PresignedPost:
        validate_key(key)
        # The policy binds the key, the type and the size: the form cannot be reused for anything else.
        form = self.client.generate_presigned_post(
            self.bucket,
            key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=seconds,
        )
        return PresignedPost(url=str(form["url"]), fields={k: str(v) for k, v in form["fields"].items()})

    def allow_browser_uploads(self, origin: str) -> bool:
        """Let pages of ``origin`` POST files into the bucket (CORS); False when the credentials may not."""
        rule = {
            "AllowedOrigins": [origin],
            "AllowedMethods": ["POST"],
            "AllowedHeaders": ["*"],
            "MaxAgeSeconds": 3600,
        }
        try:
            self.client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": [rule]})
        except (ClientError, BotoCoreError) as exc:
            log.warning(
                "s3.cors_refused bucket=%s error=%s (browser uploads go through the API)", self.bucket, exc
            )
            return False
        return True

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise ObjectStoreError(f"S3 bucket {self.bucket} unreachable: {exc}") from exc
