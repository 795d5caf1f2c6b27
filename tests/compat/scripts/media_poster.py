"""Post a photo set: local files go through a temporary GitHub upload, as in 0.4.5.

Usage: python media_poster.py "caption" photo1.jpg photo2.png https://cdn.example.com/x.jpg
"""

import os
import sys

from threadspipepy.threadspipe import ThreadsPipe

api = ThreadsPipe(
    user_id=os.environ["THREADS_USER_ID"],
    access_token=os.environ["THREADS_ACCESS_TOKEN"],
    gh_bearer_token=os.environ["GH_BEARER_TOKEN"],
    gh_username=os.environ["GH_USERNAME"],
    gh_repo_name=os.environ["GH_REPO_NAME"],
    gh_upload_timeout=300,
    post_publish_wait_time=35,
    media_item_publish_wait_time=35,
)

caption, files = sys.argv[1], sys.argv[2:]
pipe = api.pipe(
    post=caption,
    files=files,
    file_captions=["Photo " + str(i + 1) for i in range(len(files))],
    persist_tags_multipost=False,
)
if pipe["info"] == "error":
    print(pipe["message"])
    print(pipe["error"])
    sys.exit(1)
print("Published:", pipe["data"]["media_ids"])
