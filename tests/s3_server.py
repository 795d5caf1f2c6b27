"""A real S3 API on 127.0.0.1 for the tests: moto's S3 server behind a gate.

moto answers the S3 API (buckets, objects, multipart uploads, presigned GETs) over real HTTP,
but it does not check the signature or the expiry of a presigned URL. The gate does, the way
S3 does, with botocore's own SigV4 signer and the server's clock (`clock`, injectable so a
test can move it with the sandbox's): an expired URL gets 403 AccessDenied "Request has
expired", a wrong signature 403 SignatureDoesNotMatch. The gate also records every request
and injects faults (an error before or after moto handled the request, or a held request).

Each server holds its objects in moto's in-process backend, which every moto server of the
process shares: tests use a bucket of their own (`new_bucket`).
"""

from __future__ import annotations

import fnmatch
import json
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import boto3
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

ACCESS_KEY_ID = "AKIATESTTHREADSPIPE"
SECRET_ACCESS_KEY = "s3-canary-secret-0f6c2d9e7b"  # a canary: it must never leak
REGION = "us-east-1"
INSPECT_AGENT = "threadspipepy-s3-inspect"  # requests of the tests themselves: not gated


@dataclass(frozen=True)
class S3Request:
    method: str
    path: str
    query: dict[str, str]
    status: int


@dataclass
class _Fault:
    method: str
    key: str
    status: int
    code: str
    after: bool
    times: int | None
    skip: int
    query_key: str | None
    held: threading.Event | None = None
    arrived: threading.Event | None = None


class Held:
    """A request the gate holds until `release()`; `wait_arrived()` waits for it."""

    def __init__(self, fault: _Fault) -> None:
        self._fault = fault

    def wait_arrived(self, timeout: float = 5.0) -> bool:
        assert self._fault.arrived is not None
        return self._fault.arrived.wait(timeout)

    def release(self) -> None:
        assert self._fault.held is not None
        self._fault.held.set()


