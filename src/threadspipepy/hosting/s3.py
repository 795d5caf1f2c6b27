"""S3Host: temporary media in S3-compatible object storage (AWS S3, Cloudflare R2, Backblaze
B2, MinIO), through boto3.

Objects stay private: Threads gets a presigned GET URL that lives as long as Meta may need to
fetch it (`container_timeout` plus a margin), or a `public_base_url` when the bucket is public
or behind a CDN. Large files go up in parts through boto3's managed transfer, with at most a
few parts in memory at once whatever the file's size. boto3 is the `s3` extra and is imported
only when an S3Host is built, so `import threadspipepy` never pays for it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

from ..errors import MediaHostingError, ValidationError

# The package index's "threadspipepy" is ThreadsPipe-py 0.4.5, so name what works everywhere.
INSTALL_HINT = 'pip install boto3 (or pip install ".[s3]" in a checkout of this library)'
DEFAULT_PREFIX = "threadspipepy-tmp"
DEFAULT_CONTAINER_TIMEOUT = 300.0  # ThreadsPipe's own default
# Beyond container_timeout: Meta may fetch again while processing, and a chain's later parts
# are created after the earlier ones are published (see docs/05-media-and-github.md).
DEFAULT_URL_MARGIN = 900.0
MAX_URL_LIFETIME = 7 * 24 * 3600  # SigV4 presigned URLs live at most 7 days
MIB = 1024 * 1024
MIN_PART_BYTES = 5 * MIB  # S3's smallest part (but the last)
DEFAULT_PART_BYTES = 8 * MIB
DEFAULT_CONCURRENCY = 4
DEFAULT_ATTEMPTS = 3
DEFAULT_TIMEOUT = 60.0
# S3's naming rules for new buckets are stricter (3-63 lowercase letters, digits, dots and
# hyphens); older AWS buckets and other providers allow capitals and underscores too.
_BUCKET_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{1,253}[A-Za-z0-9]")
_NOT_FOUND = ("404", "NoSuchKey", "NotFound")


@dataclass(frozen=True)
class S3Object:
    """The handle S3Host returns: the bucket and key of one object."""

    bucket: str
    key: str

    @property
    def path(self) -> str:
        """Where the object is, as cleanup reports name it: s3://bucket/key."""
        return f"s3://{self.bucket}/{self.key}"


