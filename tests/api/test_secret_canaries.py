"""Canary secrets planted everywhere a secret travels never come back out.

Distinctive values stand for the access token, the app secret, an authorization code, a
short-lived token and the GitHub token. Calls that fail in every way a secret could leak
(a server that echoes the token in an error message or a container's error_message, a 307/308
redirect of the code exchange to another host, a refused connection, a DNS failure, a timeout,
a dropped answer) and calls that succeed are run; then every exception is formatted with
`traceback.format_exception` over its whole chain, its `__context__`/`__cause__` and attributes
are walked, and results and every log record at DEBUG (the root logger: urllib3 included) are
read. No canary may appear anywhere, and no requests object may be reachable.
"""

from __future__ import annotations

import json
import logging
import socket
import traceback
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from threadspipepy import Credentials, ThreadsPipe, ThreadsPipeError, auth
from threadspipepy.errors import ThreadsConnectionError
from threadspipepy.results import Result
from threadspipepy.testing import ThreadsSandbox

from ..media_samples import JPEG, PNG
from .conftest import FakeTime

ACCESS = "CANARYaccessToken7f3e9d1c"
SHORT = "CANARYshortLived4b8a2e6f"
GH = "CANARYgithubToken9c1d5a3b"
SECRET_TYPES = (requests.RequestException, requests.Response, requests.PreparedRequest)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def params_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def reachable(root: object, limit: int = 2000) -> Iterator[object]:
    """Every object an exception or result lets one reach: context, cause, args, attributes,
    and the items of containers (traceback frames are out of scope)."""
    seen: set[int] = set()
    pending: list[object] = [root]
    while pending and len(seen) < limit:
        obj = pending.pop()
        if id(obj) in seen or obj is None or isinstance(obj, str | bytes | int | float):
            if isinstance(obj, str | bytes):
                yield obj
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, BaseException):
            pending += [obj.__context__, obj.__cause__, *obj.args, *vars(obj).values()]
        elif isinstance(obj, dict):
            pending += [*obj.keys(), *obj.values()]
            if isinstance(obj, Result):
                pending.append(obj.exception)
        elif isinstance(obj, list | tuple | set | frozenset):
            pending += list(obj)
        elif type(obj).__module__.startswith(("threadspipepy", "requests", "urllib3")):
            pending += list(getattr(obj, "__dict__", {}).values())


