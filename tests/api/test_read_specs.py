"""The read endpoints are described once (reading.READ_SPECS): every paged one is walked by an
iterator, and each one's declared permission is the one the sandbox (written from Meta's
permission table, threads-api.md §2.8) asks for."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import requests

from threadspipepy import ThreadsPipe
from threadspipepy import reading as r
from threadspipepy.testing import ThreadsSandbox

TIMEOUT = 5


# What the iterators' first parameters are given (found by name, so a new iterator is
# walked without changing this test).
ITERATOR_ARGUMENTS = {"post_id": "{post}", "username": "someone", "q": "seeded"}


def test_every_paged_endpoint_has_an_iterator(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    (post,) = sandbox.seed_posts(1, enable_reply_approvals=True)
    sandbox.seed_profile("someone", posts=1)
    sandbox.clear_requests()
    names = [name for name in dir(tp) if name.startswith("iter_")]
    for name in names:
        method = getattr(tp, name)
        required = [
            p.name
            for p in inspect.signature(method).parameters.values()
            if p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD
        ]
        arguments = [ITERATOR_ARGUMENTS[p].format(post=post["id"]) for p in required]
        list(method(*arguments))
    walked = {request.path.removeprefix("/v1.0/") for request in sandbox.requests}
    paged = {spec.path.format(id=post["id"]) for spec in r.READ_SPECS.values() if spec.paged}
    assert len(names) >= 9
    assert walked == paged


def _arguments(spec: r.ReadSpec[Any], post_id: str) -> dict[str, Any]:
    arguments: dict[str, Any] = {"node": post_id} if spec.node is not None else {}
    if "q" in spec.options:
        arguments["q"] = "seeded"
    if "username" in spec.options:
        arguments["username"] = "someone"
    return arguments


def _token(sandbox: ThreadsSandbox, tp: ThreadsPipe, scopes: str) -> str:
    redirected = sandbox.authorize(scopes=scopes)
    tokens = tp.get_access_tokens(
        sandbox.app_id, sandbox.app_secret, redirected, sandbox.redirect_uri
    )
    return str(tokens["tokens"]["long_lived"]["access_token"])


@pytest.mark.parametrize("name", sorted(r.READ_SPECS))
def test_each_endpoint_needs_the_permission_its_spec_declares(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, name: str
) -> None:
    spec = r.READ_SPECS[name]
    (post,) = sandbox.seed_posts(1, enable_reply_approvals=True)
    sandbox.seed_profile("someone", posts=1)
    request = r.request_for(spec, **_arguments(spec, post["id"]))

    def status_with(scopes: str) -> int:
        token = _token(sandbox, tp, scopes)
        response = requests.get(
            f"{sandbox.url}/v1.0/{request.path}",
            params=request.params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
        )
        return response.status_code

    assert status_with(f"threads_basic,{spec.scope}") != 403
    if spec.scope != "threads_basic":
        assert status_with("threads_basic") == 403
