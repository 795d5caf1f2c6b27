"""`Credentials`: a Threads user token and what is known about it (re-exported by
`threadspipepy.auth`), with the token lifetimes and the UTC time helpers it uses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from ._redaction import MASK
from .errors import ValidationError

# Lifetimes (threads-api.md §2.5), used when Meta's answer has no expires_in.
SHORT_LIVED_LIFETIME = timedelta(hours=1)
LONG_LIVED_LIFETIME = timedelta(days=60)
REFRESH_MIN_AGE = timedelta(hours=24)
DEFAULT_REFRESH_MARGIN = timedelta(days=7)
# The token age after which a token store refreshes it (tokens.TokenKeeper, ThreadsPipe).
DEFAULT_REFRESH_AFTER = timedelta(days=7)


# -- Credentials ---------------------------------------------------------------------------------
def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def lifetime_seconds(body: Mapping[str, Any]) -> float | None:
    value: Any = body.get("expires_in")
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


@dataclass(frozen=True)
class Credentials:
    """A Threads user token and what is known about it. Frozen; the repr masks the token.

    `expiration` and `issued_at` are timezone-aware UTC datetimes (None when unknown).
    `to_json()` holds the token (that is its purpose: store it like a password);
    `from_json()` reads it back.
    """

    user_id: str
    access_token: str = field(repr=False)
    scopes: tuple[str, ...] = ()
    short_lived: bool = False
    expiration: datetime | None = None
    issued_at: datetime | None = None

    def __post_init__(self) -> None:
        user_id: Any = self.user_id  # callers pass ints too (Meta sends numbers)
        if not isinstance(user_id, str | int) or isinstance(user_id, bool):
            raise ValidationError("user_id must be a Threads user id.", parameter="user_id")
        if not str(user_id).strip():
            raise ValidationError("user_id must be a Threads user id.", parameter="user_id")
        token: Any = self.access_token
        if not isinstance(token, str) or not token:
            raise ValidationError(
                "access_token must be a non-empty string.", parameter="access_token"
            )
        object.__setattr__(self, "user_id", str(user_id).strip())
        scopes: Any = self.scopes
        scopes = (scopes,) if isinstance(scopes, str) else scopes
        object.__setattr__(self, "scopes", tuple(str(s) for s in scopes))
        for name in ("expiration", "issued_at"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, datetime):
                raise ValidationError(f"{name} must be a datetime or None.", parameter=name)
            object.__setattr__(self, name, _as_utc(value))

    def __repr__(self) -> str:
        return (
            f"Credentials(user_id={self.user_id!r}, access_token={MASK!r}, "
            f"scopes={self.scopes!r}, short_lived={self.short_lived!r}, "
            f"expiration={self.expiration!r})"
        )

    __str__ = __repr__

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_token_response(
        cls,
        body: Mapping[str, Any],
        *,
        user_id: str | int,
        scopes: Iterable[str] = (),
        short_lived: bool | None = None,
        now: datetime | None = None,
    ) -> Credentials:
        """Credentials from an answer of Meta's token endpoints (`access_token`, `expires_in`).

        Without `short_lived`, an answer whose `expires_in` is more than a day is taken as
        long-lived (the long-lived exchange and refresh send about 60 days; the code exchange
        sends none, or 1 hour). Missing lifetimes default to Meta's documented ones (1 hour,
        60 days).
        """
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise ValidationError("the token response has no access_token.", parameter="body")
        issued = _as_utc(now) or utcnow()
        seconds = lifetime_seconds(body)
        if short_lived is None:
            is_short = seconds is None or seconds <= REFRESH_MIN_AGE.total_seconds()
        else:
            is_short = short_lived
        if seconds is None:
            lifetime = SHORT_LIVED_LIFETIME if is_short else LONG_LIVED_LIFETIME
        else:
            lifetime = timedelta(seconds=seconds)
        return cls(
            user_id=str(user_id),
            access_token=token,
            scopes=tuple(scopes),
            short_lived=is_short,
            expiration=issued + lifetime,
            issued_at=issued,
        )

    # -- time ---------------------------------------------------------------------------------
    def expires_in(self, now: datetime | None = None) -> timedelta | None:
        """Time left before the token expires (negative once expired; None if unknown)."""
        if self.expiration is None:
            return None
        return self.expiration - (_as_utc(now) or utcnow())

    def expired(self, now: datetime | None = None) -> bool:
        """Whether the token has expired (False when the expiration is unknown)."""
        left = self.expires_in(now)
        return left is not None and left <= timedelta(0)

    def age(self, now: datetime | None = None) -> timedelta | None:
        """Time since the token was issued (None if unknown)."""
        if self.issued_at is None:
            return None
        return (_as_utc(now) or utcnow()) - self.issued_at

    def refreshable(self, now: datetime | None = None) -> bool:
        """Whether Meta would refresh it now: long-lived, at least 24 hours old, not expired."""
        if self.short_lived or self.expired(now):
            return False
        age = self.age(now)
        return age is None or age >= REFRESH_MIN_AGE

    def needs_refresh(
        self, margin: timedelta | float = DEFAULT_REFRESH_MARGIN, now: datetime | None = None
    ) -> bool:
        """Whether to refresh now: it is refreshable and expires within `margin` (a timedelta or
        seconds; default 7 days). With a margin of 60 days it is due as soon as it is refreshable.
        """
        if not isinstance(margin, timedelta):
            margin = timedelta(seconds=float(margin))
        if not self.refreshable(now):
            return False
        left = self.expires_in(now)
        return left is None or left <= margin

    # -- JSON ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the token included): what `to_json` writes."""
        return {
            "user_id": self.user_id,
            "access_token": self.access_token,
            "scopes": list(self.scopes),
            "short_lived": self.short_lived,
            "expiration": iso(self.expiration),
            "issued_at": iso(self.issued_at),
        }

    def to_json(self, **dumps_options: Any) -> str:
        """JSON text holding the token: store it as you would a password."""
        return json.dumps(self.to_dict(), **dumps_options)

    @classmethod
    def from_json(cls, data: str | bytes | Mapping[str, Any]) -> Credentials:
        """Credentials from `to_json()` text (or its dict)."""
        loaded: Any = data
        if isinstance(data, str | bytes):
            try:
                loaded = json.loads(data)
            except ValueError:  # its .doc is the text, token included: raise outside, no context
                loaded = None
            if loaded is None:
                raise ValidationError("not Credentials JSON (it does not parse).", parameter="data")
        if not isinstance(loaded, Mapping):
            raise ValidationError("Credentials JSON must be an object.", parameter="data")
        missing = [k for k in ("user_id", "access_token") if not loaded.get(k)]
        if missing:
            raise ValidationError(
                f"Credentials JSON lacks {', '.join(missing)}.", parameter=missing[0]
            )
        scopes = loaded.get("scopes") or ()
        if isinstance(scopes, str):
            scopes = [s for s in scopes.replace(",", " ").split() if s]
        return cls(
            user_id=str(loaded["user_id"]),
            access_token=str(loaded["access_token"]),
            scopes=tuple(str(s) for s in scopes),
            short_lived=bool(loaded.get("short_lived", False)),
            expiration=parse_iso(loaded.get("expiration"), "expiration"),
            issued_at=parse_iso(loaded.get("issued_at"), "issued_at"),
        )

    def with_token(self, access_token: str) -> Credentials:
        """A copy holding another token (the other fields kept)."""
        return replace(self, access_token=access_token)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def parse_iso(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), timezone.utc)
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be an ISO 8601 time.", parameter=name)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return _as_utc(datetime.fromisoformat(text))
    except ValueError:
        raise ValidationError(f"{name} must be an ISO 8601 time.", parameter=name) from None
