"""Secrets are masked wherever they appear: URLs, form bodies, JSON, free text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from threadspipepy._redaction import MASK, Redactor, redact_text


def test_query_string_secrets_are_masked() -> None:
    url = "/access_token?grant_type=th_exchange_token&client_secret=S3CR3T&access_token=TOK123"
    out = redact_text(url)
    assert "S3CR3T" not in out and "TOK123" not in out
    assert "grant_type=th_exchange_token" in out
    assert out.count(MASK) == 2


def test_code_and_input_token_are_masked_but_similar_names_are_not() -> None:
    out = redact_text("code=AQBx-hB&input_token=abc123&error_code=1349026&zipcode=12345")
    assert "AQBx-hB" not in out and "abc123" not in out
    assert "error_code=1349026" in out and "zipcode=12345" in out


def test_json_bodies_and_bearer_headers_are_masked() -> None:
    body = '{"access_token": "THQVJabc", "user_id": 17841405793187218}'
    assert "THQVJabc" not in redact_text(body)
    assert "17841405793187218" in redact_text(body)
    assert redact_text("Bearer THQVJabcdef") == "Bearer " + MASK


def test_literal_secrets_are_masked_anywhere() -> None:
    redactor = Redactor(["canary-TOKEN-42", None])
    assert redactor.text("echoed: canary-TOKEN-42!") == f"echoed: {MASK}!"


@given(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd")), min_size=6))
def test_any_token_in_a_query_is_masked(token: str) -> None:
    out = redact_text(f"https://graph.threads.net/v1.0/me?access_token={token}&x=1")
    assert out == "https://graph.threads.net/v1.0/me?access_token=***&x=1"
