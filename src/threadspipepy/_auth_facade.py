"""The auth methods of `ThreadsPipe` (a mixin): 0.4.5's three, plus the Credentials-based ones.

They send through the client's own GraphClient (its base URL, session, timeout and logging)
without its access token: the OAuth endpoints are unversioned and take their secrets as
parameters. 0.4.5's methods return result dicts (`'error' in result` on failure, or raise with
`raise_on_error=True`); the new ones return values and raise typed errors. Bad arguments are a
ValidationError, always before any request.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from . import results
from ._lazy import LazyClassValue, LazyModule
from .errors import ThreadsPipeError, ValidationError
from .results import Result

if TYPE_CHECKING:
    from . import auth
    from ._log import Log
    from ._transport import GraphClient
    from .config import ClientConfig
else:
    auth = LazyModule("threadspipepy.auth")  # loaded by the first OAuth call


class AuthMethods:
    """OAuth helpers on the client; the same steps as the functions in `threadspipepy.auth`."""

    # 0.4.5's scope keys and one per permission added since (the table lives in auth.py).
    __threads_auth_scope__ = LazyClassValue(lambda: dict(auth.SCOPES))

    if TYPE_CHECKING:
        _graph: GraphClient
        _config: ClientConfig
        _log: Log

        def _deliver(self, result: Result) -> Result: ...

    # -- 0.4.5's methods --------------------------------------------------------------------
    def get_auth_token(
        self,
        app_id: str | int,
        redirect_uri: str,
        scope: str | Iterable[str] = "all",
        state: str | None = None,
    ) -> str:
        """Build the authorization URL, open it in a browser when there is one, return it.

        0.4.5 returned None and never showed the URL. The URL carries a fresh random state
        unless one is given; use `authorization_url()` to get the state back and check it.
        """
        url, _ = self.authorization_url(app_id, redirect_uri, scope, state)
        if auth.open_browser(url):
            self._log.info("Opened the authorization window in a browser")
        else:
            self._log.info("Open this URL in a browser to authorize the app: %s", url)
        return url

    def get_access_tokens(
        self, app_id: str | int, app_secret: str, auth_code: str, redirect_uri: str
    ) -> Result:
        """Swap the code for a short-lived token, then for a long-lived one (0.4.5's shape):
        `{'user_id': ..., 'tokens': {'short_lived': {...}, 'long_lived': {...}}}`.

        `auth_code` may keep its `#_`, or be the whole redirect URL. On failure:
        `{'info': 'error', 'message': 'Could not generate short lived token' (or long lived),
        'error': {...}}`.
        """
        try:
            client_id, secret, code, redirect = auth._exchange_args(
                app_id, app_secret, auth_code, redirect_uri
            )
        except auth.AuthorizationDeniedError as exc:  # a Cancel redirect given as auth_code
            return self._deliver(results.failure("Could not generate short lived token", exc))
        try:
            short = auth._exchange_code(self._graph, client_id, secret, code, redirect)
        except ThreadsPipeError as exc:
            return self._deliver(results.failure("Could not generate short lived token", exc))
        try:
            long = auth._exchange_for_long_lived(self._graph, secret, str(short["access_token"]))
        except ThreadsPipeError as exc:
            return self._deliver(results.failure("Could not generate long lived token", exc))
        return self._deliver(
            Result(user_id=short["user_id"], tokens={"short_lived": short, "long_lived": long})
        )

    def refresh_token(
        self,
        access_token: str,
        env_path: str | os.PathLike[str] | None = None,
        env_variable: str | None = None,
    ) -> Result:
        """Refresh a long-lived token (24 hours old or more, not expired) for 60 more days.

        Returns Meta's JSON (`access_token`, `token_type`, `expires_in`). With `env_path` and
        `env_variable`, the new token is also written to that variable of that `.env` file
        (atomically; every other line kept; the file is created with mode 0600). On failure:
        `{'info': 'error', 'message': ..., 'error': {...}}`; if only the file write failed, the
        result's `data` still holds the new token (the old one stays valid too).
        """
        token = auth._token(access_token, "access_token")
        target = auth.check_env_target(env_path, env_variable)
        try:
            body = auth._refresh(self._graph, token)
        except ThreadsPipeError as exc:
            message = "An error occurred: could not refresh the access token"
            return self._deliver(results.failure(message, exc))
        if target is not None:
            try:
                auth.update_env_file(target[0], target[1], str(body["access_token"]))
            except (auth.EnvFileError, ValidationError) as exc:
                message = f"Refreshed the token but could not write it to {env_path}"
                return self._deliver(results.failure(message, exc, data=body))
            self._log.info("Updated the %s variable in %s", target[1], env_path)
        return self._deliver(results.graph(body))

    # -- new --------------------------------------------------------------------------------
    def authorization_url(
        self,
        app_id: str | int,
        redirect_uri: str,
        scope: str | Iterable[str] = "all",
        state: str | None = None,
        *,
        authorize_url: str | None = None,
    ) -> tuple[str, str]:
        """`(url, state)`: the authorization window's URL and the state to check on return.

        `scope` takes the keys of `__threads_auth_scope__`, raw names, comma strings or lists.
        """
        return auth.authorization_url(
            app_id,
            redirect_uri,
            scope,
            state,
            authorize_url=authorize_url,
            keys=type(self).__threads_auth_scope__,
        )

    def complete_authorization(
        self,
        app_id: str | int,
        app_secret: str,
        redirect_uri: str,
        requested_url: str,
        state: str,
        *,
        scopes: str | Iterable[str] | None = None,
    ) -> auth.Credentials:
        """Check the state (before any request), exchange the code, then for a long-lived
        token: long-lived `Credentials`. Raises StateMismatchError, AuthorizationDeniedError,
        OAuthError or TokenExpiredError (always, whatever `raise_on_error` says)."""
        client_id, secret, redirect, answer, granted = auth._completion_args(
            app_id, app_secret, redirect_uri, requested_url, state, scopes
        )
        return auth._complete(self._graph, client_id, secret, redirect, answer.code, granted)

    def refresh_credentials(self, credentials: auth.Credentials) -> auth.Credentials:
        """New long-lived `Credentials` from refreshing these (the old token stays valid).
        An expired token raises TokenExpiredError, before any request."""
        auth._check_refreshable(credentials)
        return auth._refresh_credentials(self._graph, credentials)


__all__ = ["AuthMethods"]
