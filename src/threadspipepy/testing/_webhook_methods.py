"""The webhook half of ThreadsSandbox: subscribe a callback URL, watch the deliveries, and make
other users reply to or mention the account (see docs/14-webhooks.md).

The sending itself lives in `_webhooks` (WebhookSender, owned by the sandbox state).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ._webhooks import (
    TOPIC_OF,
    WEBHOOK_FIELDS,
    WebhookDelivery,
    check_callback_url,
    new_subscription,
    tags,
    verify_callback,
)

if TYPE_CHECKING:
    from ._readstore import ReadStore
    from ._server import Dispatcher
    from ._state import Post, SandboxState


class WebhookMethods:
    """Webhooks of the sandbox's registered app (its secret is `sb.app_secret`)."""

    _state: SandboxState
    _dispatcher: Dispatcher

    @property
    def _store(self) -> ReadStore:
        return self._dispatcher.graph.reading.store

    def subscribe_webhooks(
        self,
        callback_url: str,
        *,
        verify_token: str,
        fields: Iterable[str] = WEBHOOK_FIELDS,
        user_ids: Iterable[str] | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """Subscribe `callback_url` to webhook `fields`, as in Meta's App Dashboard.

        The sandbox first sends the verification request (``GET callback_url?hub.mode=
        subscribe&hub.challenge=N&hub.verify_token=...``) and raises ValueError unless the
        answer is HTTP 200 with exactly the challenge as its body. Then every state change
        of a field subscribed is POSTed there, signed with `app_secret`, from a background
        thread. `fields`: any of replies, delete (topic moderate), mentions, publish (topic
        interaction); default all four. A later call replaces the callback of the topics it
        names. `user_ids`: the accounts whose events are sent (the users who authorized the
        app; default the default account). `timeout`: real seconds to wait for each answer.
        Returns the subscriptions now in place (`webhook_subscriptions`).
        """
        check_callback_url(callback_url)
        if not isinstance(verify_token, str) or not verify_token:
            raise ValueError("verify_token must be the non-empty token your receiver expects")
        wanted = frozenset(fields)
        unknown = wanted - set(WEBHOOK_FIELDS)
        if not wanted or unknown:
            raise ValueError(f"fields must be among {list(WEBHOOK_FIELDS)}; got {sorted(wanted)}")
        if timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        with self._state.lock:
            chosen = [None] if user_ids is None else list(user_ids)
            users = tuple(self._state.account(uid).user_id for uid in chosen)
        verify_callback(callback_url, verify_token, timeout)  # no lock held across HTTP
        app = self._dispatcher.oauth.app
        sender = self._state.webhooks
        for topic in sorted({TOPIC_OF[name] for name in wanted}):
            topic_fields = frozenset(name for name in wanted if TOPIC_OF[name] == topic)
            subscription = new_subscription(
                topic, callback_url, verify_token, topic_fields, users, float(timeout)
            )
            sender.subscribe(
                topic,
                subscription,
                store=self._store,
                app_id=app.app_id,
                app_secret=app.app_secret,
            )
        return sender.subscriptions()

    def unsubscribe_webhooks(self, fields: Iterable[str] | None = None) -> None:
        """Stop sending `fields` (default: every field). Deliveries under way go on."""
        names = list(fields) if fields is not None else list(WEBHOOK_FIELDS)
        unknown = set(names) - set(WEBHOOK_FIELDS)
        if unknown:
            raise ValueError(f"fields must be among {list(WEBHOOK_FIELDS)}; got {sorted(unknown)}")
        self._state.webhooks.unsubscribe(names)

    @property
    def webhook_subscriptions(self) -> list[dict[str, Any]]:
        """The subscriptions in place: ``{"topic", "callback_url", "fields", "user_ids"}``
        each (the verify token is not shown)."""
        return self._state.webhooks.subscriptions()

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every notification sent so far, oldest first, with its attempts and state."""
        return self._state.webhooks.deliveries()

    def wait_for_webhooks(self, timeout: float = 5.0) -> list[WebhookDelivery]:
        """Block until no notification is being sent or due at once (retries scheduled on the
        sandbox clock wait for `advance()`); returns `webhook_deliveries`. Raises TimeoutError
        after `timeout` real seconds."""
        self._state.webhooks.wait(timeout)
        return self.webhook_deliveries

    def receive_reply(
        self, post_id: str, text: str = "Nice post!", *, username: str = "reply_author"
    ) -> dict[str, Any]:
        """Another user (`username`, created on first use) replies to `post_id` now, as if
        from the Threads app: a `replies` webhook for the thread's owner, and a `mentions`
        one for anyone the text tags. Returns the reply as an `sb.posts` entry."""
        with self._state.lock:
            values = {"text": text, "reply_to_id": self._repliable(post_id)}
            post = self._publish_as(username, values)
            return self._state.post_snapshot(post)

    def receive_mention(
        self,
        text: str | None = None,
        *,
        username: str = "mention_author",
        user_id: str | None = None,
        reply_to_id: str | None = None,
    ) -> dict[str, Any]:
        """Another user (`username`) publishes a post that tags the account `user_id` (default
        the default account) now: a `mentions` webhook. `text` must contain @their_username
        (default ``"Hey @username!"``); `reply_to_id` makes the post a reply. Returns it as an
        `sb.posts` entry."""
        with self._state.lock:
            mentioned = self._state.account(user_id).account
            if username == mentioned.username:
                raise ValueError("username must be another user than the one mentioned")
            text = f"Hey @{mentioned.username}!" if text is None else text
            if not tags(text, mentioned.username):
                raise ValueError(f"text must mention @{mentioned.username}; got {text!r}")
            values = {"text": text}
            if reply_to_id is not None:
                values["reply_to_id"] = self._repliable(reply_to_id)
            post = self._publish_as(username, values)
            return self._state.post_snapshot(post)

    def _repliable(self, post_id: str) -> str:
        parent = self._state.media.get(str(post_id))
        if parent is None or parent.parent_id is not None or parent.spec is None:
            raise ValueError(f"{post_id} is not a post that can be replied to")
        return parent.id

    def _publish_as(self, username: str, values: dict[str, str]) -> Post:
        """A TEXT post by `username` at the current sandbox time, made by the seeding code
        (checked like a container: ValueError), and its webhooks."""
        store = self._store
        post = store.make_post(store.author(username), "TEXT", values, store.wall_now().timestamp())
        self._state.webhooks.post_created(post)
        return post