class Evidence:
    """Everything the calls produced, as text, and the secrets it must not contain."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.secrets: list[str] = [ACCESS, SHORT, GH]
        self.exceptions: list[BaseException] = []

    def run(self, call: Callable[[], object]) -> Any:
        """Run a call; keep its result or the exception it raised."""
        try:
            outcome = call()
        except ThreadsPipeError as exc:
            self.exceptions.append(exc)
            return exc
        self.add(outcome)
        return outcome

    def add(self, outcome: object) -> None:
        if isinstance(outcome, dict):
            self.texts += [json.dumps(outcome, default=str), repr(outcome)]
            exc = outcome.exception if isinstance(outcome, Result) else None
            if exc is not None:
                self.exceptions.append(exc)
        else:
            self.texts.append(repr(outcome))

    def check(self, records: list[logging.LogRecord]) -> None:
        for exc in self.exceptions:
            self.texts.append("".join(traceback.format_exception(exc)))
            for obj in reachable(exc):
                assert not isinstance(obj, SECRET_TYPES), (type(obj), exc)
                self.texts.append(obj if isinstance(obj, str) else repr(obj))
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        for record in records:
            self.texts += [formatter.format(record), repr(record.args)]
        for text in self.texts:
            for secret in self.secrets:
                assert secret not in text, (secret, text)


@pytest.fixture
def evil() -> Iterator[ThreadsSandbox]:
    """Another host, where a redirect would send a request (it must receive nothing)."""
    with ThreadsSandbox() as other:
        yield other


def test_no_canary_reaches_an_error_chain_a_result_or_a_log_record(
    sandbox: ThreadsSandbox,
    evil: ThreadsSandbox,
    fake_time: FakeTime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sb = sandbox
    account = sb.add_account(access_token=ACCESS)
    ev = Evidence()
    ev.secrets += [sb.app_secret, sb.gh_token]
    echo = f"you sent access_token={ACCESS} (Authorization: Bearer {ACCESS}) and {ACCESS}"
    with caplog.at_level(logging.DEBUG):  # the root logger: urllib3's lines included
        tp = fake_time.install(sb.client(user_id=account.user_id, access_token=ACCESS))
        strict = fake_time.install(
            sb.client(user_id=account.user_id, access_token=ACCESS, raise_on_error=True)
        )
        ev.texts += [repr(tp), repr(strict)]

        # Succeeding calls.
        assert ev.run(lambda: tp.pipe("A fine post")).ok
        assert ev.run(lambda: tp.get_publishing_limit()).ok

        # A Graph error that echoes the token, as a result and raised.
        for client in (tp, strict):
            sb.fail("POST", "/v1.0/*/threads", code=100, message=echo)
            ev.run(lambda c=client: c.pipe("Echoed"))
        # A container whose error_message echoes the token: result, exception, status read.
        image = sb.host_file("photo.jpg", JPEG)
        sb.fail_next_container(status="ERROR", error_message=f"FAILED for {ACCESS}")
        failed = ev.run(lambda: tp.pipe("Bad media", files=[image]))
        assert isinstance(failed, dict) and "ERROR" in failed["error"]["message"]
        assert "FAILED for ***" in failed["error"]["container_error_message"]
        container = next(c for c in sb.containers if c["status"] == "ERROR")
        status = ev.run(lambda: tp.container_status(container["id"]))
        assert isinstance(status, dict) and status["error_message"] == "FAILED for ***"

        # GitHub: an error message that echoes the token, and a refused connection.
        gh = fake_time.install(
            sb.client(user_id=account.user_id, access_token=ACCESS, gh_bearer_token=GH)
        )
        sb.fail("PUT", "/github/*", status=401, message=f"Bad credentials: {GH} {sb.gh_token}")
        assert not ev.run(lambda: gh.pipe("Upload", files=[PNG])).ok
        gh_down = fake_time.install(
            sb.client(
                access_token=sb.access_token,
                gh_base_url=f"http://127.0.0.1:{free_port()}",
                max_retries=0,
            )
        )
        assert not ev.run(lambda: gh_down.pipe("No GitHub", files=[PNG])).ok

        # Connection refused, DNS failure, timeout: nothing of requests stays behind.
        for base in (f"http://127.0.0.1:{free_port()}", "https://threads.invalid"):
            down = ThreadsPipe(account.user_id, ACCESS, threads_base_url=base, max_retries=0)
            ev.run(lambda d=down: d.pipe("Nobody listens"))
            ev.run(lambda d=down: d.get_profile())
        slow = sb.client(user_id=account.user_id, access_token=ACCESS, timeout=0.2, max_retries=0)
        sb.delay("GET", "/v1.0/*/threads_publishing_limit", 0.6)
        ev.run(lambda: slow.get_publishing_limit())

        # OAuth on the client: a redirect of the code exchange to another host, never followed.
        for status_code in (307, 308):
            code = params_of(sb.authorize())["code"]
            ev.secrets.append(code)
            sb.redirect(
                "POST", "/oauth/access_token", f"{evil.url}/oauth/access_token", status=status_code
            )
            redirected = ev.run(
                lambda c=code: tp.get_access_tokens(sb.app_id, sb.app_secret, c, sb.redirect_uri)
            )
            assert isinstance(redirected, dict) and redirected["info"] != "success"
            assert f"HTTP {status_code}" in redirected["error"]["message"]
        # ... and the same, standalone and raised.
        code = params_of(sb.authorize())["code"]
        ev.secrets.append(code)
        sb.redirect("POST", "/oauth/access_token", f"{evil.url}/oauth/access_token")
        raised = ev.run(
            lambda: auth.exchange_code(
                sb.app_id, sb.app_secret, code, sb.redirect_uri, base_url=sb.url
            )
        )
        assert isinstance(raised, auth.OAuthError)
        assert evil.requests == []  # the secret and the code went nowhere else

        # OAuth errors that echo the app secret, the code and the short-lived token.
        code = params_of(sb.authorize())["code"]
        ev.secrets.append(code)
        sb.fail(
            "POST",
            "/oauth/access_token",
            code=1,
            message=f"Error validating client secret {sb.app_secret} for code {code}",
        )
        ev.run(lambda: tp.get_access_tokens(sb.app_id, sb.app_secret, code, sb.redirect_uri))
        code = params_of(sb.authorize())["code"]
        ev.secrets.append(code)
        sb.fail("GET", "/access_token", code=1, message=f"client_secret {sb.app_secret} refused")
        ev.run(lambda: tp.get_access_tokens(sb.app_id, sb.app_secret, code, sb.redirect_uri))
        sb.fail("GET", "/access_token", code=190, message=f"Bad token {SHORT}")
        ev.run(lambda: auth.exchange_for_long_lived(sb.app_secret, SHORT, base_url=sb.url))
        sb.fail("GET", "/refresh_access_token", code=190, message=echo)
        ev.run(lambda: tp.refresh_token(ACCESS))
        # The long-lived exchange (secret and token in its URL) dropped mid-answer.
        code = params_of(sb.authorize())["code"]
        ev.secrets.append(code)
        sb.drop("GET", "/access_token")
        dropped = ev.run(
            lambda: tp.get_access_tokens(sb.app_id, sb.app_secret, code, sb.redirect_uri)
        )
        assert isinstance(dropped, dict)
        assert dropped["error"]["error_class"] == "ThreadsConnectionError"
        ev.secrets.append(sb.requests_to("GET", "/access_token")[-1].query["access_token"])
        # A whole flow that succeeds (its result carries the tokens it was asked for).
        redirected_url, state = auth.authorization_url(sb.app_id, sb.redirect_uri)
        answer = sb.authorize(redirected_url)
        ev.secrets.append(params_of(answer)["code"])
        creds = tp.complete_authorization(sb.app_id, sb.app_secret, sb.redirect_uri, answer, state)
        ev.texts += [repr(creds), str(creds)]

        # Credentials JSON that does not parse, a media URL with a password in it.
        ev.run(lambda: Credentials.from_json('{"user_id": "1", "access_token": "' + ACCESS))
        ev.run(lambda: tp.pipe("x", files=[f"https://bot:{ACCESS}@cdn.example.com/a.jpg"]))

    assert len(ev.exceptions) >= 20
    kinds = {e.kind for e in ev.exceptions if isinstance(e, ThreadsConnectionError)}
    assert {"refused", "dns", "timeout", "reset"} <= kinds
    assert any(r.name.startswith("urllib3") for r in caplog.records)
    assert any("***" in r.getMessage() for r in caplog.records if r.name.startswith("urllib3"))
    ev.check(caplog.records)


def test_the_chain_of_a_connection_error_holds_a_description_not_the_exception() -> None:
    tp = ThreadsPipe(
        "1", ACCESS, threads_base_url=f"http://127.0.0.1:{free_port()}", raise_on_error=True
    )
    tp._sleep = lambda seconds: None
    with pytest.raises(ThreadsConnectionError) as caught:
        tp.get_profile()
    error = caught.value
    assert error.__context__ is None and error.__cause__ is None
    assert error.kind == "refused" and error.request_sent is False
    assert error.host is not None and error.host.startswith("127.0.0.1:")
    assert "connection was refused" in str(error) and error.host in str(error)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("step", ["code", "long_lived", "refresh"])
def test_requests_carrying_secrets_never_follow_a_redirect(
    sandbox: ThreadsSandbox, evil: ThreadsSandbox, status: int, step: str
) -> None:
    sb = sandbox
    code = params_of(sb.authorize())["code"]
    paths = {"code": "/oauth/access_token", "long_lived": "/access_token"}
    method, path = ("POST", paths["code"]) if step == "code" else ("GET", paths.get(step, ""))
    if step == "refresh":
        method, path = "GET", "/refresh_access_token"
    sb.redirect(method, path, f"{evil.url}{path}", status=status)
    calls: dict[str, Callable[[], Any]] = {
        "code": lambda: auth.exchange_code(
            sb.app_id, sb.app_secret, code, sb.redirect_uri, base_url=sb.url
        ),
        "long_lived": lambda: auth.exchange_for_long_lived(sb.app_secret, SHORT, base_url=sb.url),
        "refresh": lambda: auth.refresh_access_token(ACCESS, base_url=sb.url),
    }
    with pytest.raises(auth.OAuthError) as caught:
        calls[step]()
    assert f"HTTP {status}" in str(caught.value) and "do not redirect" in str(caught.value)
    assert caught.value.__context__ is None
    assert evil.requests == []
    assert [r.status for r in sb.requests_to(method, path)] == [status]


def test_graph_requests_still_follow_a_redirect_without_the_token_elsewhere(
    sandbox: ThreadsSandbox, evil: ThreadsSandbox
) -> None:
    """The token travels in a header, which requests drops on a redirect to another host."""
    tp = sandbox.client(max_retries=0)
    sandbox.redirect("GET", "/v1.0/me", f"{evil.url}/v1.0/me")
    result = tp.get_profile()
    assert not result.ok  # the other host does not know the token...
    (request,) = evil.requests
    assert "Authorization" not in request.headers  # ...because it never received it
