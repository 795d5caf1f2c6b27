"""Thank everyone who replied to my latest post and hide replies with banned words (0.4.5).

Run every 10 minutes from cron; replied.txt remembers who was thanked already.
"""

import os

from threadspipepy.threadspipe import ThreadsPipe

BANNED = ("spam", "crypto giveaway")

api = ThreadsPipe(
    user_id=os.environ["THREADS_USER_ID"],
    access_token=os.environ["THREADS_ACCESS_TOKEN"],
    check_rate_limit_before_post=True,
)

done = set()
if os.path.exists("replied.txt"):
    with open("replied.txt") as handle:
        done = set(handle.read().split())
latest = api.get_posts(limit=1)["data"][0]
replies = api.get_post_replies(latest["id"], top_levels=True, reverse=True)

for reply in replies["data"]:
    if reply["id"] in done:
        continue
    text = reply.get("text", "").lower()
    if any(word in text for word in BANNED):
        api.hide_reply(reply["id"], True)
        print("hid", reply["id"])
    else:
        answer = api.pipe(
            post="Thanks for the reply, @" + reply.get("username", "friend") + "!",
            reply_to_id=reply["id"],
            who_can_reply="everyone",
        )
        if "error" in answer:
            print("error", answer["error"]["error"]["code"], answer["message"])
            continue
        print("thanked", reply["id"], "with", answer["data"]["media_ids"][0])
    done.add(reply["id"])

with open("replied.txt", "w") as handle:
    handle.write("\n".join(sorted(done)))
