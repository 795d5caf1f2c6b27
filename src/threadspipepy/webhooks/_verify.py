"""The two checks that come before anything else: the subscription handshake and the signature.

Meta's Threads page documents neither exactly (threads-api.md §9, §11.8): it says only that
the verify token "is passed to your server". We follow Meta's Graph webhooks convention, which
every other Meta product documents:

- handshake: `GET callback?hub.mode=subscribe&hub.challenge=N&hub.verify_token=T`; answer 200
  with the challenge as the whole body when the token is yours;
- notifications: `POST` with `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw
  body keyed with the app secret (for Threads, the Threads App Secret). The older
  `X-Hub-Signature: sha1=...` is not accepted on its own.

Both comparisons are constant-time (`hmac.compare_digest`). No message here ever contains the
secret, the verify token, the signature received or the one expected.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs

from ..errors import HandshakeError as HandshakeError
from ..errors import SignatureError as SignatureError

SIGNATURE_HEADER = "X-Hub-Signature-256"
SHA1_SIGNATURE_HEADER = "X-Hub-Signature"
SIGNATURE_PREFIX = "sha256="
MODE = "hub.mode"
VERIFY_TOKEN = "hub.verify_token"
CHALLENGE = "hub.challenge"
MAX_CHALLENGE_LENGTH = 256
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")

Query = str | Mapping[str, str | Sequence[str]]


def _secret_bytes(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


def signature_for(body: bytes, app_secret: str | bytes) -> str:
    """The `X-Hub-Signature-256` header value Meta sends with `body`: ``sha256=<hex>``.

    For your own tests (sign a payload, post it to your receiver)."""
    digest = hmac.new(_secret_bytes(app_secret), bytes(body), hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value whatever its case (frameworks differ); None when absent."""
    if name in headers:
        return headers[name]
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def verify_signature(
    body: bytes, headers: Mapping[str, str] | str | None, app_secret: str | bytes
) -> None:
    """Check a notification's `X-Hub-Signature-256` against the raw `body`, before parsing.

    `headers` is the request's headers (any case; a dict or a framework's headers object) or
    the header's value itself. Raises SignatureError (status 403) when the header is missing,
    does not start with ``sha256=``, is not a SHA-256 hex digest, or does not match; returns
    None when it matches.
    """
    if headers is None or isinstance(headers, str):
        value = headers
    else:
        value = header(headers, SIGNATURE_HEADER)
        if value is None and header(headers, SHA1_SIGNATURE_HEADER) is not None:
            raise SignatureError(
                f"only {SHA1_SIGNATURE_HEADER} (SHA-1) was sent: {SIGNATURE_HEADER} is required"
            )
    if not value:
        raise SignatureError(f"{SIGNATURE_HEADER} header missing")
    value = value.strip()
    if not value.lower().startswith(SIGNATURE_PREFIX):
        raise SignatureError(f"{SIGNATURE_HEADER} must start with {SIGNATURE_PREFIX}")
    given = value[len(SIGNATURE_PREFIX) :]
    if not _HEX_DIGEST.fullmatch(given):
        raise SignatureError(f"{SIGNATURE_HEADER} is not a SHA-256 hex digest")
    expected = signature_for(body, app_secret)[len(SIGNATURE_PREFIX) :]
    if not hmac.compare_digest(expected.encode("ascii"), given.lower().encode("ascii")):
        raise SignatureError(
            f"{SIGNATURE_HEADER} does not match the body (wrong app secret, or the body was "
            "changed on the way)"
        )


def query_params(query: Query) -> dict[str, list[str]]:
    """A query string (``a=1&b=2``) or a mapping (str or list values) as lists of values."""
    if isinstance(query, str):
        return parse_qs(query.lstrip("?"), keep_blank_values=True)
    params: dict[str, list[str]] = {}
    for key, value in query.items():
        params[key] = [value] if isinstance(value, str) else [str(v) for v in value]
    return params


def _single(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(set(values)) > 1:
        raise HandshakeError(f"{name} was given more than once", status=400)
    return values[0]


def answer_handshake(query: Query, verify_token: str) -> str:
    """The body to answer a subscription request with: its `hub.challenge`.

    `query` is the request's query string or its parameters. Raises HandshakeError: 400 when
    `hub.mode` is not ``subscribe`` or the challenge is missing or too long, 403 when
    `hub.verify_token` is missing or is not `verify_token` (compared in constant time).
    """
    params = query_params(query)
    mode = _single(params, MODE)
    if mode is None:
        raise HandshakeError(f"not a subscription request: {MODE} missing", status=400)
    if mode != "subscribe":
        raise HandshakeError(f"{MODE} must be subscribe", status=400)
    token = _single(params, VERIFY_TOKEN)
    if not token:
        raise HandshakeError(f"{VERIFY_TOKEN} missing", status=403)
    if not hmac.compare_digest(token.encode("utf-8"), verify_token.encode("utf-8")):
        raise HandshakeError(f"{VERIFY_TOKEN} does not match", status=403)
    challenge = _single(params, CHALLENGE)
    if not challenge:
        raise HandshakeError(f"{CHALLENGE} missing", status=400)
    if len(challenge) > MAX_CHALLENGE_LENGTH or not challenge.isprintable():
        raise HandshakeError(f"{CHALLENGE} is not a plain challenge", status=400)
    return challenge
