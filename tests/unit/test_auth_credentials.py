"""Credentials: a frozen value with UTC times, lifetime questions, JSON, and a masked repr."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone

import pytest

from threadspipepy import Credentials, ThreadsPipe, TokenExpiredError, ValidationError, auth

TOKEN = "THAAcredentials-canary-token-1234567890"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def long_lived(issued: datetime = T0, days: float = 60) -> Credentials:
    return Credentials(
        user_id="17841400000000001",
        access_token=TOKEN,
        scopes=("threads_basic", "threads_content_publish"),
        expiration=issued + timedelta(days=days),
        issued_at=issued,
    )


def test_repr_and_str_mask_the_token() -> None:
    creds = long_lived()
    for text in (repr(creds), str(creds), f"{creds}", repr([creds]), repr({"c": creds})):
        assert TOKEN not in text
        assert "***" in text
    assert "17841400000000001" in repr(creds)


def test_it_is_frozen() -> None:
    creds = long_lived()
    with pytest.raises(dataclasses.FrozenInstanceError):
        creds.access_token = "other"  # type: ignore[misc]
    assert creds.with_token("THAAnew").access_token == "THAAnew"
    assert creds.access_token == TOKEN


def test_times_are_utc() -> None:
    naive = datetime(2026, 3, 1, 12, 0)
    plus_two = datetime(2026, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    creds = Credentials("1", TOKEN, expiration=naive, issued_at=plus_two)
    assert creds.expiration == T0
    assert creds.expiration is not None and creds.expiration.tzinfo == timezone.utc
    assert creds.issued_at == T0
    assert creds.issued_at is not None and creds.issued_at.utcoffset() == timedelta(0)


def test_user_id_becomes_a_string_and_scopes_a_tuple() -> None:
    creds = Credentials(17841400000000001, TOKEN, scopes=["threads_basic"])  # type: ignore[arg-type]
    assert creds.user_id == "17841400000000001"
    assert creds.scopes == ("threads_basic",)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"user_id": "", "access_token": TOKEN}, "user_id"),
        ({"user_id": True, "access_token": TOKEN}, "user_id"),
        ({"user_id": "1", "access_token": ""}, "access_token"),
        ({"user_id": "1", "access_token": TOKEN, "expiration": "tomorrow"}, "expiration"),
    ],
)
def test_bad_values_are_refused(kwargs: dict[str, object], parameter: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Credentials(**kwargs)  # type: ignore[arg-type]
    assert caught.value.parameter == parameter
    assert TOKEN not in str(caught.value)


def test_expires_in_and_expired() -> None:
    creds = long_lived()
    assert creds.expires_in(T0) == timedelta(days=60)
    assert creds.expires_in(T0 + timedelta(days=59)) == timedelta(days=1)
    assert not creds.expired(T0 + timedelta(days=59, hours=23))
    assert creds.expired(T0 + timedelta(days=60))
    assert creds.expires_in(T0 + timedelta(days=61)) == timedelta(days=-1)
    unknown = Credentials("1", TOKEN)
    assert unknown.expires_in() is None
    assert not unknown.expired()


def test_expired_uses_the_real_clock_by_default() -> None:
    assert not long_lived(datetime.now(timezone.utc)).expired()
    assert long_lived(datetime.now(timezone.utc) - timedelta(days=61)).expired()


def test_refreshable_once_24_hours_old_and_before_expiry() -> None:
    creds = long_lived()
    assert not creds.refreshable(T0)
    assert not creds.refreshable(T0 + timedelta(hours=23, minutes=59))
    assert creds.refreshable(T0 + timedelta(hours=24))
    assert creds.refreshable(T0 + timedelta(days=59))
    assert not creds.refreshable(T0 + timedelta(days=60))
    short = dataclasses.replace(creds, short_lived=True)
    assert not short.refreshable(T0 + timedelta(days=2))


def test_needs_refresh_with_a_margin() -> None:
    creds = long_lived()
    # Default margin: 7 days before expiry.
    assert not creds.needs_refresh(now=T0 + timedelta(days=52))
    assert creds.needs_refresh(now=T0 + timedelta(days=53, seconds=1))
    # A margin as large as the lifetime: due as soon as the token may be refreshed.
    assert not creds.needs_refresh(timedelta(days=60), now=T0 + timedelta(hours=1))
    assert creds.needs_refresh(timedelta(days=60), now=T0 + timedelta(days=1))
    # Seconds work too; never once expired (it can no longer be refreshed).
    assert creds.needs_refresh(30 * 86400, now=T0 + timedelta(days=31))
    assert not creds.needs_refresh(timedelta(days=60), now=T0 + timedelta(days=61))


def test_json_round_trip() -> None:
    creds = long_lived()
    text = creds.to_json()
    data = json.loads(text)
    assert data == {
        "user_id": "17841400000000001",
        "access_token": TOKEN,
        "scopes": ["threads_basic", "threads_content_publish"],
        "short_lived": False,
        "expiration": "2026-04-30T12:00:00Z",
        "issued_at": "2026-03-01T12:00:00Z",
    }
    assert Credentials.from_json(text) == creds
    assert Credentials.from_json(data) == creds
    assert Credentials.from_json(text.encode()) == creds


def test_from_json_accepts_offsets_unix_times_and_comma_scopes() -> None:
    creds = Credentials.from_json(
        {
            "user_id": 5,
            "access_token": TOKEN,
            "scopes": "threads_basic,threads_delete",
            "expiration": "2026-03-01T14:00:00+02:00",
            "issued_at": T0.timestamp(),
        }
    )
    assert creds.expiration == T0
    assert creds.issued_at == T0
    assert creds.scopes == ("threads_basic", "threads_delete")


@pytest.mark.parametrize(
    "data",
    [
        "not json",
        "[1, 2]",
        json.dumps({"user_id": "1"}),
        json.dumps({"access_token": TOKEN}),
        json.dumps({"user_id": "1", "access_token": TOKEN, "expiration": "soon"}),
    ],
)
def test_from_json_errors_are_validation_errors_without_the_token(data: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Credentials.from_json(data)
    assert TOKEN not in str(caught.value)


def test_from_token_response_long_and_short() -> None:
    long = Credentials.from_token_response(
        {"access_token": TOKEN, "token_type": "bearer", "expires_in": 5183944},
        user_id=7,
        scopes=["threads_basic"],
        now=T0,
    )
    assert not long.short_lived
    assert long.issued_at == T0
    assert long.expiration == T0 + timedelta(seconds=5183944)
    short = Credentials.from_token_response(
        {"access_token": TOKEN, "user_id": 7}, user_id=7, now=T0
    )
    assert short.short_lived
    assert short.expiration == T0 + timedelta(hours=1)
    guessed = Credentials.from_token_response(
        {"access_token": TOKEN}, user_id=7, short_lived=False, now=T0
    )
    assert guessed.expiration == T0 + timedelta(days=60)
    with pytest.raises(ValidationError):
        Credentials.from_token_response({"token_type": "bearer"}, user_id=7)


def test_threadspipe_takes_credentials() -> None:
    creds = long_lived()
    for tp in (
        ThreadsPipe(credentials=creds),
        ThreadsPipe.from_credentials(creds),
        ThreadsPipe.from_credentials(creds.to_json()),
        ThreadsPipe.from_credentials(creds.to_dict()),
    ):
        assert tp.__threads_user_id__ == "17841400000000001"
        assert tp.__threads_access_token__ == TOKEN
        assert TOKEN not in repr(tp)
    # The 0.4.5 constructor still works, and explicit arguments win over credentials.
    assert ThreadsPipe("9", "tok").__threads_user_id__ == "9"
    assert ThreadsPipe("9", credentials=creds).__threads_user_id__ == "9"
    with pytest.raises(TypeError):
        ThreadsPipe()


def test_refreshing_expired_or_short_credentials_fails_before_any_request() -> None:
    expired = long_lived(datetime.now(timezone.utc) - timedelta(days=61))
    # base_url points nowhere: any request would be a connection error instead.
    with pytest.raises(TokenExpiredError) as caught:
        auth.refresh_credentials(expired, base_url="http://127.0.0.1:9")
    assert "authorize the app again" in str(caught.value)
    assert TOKEN not in str(caught.value)
    short = dataclasses.replace(long_lived(datetime.now(timezone.utc)), short_lived=True)
    with pytest.raises(ValidationError, match="short-lived"):
        auth.refresh_credentials(short, base_url="http://127.0.0.1:9")
    with pytest.raises(ValidationError):
        auth.refresh_credentials("not credentials", base_url="http://127.0.0.1:9")  # type: ignore[arg-type]


def test_a_code_exchange_answer_with_an_hour_is_short_lived() -> None:
    body = {"access_token": TOKEN, "user_id": 7, "expires_in": 3600}
    creds = Credentials.from_token_response(body, user_id=7, now=T0)
    assert creds.short_lived
    assert creds.expiration == T0 + timedelta(hours=1)
