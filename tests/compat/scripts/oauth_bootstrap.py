"""Get a long-lived token the way ThreadsPipe-py 0.4.5's README shows, then post with it.

Run once: it opens the authorization window, asks for the code Threads redirected to, swaps
it for tokens, saves the long-lived one to .env and posts a first message.
"""

import os

from dotenv import set_key

from threadspipepy.threadspipe import ThreadsPipe

api = ThreadsPipe(
    access_token="",  # for now leave this as an empty string, updated below
    user_id="",  # also leave this as an empty string
    handle_hashtags=True,
    auto_handle_hashtags=False,
)

print("Scopes available:", ", ".join(api.__threads_auth_scope__.keys()))
api.get_auth_token(
    app_id=os.environ["THREADS_APP_ID"],
    redirect_uri=os.environ["THREADS_REDIRECT_URI"],
    scope="all",
)

auth_code = input("Paste the code from the redirect URL: ").strip()

tokens = api.get_access_tokens(
    app_id=os.environ["THREADS_APP_ID"],
    app_secret=os.environ["THREADS_APP_SECRET"],
    auth_code=auth_code,
    redirect_uri=os.environ["THREADS_REDIRECT_URI"],
)
if "error" in tokens:
    raise SystemExit("Token exchange failed: " + tokens["message"])

api.update_param(
    user_id=tokens["user_id"],
    access_token=tokens["tokens"]["long_lived"]["access_token"],
)
set_key(".env", "THREADS_USER_ID", str(tokens["user_id"]))
set_key(".env", "THREADS_ACCESS_TOKEN", tokens["tokens"]["long_lived"]["access_token"])

pipe = api.pipe(post="Hello from my new Threads app!")
print("First post:", pipe["data"]["media_ids"][0] if pipe["info"] == "success" else pipe)
