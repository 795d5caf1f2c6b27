"""The auth methods of `ThreadsPipe` (a mixin): 0.4.5's three, plus the Credentials-based ones.

They run `auth.OAuthFlow` (the one implementation of the exchanges) over the client's own
GraphClient (its base URL, session, timeout and logging) without its access token: the OAuth
endpoints are unversioned and take their secrets as parameters. 0.4.5's methods return result
dicts (`'error' in result` on failure, or raise with `raise_on_error=True`); the new ones return
values and raise typed errors. Bad arguments are a ValidationError, always before any request.
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


# 0.4.5's messages for a failed get_access_tokens, by the exchange that failed.
EXCHANGE_FAILURES = {
    "code": "Could not generate short lived token",
    "long_lived": "Could not generate long lived token",
}


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

        0.4.5 returned None and never showed the URL. The URL carries a fresh random state unless
        one is given; use `authorization_url()` to get the state back and check it.

        Args:
            app_id: Your app's Threads app id.
            redirect_uri: Where Threads sends the user back with the code: one of the app's
                redirect callback URLs.
            scope: The permissions to ask for: `'all'` (0.4.5's default: every permission), keys
                of `__threads_auth_scope__` (`'publish'`), raw names (`'threads_content_publish'`),
                comma strings or lists of these. `threads_basic` is always included.
            state: The state to carry (default: a fresh random one).

        Returns:
            The authorization URL.

        Example:
            url = tp.get_auth_token(app_id="1234567890", redirect_uri="https://example.com/cb")
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
        """Swap the code for a short-lived token, then for a long-lived one (0.4.5's shape).

        Args:
            app_id: Your app's Threads app id.
            app_secret: Your app's secret (server side only).
            auth_code: The code from the redirect (its `#_` may stay), or the whole redirect URL.
            redirect_uri: The same redirect URI the authorization URL used.

        Returns:
            `{'user_id': ..., 'tokens': {'short_lived': {...}, 'long_lived': {...}}}`; on failure
            `{'info': 'error', 'message': 'Could not generate short lived token' (or long lived),
            'error': {...}}`.

        Example:
            tokens = tp.get_access_tokens(app_id, app_secret, redirect_url, redirect_uri)
            tp.update_param(tokens["user_id"], tokens["tokens"]["long_lived"]["access_token"])
        """
        flow = auth.OAuthFlow(self._graph)
        try:
            exchange = auth.CodeExchange.check(app_id, app_secret, auth_code, redirect_uri)
            pair = flow.exchange_tokens(exchange)
        except ValidationError:  # bad arguments: raised, always
            raise
        except ThreadsPipeError as exc:  # a refused exchange, or a Cancel redirect as auth_code
            return self._deliver(results.failure(EXCHANGE_FAILURES[flow.step], exc))
        return self._deliver(Result(pair.as_dict()))

    def refresh_token(
        self,
        access_token: str,
        env_path: str | os.PathLike[str] | None = None,
        env_variable: str | None = None,
    ) -> Result:
        """Refresh a long-lived token (24 hours old or more, not expired) for 60 more days.

        With `env_path` and `env_variable`, the new token is also written to that variable of that
        `.env` file (atomically; every other line kept; the file is created with mode 0600).

        Args:
            access_token: The long-lived token to refresh.
            env_path: The `.env` file to write the new token into (with `env_variable`).
            env_variable: The variable of `env_path` that holds the token.

        Returns:
            Meta's JSON (`access_token`, `token_type`, `expires_in`). On failure `{'info': 'error',
            'message': ..., 'error': {...}}`; if only the file write failed, the result's `data`
            still holds the new token (the old one stays valid too).

        Example:
            tp.refresh_token(token, env_path=".env", env_variable="THREADS_ACCESS_TOKEN")
        """
        token = auth.check_token(access_token, "access_token")
        target = auth.check_env_target(env_path, env_variable)
        try:
            body = auth.OAuthFlow(self._graph).refresh(token)
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

        Args:
            app_id: Your app's Threads app id.
            redirect_uri: Where Threads sends the user back with the code.
            scope: The permissions to ask for: `'all'`, keys of `__threads_auth_scope__`, raw
                names, comma strings or lists.
            state: The state to carry (default: a fresh random one); keep it for
                `complete_authorization()`.
            authorize_url: The authorization window (default `$THREADS_AUTHORIZE_URL`, else
                `https://threads.com/oauth/authorize`).

        Example:
            url, state = tp.authorization_url(app_id, "https://example.com/cb", "basic,publish")
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
        """Check the state and exchange the code, then for a long-lived token: `Credentials`.

        Raises StateMismatchError (before any request), AuthorizationDeniedError, OAuthError or
        TokenExpiredError, always, whatever `raise_on_error` says.

        Args:
            app_id: Your app's Threads app id.
            app_secret: Your app's secret (server side only).
            redirect_uri: The same redirect URI the authorization URL used.
            requested_url: The URL Threads redirected the user to (with `code` and `state`).
            state: The state `authorization_url()` returned.
            scopes: The permissions the URL asked for, recorded in the credentials.

        Example:
            creds = tp.complete_authorization(app_id, app_secret, redirect_uri, redirected, state)
        """
        exchange = auth.CodeExchange.from_redirect(
            app_id, app_secret, redirect_uri, requested_url, state, scopes
        )
        return auth.OAuthFlow(self._graph).complete(exchange)

    def refresh_credentials(self, credentials: auth.Credentials) -> auth.Credentials:
        """New long-lived `Credentials` from refreshing these (the old token stays valid).

        An expired token raises TokenExpiredError, before any request.

        Args:
            credentials: The long-lived credentials to refresh.

        Example:
            creds = tp.refresh_credentials(creds)
        """
        auth.check_refreshable(credentials)
        return auth.OAuthFlow(self._graph).refresh_credentials(credentials)


__all__ = ["AuthMethods"]
