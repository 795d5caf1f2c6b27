"""A daily cron job as ThreadsPipe-py 0.4.5 users write it.

crontab: 0 9 * * * cd ~/bot && python cron_poster.py >> bot.log

Credentials come from the environment or a .env file next to the script.
"""

import os
import sys
from datetime import date

from dotenv import load_dotenv

from threadspipepy.threadspipe import ThreadsPipe

load_dotenv()

api = ThreadsPipe(
    user_id=os.getenv("THREADS_USER_ID"),
    access_token=os.getenv("THREADS_ACCESS_TOKEN"),
    disable_logging=True,
    handle_hashtags=True,
    wait_on_rate_limit=False,
    check_rate_limit_before_post=True,
)

quote = (
    "Daily reminder for " + date.today().strftime("%A") + ": ship something small today. "
    "Small steps add up: a test written, a bug fixed, a page of docs made clearer. "
) * 4
pipe = api.pipe(post=quote + " #devlife #shipit", who_can_reply="accounts_you_follow")

if "error" in pipe:
    print("Could not post:", pipe["message"], pipe["error"]["error"]["message"])
    sys.exit(1)

print("Posted", len(pipe["data"]["media_ids"]), "posts:", ",".join(pipe["data"]["media_ids"]))
