"""Export last week's posts, their replies and insights to a JSON file, 0.4.5 style.

Usage: python reader_exporter.py SINCE UNTIL OUTPUT.json
"""

import json
import os
import sys

from threadspipepy.threadspipe import ThreadsPipe

api = ThreadsPipe(
    user_id=os.environ["THREADS_USER_ID"],
    access_token=os.environ["THREADS_ACCESS_TOKEN"],
)

since, until, output = sys.argv[1], sys.argv[2], sys.argv[3]
posts = api.get_posts(since_date=since, until_date=until, limit=50)
if "error" in posts:
    sys.exit("Could not read posts: " + str(posts["error"]))

export = {"profile": api.get_profile(), "posts": []}
for post in posts["data"]:
    replies = api.get_post_replies(post["id"], top_levels=True, reverse=False)
    insights = api.get_post_insights(post["id"], metrics="all")
    views = [m["values"][0]["value"] for m in insights["data"] if m["name"] == "views"]
    export["posts"].append(
        {
            "id": post["id"],
            "text": post.get("text"),
            "permalink": post.get("permalink"),
            "timestamp": post["timestamp"],
            "replies": [r.get("text") for r in replies["data"]],
            "views": views[0] if views else None,
        }
    )

account = api.get_user_insights(since_date=since, until_date=until, metrics=["views", "likes"])
export["account"] = {m["name"]: m for m in account["data"]}

with open(output, "w") as handle:
    json.dump(export, handle, indent=2)
print("Exported", len(export["posts"]), "posts to", output)