def load_boto3() -> tuple[Any, Any]:
    """boto3 and botocore's Config, or an ImportError that says which pip install fixes it."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:
        raise ImportError(f"S3Host needs boto3, which is not installed: {INSTALL_HINT}") from exc
    return boto3, Config


class S3Host:
    """Hosts files in an S3-compatible bucket for one `pipe()` call, then deletes them.

    Credentials come from boto3's usual chain (environment variables, a shared profile, an
    instance or task role), or from `access_key_id`/`secret_access_key` (and
    `session_token`); they are handed to boto3 and kept nowhere else, so no repr, log line
    or error of this library shows them.

    Args:
        bucket: the bucket's name.
        prefix: the "folder" of the keys (default `threadspipepy-tmp`); a lifecycle rule on
            it is a good safety net (docs/05-media-and-github.md).
        region: the bucket's region (`auto` for Cloudflare R2); boto3's default if None.
        endpoint_url: the S3 API of another provider (R2, B2, MinIO); AWS if None.
        public_base_url: serve `public_base_url/key` instead of presigned URLs, for a public
            bucket or a CDN in front of it.
        container_timeout: the client's `container_timeout`: presigned URLs live this long
            plus `url_margin` seconds.
        url_margin: extra seconds of a presigned URL's life (default 900).
        access_key_id, secret_access_key, session_token: explicit credentials.
        profile: a named profile of the shared AWS config files.
        part_size: bytes per part of a multipart upload (at least 5 MiB; default 8 MiB).
        max_concurrency: parts sent at once for one file; memory holds about this many
            parts plus one, whatever the file's size.
        max_attempts: attempts per S3 request, boto3's retry policy included (default 3).
        timeout: seconds to connect and to wait for each answer.
        path_style: address the bucket in the path (`endpoint/bucket/key`); the default is
            on with an `endpoint_url` (MinIO and most S3-compatible services want it).
        client: an S3 client already made with boto3, used instead of building one.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = DEFAULT_PREFIX,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        public_base_url: str | None = None,
        container_timeout: float = DEFAULT_CONTAINER_TIMEOUT,
        url_margin: float = DEFAULT_URL_MARGIN,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        profile: str | None = None,
        part_size: int = DEFAULT_PART_BYTES,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        max_attempts: int = DEFAULT_ATTEMPTS,
        timeout: float = DEFAULT_TIMEOUT,
        path_style: bool | None = None,
        client: Any = None,
    ) -> None:
        self.bucket = _checked_bucket(bucket)
        self.prefix = _checked_prefix(prefix)
        self.region = region
        self.endpoint_url = _optional_http_url(endpoint_url, "endpoint_url")
        self.public_base_url = _optional_http_url(public_base_url, "public_base_url")
        self.url_lifetime = url_lifetime(container_timeout, url_margin)
        self.part_size = _checked_part_size(part_size)
        self.max_concurrency = _positive_int(max_concurrency, "max_concurrency")
        self.max_attempts = _positive_int(max_attempts, "max_attempts")
        if (access_key_id is None) != (secret_access_key is None):
            raise ValidationError(
                "give access_key_id and secret_access_key together, or neither (boto3 then "
                "finds credentials in the environment, a profile or an instance role).",
                parameter="access_key_id" if access_key_id is None else "secret_access_key",
            )
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise ValidationError(
                "timeout must be a positive number of seconds.", parameter="timeout"
            )
        boto3, config_class = load_boto3()
        self._transfer = self._transfer_config()
        if client is None:
            session = boto3.session.Session(
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                aws_session_token=session_token,
                profile_name=profile,
                region_name=region,
            )
            path = path_style if path_style is not None else endpoint_url is not None
            config = config_class(
                signature_version="s3v4",  # R2, B2 and every recent region require SigV4
                retries={"mode": "standard", "total_max_attempts": self.max_attempts},
                connect_timeout=timeout,
                read_timeout=timeout,
                max_pool_connections=max(10, 4 * self.max_concurrency),
                s3={"addressing_style": "path" if path else "auto"},
            )
            client = session.client("s3", endpoint_url=endpoint_url, config=config)
        self._client = client

    def _transfer_config(self) -> Any:
        """boto3's managed transfer: parts of part_size, max_concurrency at once."""
        from boto3.s3.transfer import TransferConfig

        transfer = TransferConfig(
            multipart_threshold=self.part_size,
            multipart_chunksize=self.part_size,
            max_concurrency=self.max_concurrency,
            use_threads=True,
        )
        # A stream is read part by part, each part into memory: at most this many parts are
        # held at once, whatever the file's size (s3transfer's default is 10).
        transfer.max_in_memory_upload_chunks = self.max_concurrency
        # The classic transfer manager, whose memory bound this is (never the CRT one).
        transfer.preferred_transfer_client = "classic"
        return transfer

    def __repr__(self) -> str:
        where = f", endpoint_url={self.endpoint_url!r}" if self.endpoint_url else ""
        return f"S3Host(bucket={self.bucket!r}, prefix={self.prefix!r}{where})"

    def key_for(self, filename: str) -> str:
        """The object key `upload` stores `filename` under."""
        return f"{self.prefix}/{filename}" if self.prefix else filename

    def upload(self, data: BinaryIO, filename: str, mime: str) -> tuple[str, S3Object]:
        """Store the stream under prefix/filename with its content type; (URL, handle)."""
        target = S3Object(self.bucket, self.key_for(filename))
        self._call(
            "upload",
            target,
            lambda: self._client.upload_fileobj(
                data,
                target.bucket,
                target.key,
                ExtraArgs={"ContentType": mime},
                Config=self._transfer,
            ),
        )
        return self.url_for(target), target

    def url_for(self, target: S3Object) -> str:
        """The URL Threads fetches: public_base_url/key, or a presigned GET."""
        if self.public_base_url:
            return f"{self.public_base_url.rstrip('/')}/{quote(target.key)}"
        url: str = self._call(
            "presign",
            target,
            lambda: self._client.generate_presigned_url(
                "get_object",
                Params={"Bucket": target.bucket, "Key": target.key},
                ExpiresIn=self.url_lifetime,
            ),
        )
        return url

    def find(self, filename: str) -> S3Object | None:
        """The object `upload` stored under `filename`, or None if there is none."""
        target = S3Object(self.bucket, self.key_for(filename))
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=target.bucket, Key=target.key)
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND:
                return None
            error = _hosting_error("look up", target, exc)
            if error.status_code == 403:  # S3 hides a missing key behind 403 without ListBucket
                error = MediaHostingError(
                    f"{error}; a missing key answers 404 only to credentials with "
                    "s3:ListBucket on the bucket (docs/05-media-and-github.md)",
                    status_code=403,
                )
            raise error from None
        except Exception as exc:
            raise _hosting_error("look up", target, exc) from None
        return target

    def delete(self, handle: Any) -> None:
        """Delete the object; S3 answers a delete of a missing key with success too."""
        if not isinstance(handle, S3Object):
            raise TypeError("S3Host.delete takes the handle its upload returned")
        self._call(
            "delete",
            handle,
            lambda: self._client.delete_object(Bucket=handle.bucket, Key=handle.key),
        )

    def _call(self, action: str, target: S3Object, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as exc:  # botocore, s3transfer and connection errors alike
            raise _hosting_error(action, target, exc) from None


def url_lifetime(container_timeout: float, url_margin: float) -> int:
    """Whole seconds a presigned URL lives: container_timeout plus the margin (<= 7 days)."""
    for name, value in (("container_timeout", container_timeout), ("url_margin", url_margin)):
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ValidationError(f"{name} must be a number of seconds >= 0.", parameter=name)
    seconds = math.ceil(container_timeout + url_margin)
    if not 1 <= seconds <= MAX_URL_LIFETIME:
        raise ValidationError(
            f"a presigned URL lives container_timeout + url_margin = {seconds} s here; S3 "
            f"accepts 1 to {MAX_URL_LIFETIME} s (7 days).",
            parameter="url_margin",
        )
    return seconds


def _hosting_error(action: str, target: S3Object, exc: BaseException) -> MediaHostingError:
    status = _status_code(exc)
    return MediaHostingError(
        f"S3 {action} of {target.path} failed: {_describe(exc)}", status_code=status
    )


def _describe(exc: BaseException) -> str:
    """What went wrong, from the error code and message S3 sent (never a credential)."""
    cause = exc
    # boto3's S3UploadFailedError wraps the ClientError of the part that failed.
    while not hasattr(cause, "response") and cause.__context__ is not None:
        cause = cause.__context__
    response = getattr(cause, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        code, message = error.get("Code"), error.get("Message")
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        return f"{code or 'error'} (HTTP {status}): {message or 'no message'}"
    return f"{type(exc).__name__}: {exc}"


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, dict) else None
    return str(error.get("Code")) if isinstance(error, dict) else ""


def _status_code(exc: BaseException) -> int | None:
    cause: BaseException | None = exc
    while cause is not None:
        response = getattr(cause, "response", None)
        if isinstance(response, dict):
            status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
            return int(status) if isinstance(status, int) else None
        cause = cause.__context__
    return None


def _checked_bucket(bucket: Any) -> str:
    if not isinstance(bucket, str) or not _BUCKET_RE.fullmatch(bucket) or ".." in bucket:
        raise ValidationError(
            f"bucket must be an S3 bucket name (letters, digits, dots, hyphens, such as "
            f"'my-media'), got {bucket!r}.",
            parameter="bucket",
        )
    return bucket


def _checked_prefix(prefix: Any) -> str:
    if not isinstance(prefix, str):
        raise ValidationError("prefix must be a string such as 'threads/tmp'.", parameter="prefix")
    return prefix.strip("/")


def _optional_http_url(url: str | None, parameter: str) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            f"{parameter} must be an http(s) URL such as https://media.example.com.",
            parameter=parameter,
        )
    return url


def _checked_part_size(part_size: Any) -> int:
    if not isinstance(part_size, int) or isinstance(part_size, bool) or part_size < MIN_PART_BYTES:
        raise ValidationError(
            f"part_size must be a whole number of bytes >= {MIN_PART_BYTES} (5 MiB, S3's "
            "smallest part).",
            parameter="part_size",
        )
    return part_size


def _positive_int(value: Any, parameter: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError(f"{parameter} must be a whole number >= 1.", parameter=parameter)
    return value
