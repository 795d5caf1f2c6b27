"""The sandbox's OAuth side: one registered Threads app, the authorization window, codes, tokens.

Written from threads-api.md §2, not from the client:

- the authorization window (`authorize`/`deny`) stands in for the user clicking Allow or
  Cancel: it checks the app id, the redirect URI (exact match), `response_type=code` and the
  scopes, and returns the redirect URL Meta would send the browser to (`?code=...#_`);
- `POST /oauth/access_token` swaps a code for a short-lived token. Codes are single use and
  expire after 1 hour. Its errors use the OAuth shapes, not the Graph envelope:
  `{"error_type": "OAuthException", "code": 400, "error_message": ...}` and, for an app id
  that is not a Threads app id, `{"error_message": ..., "error_code": 1349026}`;
- `GET /access_token?grant_type=th_exchange_token` swaps a short-lived token (1 hour) for a
  long-lived one (60 days); `GET /refresh_access_token?grant_type=th_refresh_token` refreshes a
  long-lived token that is at least 24 hours old and not expired. Both answer
  `{"access_token", "token_type": "bearer", "expires_in"}`, and errors in the Graph envelope;
- a refresh issues a new token and invalidates nothing else;
- `GET /v1.0/debug_token?input_token=...` (threads-api.md §2.7) describes a token of the app
  (`type`, `application`, `data_access_expires_at`, `expires_at`, `is_valid`, `issued_at`,
  `scopes`, `user_id`; times in Unix seconds) to a caller whose own token belongs to a Threads
  tester of the app; every account is a tester unless `set_tester(user_id, False)` says
  otherwise (an app in Live mode used by someone without the role). An expired or unknown
  input token is described as `is_valid: false` with an `error` object, as Graph's debug_token
  does; tokens the sandbox made for its accounts (not through OAuth) never expire
  (`expires_at: 0`);
- tokens it issued work on the Graph API (for the scopes granted) until they expire; the
  sandbox clock (`advance`) ages codes and tokens.

Wording marked "sandbox wording" is ours: Meta does not document those messages.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from ._errors import GraphError, permission_denied
from ._reading import USER_EDGES
from ._records import Incoming, Response
from ._state import DAY, AccountState, SandboxState, random_token

HOUR = 3600.0
CODE_LIFETIME = HOUR
SHORT_LIVED_LIFETIME = HOUR
LONG_LIVED_LIFETIME = 60 * DAY
REFRESH_MIN_AGE = DAY
# Permissions granted by a (public) profile last 90 days; a refresh extends them (§2.4).
DATA_ACCESS_LIFETIME = 90 * DAY
APP_NAME = "Threads Sandbox App"

# threads-api.md §2.8: every permission of the "Access the Threads API" use case.
THREADS_SCOPES: tuple[str, ...] = (
    "threads_basic",
    "threads_content_publish",
    "threads_read_replies",
    "threads_manage_replies",
    "threads_manage_insights",
    "threads_keyword_search",
    "threads_profile_discovery",
    "threads_manage_mentions",
    "threads_delete",
    "threads_location_tagging",
    "threads_share_to_instagram",
)

OAUTH_PATHS = ("/oauth/access_token", "/access_token", "/refresh_access_token")

NO_APP_DATA = (
    "No application data was given: There was a problem getting data for an application. The "
    "application may not be valid or there is a temporary glitch. Please try again later."
)
CODE_NOT_FOUND = "Matching code was not found or was already used"
TESTER_NOT_ACCEPTED = "Invalid Request: The user has not accepted the invite to test the app"
BAD_CLIENT_SECRET = "Error validating client secret."
INVALID_TOKEN = "Invalid OAuth access token - Cannot parse access token"
# Redirect URI mismatch: Graph's wording for the same check on Facebook Login.
REDIRECT_MISMATCH = (
    "Error validating verification code. Please make sure your redirect_uri is identical to "
    "the one you used in the OAuth dialog request"
)


class AuthorizationWindowError(ValueError):
    """What the authorization window shows instead of redirecting (a bad request or app id).

    Meta answers these in the browser with a JSON error rather than a redirect
    (fbsamples/threads_api#24); `body` is that JSON.
    """

    def __init__(self, message: str, body: dict[str, Any]) -> None:
        super().__init__(message)
        self.body = body


@dataclass
class App:
    """The Meta app registered in the sandbox: its Threads ids, and its Facebook app id."""

    app_id: str
    app_secret: str
    facebook_app_id: str
    facebook_app_secret: str
    redirect_uris: list[str]
    name: str = APP_NAME


@dataclass
class Grant:
    """An authorization code, waiting to be exchanged once."""

    user_id: str
    scopes: tuple[str, ...]
    redirect_uri: str
    issued_at: float
    used: bool = False


@dataclass
class Token:
    """A user access token the sandbox issued through OAuth."""

    user_id: str
    scopes: tuple[str, ...]
    long_lived: bool
    issued_at: float
    expires_at: float


def _oauth_error(message: str, *, status: int = 400) -> Response:
    """The code exchange's error shape: `{"error_type", "code", "error_message"}`."""
    body = {"error_type": "OAuthException", "code": 400, "error_message": message}
    return Response.json(status, body)


def _app_error(message: str, code: int) -> Response:
    """The other OAuth shape: `{"error_message", "error_code"}` (1349026, 1349245)."""
    return Response.json(400, {"error_message": message, "error_code": code})


class OAuthService:
    """Everything OAuth in the sandbox. Called with the state lock held, like GraphApp."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.app = App(
            app_id=_digits(16),
            app_secret=secrets.token_hex(16),
            facebook_app_id=_digits(15),
            facebook_app_secret=secrets.token_hex(16),
            redirect_uris=["https://localhost/threads/callback"],
        )
        self.codes: dict[str, Grant] = {}
        self.tokens: dict[str, Token] = {}
        # Users who are testers of the app but have not accepted the invite (error 1349245).
        self.pending_testers: set[str] = set()
        # Users of the app without the Threads Tester role (debug_token refuses their tokens).
        self.non_testers: set[str] = set()

    # the authorization window (the user's browser) ---------------------------------------
    def authorize(
        self,
        url: str | None,
        *,
        scopes: str | list[str] | tuple[str, ...] | None,
        state: str | None,
        redirect_uri: str | None,
        user_id: str | None,
    ) -> str:
        """The URL the browser is sent to after the user clicks Allow."""
        request = self._window_request(url, scopes=scopes, state=state, redirect_uri=redirect_uri)
        acct = self.state.account(user_id)
        if acct.user_id in self.pending_testers:
            raise AuthorizationWindowError(
                TESTER_NOT_ACCEPTED,
                {"error_message": TESTER_NOT_ACCEPTED, "error_code": 1349245},
            )
        code = random_token("AQB", 120)
        self.codes[code] = Grant(
            user_id=acct.user_id,
            scopes=request["scopes"],
            redirect_uri=request["redirect_uri"],
            issued_at=self.state.now(),
        )
        query = {"code": code}
        if request["state"] is not None:
            query["state"] = request["state"]
        # "#_ will be appended to the end of the redirect URI" (threads-api.md §2.1).
        return _with_query(request["redirect_uri"], query) + "#_"

    def deny(self, url: str | None, *, state: str | None, redirect_uri: str | None) -> str:
        """The URL the browser is sent to after the user clicks Cancel."""
        request = self._window_request(url, scopes=None, state=state, redirect_uri=redirect_uri)
        query = {
            "error": "access_denied",
            "error_reason": "user_denied",
            "error_description": "The user denied your request",
        }
        if request["state"] is not None:
            query["state"] = request["state"]
        return _with_query(request["redirect_uri"], query)

    def _window_request(
        self,
        url: str | None,
        *,
        scopes: str | list[str] | tuple[str, ...] | None,
        state: str | None,
        redirect_uri: str | None,
    ) -> dict[str, Any]:
        app = self.app
        if url is not None:
            params = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
            client_id = params.get("client_id", "")
            if client_id != app.app_id:
                raise AuthorizationWindowError(
                    f"client_id {client_id!r} is not a Threads app id (error 1349026): "
                    f"{NO_APP_DATA}",
                    {"error_message": NO_APP_DATA, "error_code": 1349026},
                )
            if params.get("response_type") != "code":
                raise AuthorizationWindowError(
                    "response_type must be code",
                    _window_body("Invalid Request: response_type must be code"),
                )
            redirect = params.get("redirect_uri", "")
            scope_text = params.get("scope", "")
            state = params.get("state")
        else:
            redirect = redirect_uri if redirect_uri is not None else app.redirect_uris[0]
            if scopes is None:
                scope_text = ",".join(THREADS_SCOPES)
            elif isinstance(scopes, str):
                scope_text = scopes
            else:
                scope_text = ",".join(scopes)
        if redirect not in app.redirect_uris:
            raise AuthorizationWindowError(
                f"redirect_uri {redirect!r} is not one of the app's valid OAuth redirect URIs "
                f"{app.redirect_uris} (it must match exactly)",
                _window_body("Invalid redirect_uri: the URL is not in the app's settings"),
            )
        granted = _parse_scopes(scope_text) if url is not None or scopes is not None else None
        return {
            "redirect_uri": redirect,
            "scopes": granted if granted is not None else THREADS_SCOPES,
            "state": state,
        }

    # HTTP ---------------------------------------------------------------------------------
    def handles(self, req: Incoming) -> bool:
        return req.path.rstrip("/") in OAUTH_PATHS

    def handle(self, req: Incoming) -> Response:
        path = req.path.rstrip("/")
        params = req.params()
        method = "GET" if req.method == "HEAD" else req.method
        try:
            if path == "/oauth/access_token":
                if method != "POST":
                    # Sandbox wording: Meta documents the exchange as a POST only.
                    return _oauth_error("Unsupported request: exchange the code with a POST")
                return self._exchange_code(params)
            if method != "GET":
                raise _graph_error(f"(#100) Unsupported {method.lower()} request", 100)
            if path == "/access_token":
                return self._exchange_long_lived(params)
            return self._refresh(params)
        except GraphError as exc:
            return Response.json(exc.status, exc.body(), exc.headers)

    def _exchange_code(self, params: dict[str, str]) -> Response:
        app = self.app
        for name in ("client_id", "client_secret", "code", "grant_type", "redirect_uri"):
            if not params.get(name):
                return _oauth_error(f"Missing required parameter: {name}")  # sandbox wording
        if params["client_id"] != app.app_id:
            # The Facebook app id of the same Meta app, or any other id (fbsamples#17).
            return _app_error(NO_APP_DATA, 1349026)
        if not secrets.compare_digest(params["client_secret"], app.app_secret):
            return _oauth_error(BAD_CLIENT_SECRET)
        if params["grant_type"] != "authorization_code":
            return _oauth_error("Unsupported grant_type")  # sandbox wording
        code = params["code"]
        grant = self.codes.get(code)
        if grant is None or grant.used or self.state.now() - grant.issued_at > CODE_LIFETIME:
            return _oauth_error(CODE_NOT_FOUND)
        if params["redirect_uri"] != grant.redirect_uri:
            return _oauth_error(REDIRECT_MISMATCH)
        grant.used = True
        token = self._issue(grant.user_id, grant.scopes, long_lived=False)
        return Response.json(200, {"access_token": token, "user_id": int(grant.user_id)})

    def _exchange_long_lived(self, params: dict[str, str]) -> Response:
        if params.get("grant_type") != "th_exchange_token":
            raise _graph_error("(#100) grant_type must be th_exchange_token", 100)
        secret = params.get("client_secret", "")
        if not secret:
            raise _graph_error("(#100) Missing client_secret parameter", 100)
        if not secrets.compare_digest(secret, self.app.app_secret):
            # Graph answers a wrong secret with code 1 (Facebook Login does the same).
            raise _graph_error(BAD_CLIENT_SECRET, 1)
        token = self._valid_token(params.get("access_token"))
        issued = self._issue(token.user_id, token.scopes, long_lived=True)
        return self._token_answer(issued)

    def _refresh(self, params: dict[str, str]) -> Response:
        if params.get("grant_type") != "th_refresh_token":
            raise _graph_error("(#100) grant_type must be th_refresh_token", 100)
        token = self._valid_token(params.get("access_token"))
        if not token.long_lived:
            raise _graph_error(  # sandbox wording
                "(#100) Only long-lived access tokens can be refreshed: exchange this "
                "short-lived token first (grant_type=th_exchange_token)",
                100,
            )
        if self.state.now() - token.issued_at < REFRESH_MIN_AGE:
            raise _graph_error(  # sandbox wording
                "(#100) The access token cannot be refreshed yet: a long-lived token can be "
                "refreshed once it is at least 24 hours old",
                100,
            )
        if "threads_basic" not in token.scopes:
            raise permission_denied()
        issued = self._issue(token.user_id, token.scopes, long_lived=True)
        return self._token_answer(issued)

    def _token_answer(self, value: str) -> Response:
        token = self.tokens[value]
        expires_in = round(token.expires_at - self.state.now())
        return Response.json(
            200, {"access_token": value, "token_type": "bearer", "expires_in": expires_in}
        )

    # debug_token (a Graph call, routed here by GraphApp once the caller is authenticated) ----
    def debug_token(self, caller: AccountState, params: dict[str, str]) -> dict[str, Any]:
        """`{"data": {...}}` describing `input_token`, for a caller who is a Threads tester."""
        if caller.user_id in self.non_testers:
            raise GraphError(  # sandbox wording: Meta documents the rule, not the message
                "(#10) debug_token needs an access token of a Threads Tester of this app",
                code=10,
                status=403,
            )
        value = params.get("input_token", "")
        if not value:
            raise _graph_error("(#100) The parameter input_token is required", 100)
        token = self.tokens.get(value)
        if token is not None:
            return {"data": self._describe(token)}
        account = self.state.account_for_token(value)
        if account is not None:  # a token the sandbox made for an account: it never expires
            return {
                "data": {
                    "type": "USER",
                    "application": self.app.name,
                    "data_access_expires_at": 0,
                    "expires_at": 0,
                    "is_valid": True,
                    "scopes": list(THREADS_SCOPES),
                    "user_id": account.account.user_id,
                }
            }
        return {
            "data": {
                "is_valid": False,
                "scopes": [],
                "error": {"code": 190, "message": INVALID_TOKEN},
            }
        }

    def _describe(self, token: Token) -> dict[str, Any]:
        def unix(moment: float) -> int:
            return int(self.state.wall(moment).timestamp())

        data: dict[str, Any] = {
            "type": "USER",
            "application": self.app.name,
            "data_access_expires_at": unix(token.issued_at + DATA_ACCESS_LIFETIME),
            "expires_at": unix(token.expires_at),
            "is_valid": self.state.now() < token.expires_at,
            "issued_at": unix(token.issued_at),
            "scopes": list(token.scopes),
            "user_id": token.user_id,
        }
        if not data["is_valid"]:
            expired = self._expired(token)
            data["error"] = {"code": 190, "message": expired.message, "subcode": 463}
        return data

    # tokens -------------------------------------------------------------------------------
    def _issue(self, user_id: str, scopes: tuple[str, ...], *, long_lived: bool) -> str:
        now = self.state.now()
        lifetime = LONG_LIVED_LIFETIME if long_lived else SHORT_LIVED_LIFETIME
        value = random_token("THAA", 150)
        self.tokens[value] = Token(
            user_id=user_id,
            scopes=scopes,
            long_lived=long_lived,
            issued_at=now,
            expires_at=now + lifetime,
        )
        return value

    def _valid_token(self, value: str | None) -> Token:
        token = self.tokens.get(value or "")
        if token is None:
            raise _graph_error(INVALID_TOKEN, 190)
        if self.state.now() >= token.expires_at:
            raise self._expired(token)
        return token

    def _expired(self, token: Token) -> GraphError:
        fmt = "%A, %d-%b-%y %H:%M:%S UTC"
        expired = self.state.wall(token.expires_at).strftime(fmt)
        current = self.state.wall(self.state.now()).strftime(fmt)
        return GraphError(
            f"Error validating access token: Session has expired on {expired}. The current "
            f"time is {current}.",
            code=190,
            subcode=463,
        )

    def account_for_token(self, value: str | None, req: Incoming) -> AccountState | None:
        """The account an OAuth-issued token acts for on the Graph API, or None if unknown.

        An expired token is Graph's 190/463; a token without the permission the call needs is
        code 10.
        """
        token = self.tokens.get(value or "")
        if token is None:
            return None
        if self.state.now() >= token.expires_at:
            raise self._expired(token)
        if _required_scope(req) not in token.scopes:
            raise permission_denied()
        return self.state.accounts.get(token.user_id)


# Endpoints with a permission of their own (threads-api.md §2.8).
_TOP_LEVEL_SCOPES = {
    "keyword_search": "threads_keyword_search",
    "profile_lookup": "threads_profile_discovery",
    "profile_posts": "threads_profile_discovery",
    "location_search": "threads_location_tagging",
}
_EDGE_SCOPES = {
    "manage_reply": "threads_manage_replies",
    "manage_pending_reply": "threads_manage_replies",
}


def _required_scope(req: Incoming) -> str:
    """The permission a Graph call needs (threads-api.md §2.8), coarsely, by method and edge."""
    segments = [s for s in req.path.split("/") if s]
    if segments and segments[0].startswith("v") and segments[0][1:2].isdigit():
        segments = segments[1:]
    edge = segments[-1] if len(segments) > 1 else None
    top_level = _TOP_LEVEL_SCOPES.get(segments[0]) if segments else None
    if top_level is not None:
        return top_level
    if edge in _EDGE_SCOPES:
        return _EDGE_SCOPES[edge]
    if edge in USER_EDGES and req.method == "GET":
        return USER_EDGES[edge].scope  # the user's lists; /{media-id}/replies asks the same
    if req.method == "POST" and edge in ("threads", "threads_publish", "repost"):
        return "threads_content_publish"
    if edge == "threads_publishing_limit":
        return "threads_content_publish"
    if req.method == "DELETE":
        return "threads_delete"
    if edge in ("insights", "threads_insights"):
        return "threads_manage_insights"
    if edge in ("conversation", "pending_replies"):
        return "threads_read_replies"
    return "threads_basic"


def _parse_scopes(text: str) -> tuple[str, ...]:
    """A comma- or space-separated scope list, as the authorization window reads it."""
    names = [n for n in text.replace(",", " ").split() if n]
    unknown = [n for n in names if n not in THREADS_SCOPES]
    if unknown:
        message = f"Invalid scope: {unknown}"
        raise AuthorizationWindowError(message, _window_body(message))
    if "threads_basic" not in names:
        message = "Invalid Scopes: threads_basic is required"  # sandbox wording
        raise AuthorizationWindowError(message, _window_body(message))
    return tuple(dict.fromkeys(names))


def _window_body(message: str) -> dict[str, Any]:
    return {"error_type": "OAuthException", "code": 400, "error_message": message}


def _graph_error(message: str, code: int) -> GraphError:
    return GraphError(message, code=code)


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _digits(count: int) -> str:
    return str(secrets.choice(range(1, 10))) + "".join(
        str(secrets.randbelow(10)) for _ in range(count - 1)
    )