class S3TestServer:
    """moto's S3 on 127.0.0.1:PORT, gated (presigned URL checks, faults, a request log)."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.requests: list[S3Request] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server("127.0.0.1", 0, self._gate(app), threaded=True)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # shutdown() waits at most one interval
            name="s3-test-server",
            daemon=True,
        )

    # lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> S3TestServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            for fault in self._faults:
                if fault.held is not None:
                    fault.held.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}"

    # what the tests look at ---------------------------------------------------------------
    def client(self) -> Any:
        """A boto3 client of the tests' own (its requests pass the gate unlogged)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            config=Config(user_agent_extra=INSPECT_AGENT, s3={"addressing_style": "path"}),
        )

    def new_bucket(self) -> str:
        name = f"media-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def allow_public_reads(self, bucket: str, prefix: str) -> None:
        """A bucket policy that lets anyone GET objects under prefix/ (docs/05's policy)."""
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/{prefix}/*",
                }
            ],
        }
        self.client().put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))

    def objects(self, bucket: str) -> dict[str, bytes]:
        client = self.client()
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {
            o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed
        }

    def head(self, bucket: str, key: str) -> dict[str, Any]:
        return dict(self.client().head_object(Bucket=bucket, Key=key))

    def multipart_uploads(self, bucket: str) -> list[str]:
        listed = self.client().list_multipart_uploads(Bucket=bucket)
        return [u["Key"] for u in listed.get("Uploads", [])]

    def requests_to(self, method: str, query_key: str | None = None) -> list[S3Request]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.method == method and (query_key is None or query_key in r.query)
            ]

    # faults -------------------------------------------------------------------------------
    def fail(
        self,
        method: str,
        key: str = "*",
        *,
        status: int = 500,
        code: str = "InternalError",
        after: bool = False,
        times: int | None = 1,
        skip: int = 0,
        query_key: str | None = None,
    ) -> None:
        """Answer matching requests (method, key glob, and a query parameter they carry, such
        as `uploadId`) with an S3 error; `after=True` lets moto handle the request first (it
        took effect, the answer is lost). `times=None`: every matching request."""
        with self._lock:
            self._faults.append(_Fault(method, key, status, code, after, times, skip, query_key))

    def hold(self, method: str, key: str = "*", *, skip: int = 0) -> Held:
        fault = _Fault(method, key, 0, "", False, 1, skip, None)
        fault.held, fault.arrived = threading.Event(), threading.Event()
        with self._lock:
            self._faults.append(fault)
        return Held(fault)

    def _take(self, method: str, key: str, query: dict[str, str]) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method != method or not fnmatch.fnmatchcase(key, fault.key):
                    continue
                if fault.query_key is not None and fault.query_key not in query:
                    continue
                if fault.skip:
                    fault.skip -= 1
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                return fault
        return None

    # the gate -----------------------------------------------------------------------------
    def _gate(self, app: Any) -> Callable[..., Iterable[bytes]]:
        def gate(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if INSPECT_AGENT in environ.get("HTTP_USER_AGENT", ""):
                return app(environ, start_response)  # type: ignore[no-any-return]
            method = environ["REQUEST_METHOD"]
            raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]
            path, _, query_text = raw.partition("?")
            pairs = parse_qsl(query_text, keep_blank_values=True)
            query = dict(pairs)
            key = path.split("/", 2)[2] if path.count("/") >= 2 else ""
            host = environ.get("HTTP_HOST", "")
            refusal = presigned_problem(method, host, path, query_text, self.clock())
            if refusal is not None:
                return self._answer(start_response, method, path, query, 403, *refusal)
            fault = self._take(method, key, query)
            if fault is not None and fault.held is not None:
                assert fault.arrived is not None
                fault.arrived.set()
                fault.held.wait(30)
                fault = None
            if fault is not None and not fault.after:
                return self._answer(start_response, method, path, query, fault.status, fault.code)
            captured: dict[str, Any] = {}

            def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                captured.update(status=status, headers=headers)
                return lambda data: None

            body = b"".join(app(environ, keep))
            if fault is not None:  # after=True: moto did it; the client hears an error
                return self._answer(start_response, method, path, query, fault.status, fault.code)
            self._log(method, path, query, int(captured["status"].split()[0]))
            start_response(captured["status"], captured["headers"])
            return [body]

        return gate

    def _answer(
        self,
        start_response: Callable[..., Any],
        method: str,
        path: str,
        query: dict[str, str],
        status: int,
        code: str,
        message: str = "injected by the test",
    ) -> list[bytes]:
        self._log(method, path, query, status)
        body = b"" if method == "HEAD" else error_xml(code, message)
        reason = {403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}
        start_response(
            f"{status} {reason.get(status, 'Error')}",
            [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _log(self, method: str, path: str, query: dict[str, str], status: int) -> None:
        with self._lock:
            self.requests.append(S3Request(method, path, query, status))


def error_xml(code: str, message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{uuid.uuid4().hex[:16]}</RequestId></Error>"
    ).encode()


def presigned_problem(
    method: str, host: str, path: str, query_text: str, now: datetime
) -> tuple[str, str] | None:
    """S3's refusal of a presigned request (error code, message), or None when it is not
    presigned or is valid: signed with SigV4 by a known key, and not expired at `now`."""
    query = dict(parse_qsl(query_text, keep_blank_values=True))
    if "Signature" in query and "AWSAccessKeyId" in query:
        return "AccessDenied", "Only AWS4-HMAC-SHA256 (SigV4) presigned URLs are accepted"
    if "X-Amz-Signature" not in query:
        return None
    try:
        key_id, _date, region, service, _ = query["X-Amz-Credential"].split("/")
        issued = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
            tzinfo=timezone.utc
        )
        expires = int(query["X-Amz-Expires"])
    except (KeyError, ValueError):
        return "AuthorizationQueryParametersError", "malformed presigned URL"
    if now > issued + timedelta(seconds=expires):
        return "AccessDenied", "Request has expired"
    if key_id != ACCESS_KEY_ID:
        return "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist"
    # The canonical query is the query as sent (still percent-encoded), less the signature.
    unsigned = "&".join(p for p in query_text.split("&") if not p.startswith("X-Amz-Signature="))
    request = AWSRequest(method=method, url=f"http://{host}{path}?{unsigned}")
    request.context["timestamp"] = query["X-Amz-Date"]
    signer = S3SigV4QueryAuth(Credentials(key_id, SECRET_ACCESS_KEY), service, region, expires)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if expected != query["X-Amz-Signature"]:
        return "SignatureDoesNotMatch", "The request signature we calculated does not match"
    return None
