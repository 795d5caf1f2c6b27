"""`import threadspipepy` loads the client's core only: each feature loads on its first use."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from datetime import timedelta

import threadspipepy
from threadspipepy import _reading_facade, threadspipe

# Modules only a rare path needs (OAuth in a browser, the journal, local files, reading).
NOT_AT_IMPORT = (
    "webbrowser",
    "subprocess",
    "sqlite3",
    "uuid",
    "filetype",
    "threadspipepy.auth",
    "threadspipepy.tokens",
    "threadspipepy.journal",
    "threadspipepy.hosting",
    "threadspipepy.media",
    "threadspipepy.reading",
    "threadspipepy.insights",
    "threadspipepy._pipe",
    "threadspipepy.publishing",
)


def loaded_after(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_importing_the_package_loads_no_feature_module() -> None:
    loaded = loaded_after("import threadspipepy")
    assert sorted(loaded & set(NOT_AT_IMPORT)) == []


def test_a_feature_loads_on_first_use() -> None:
    loaded = loaded_after(
        "from threadspipepy import ThreadsPipe; "
        "ThreadsPipe('1', 'token', threads_base_url='http://127.0.0.1:9').split_post('a b')"
    )
    assert "threadspipepy.splitting" in loaded
    assert "threadspipepy.journal" not in loaded and "threadspipepy.auth" not in loaded


def test_lazy_public_names_are_the_real_ones() -> None:
    from threadspipepy import auth, tokens

    assert threadspipepy.Credentials is auth.Credentials
    assert threadspipepy.OAuthError is auth.OAuthError
    assert threadspipepy.StateMismatchError is auth.StateMismatchError
    assert threadspipepy.AuthorizationDeniedError is auth.AuthorizationDeniedError
    assert threadspipepy.EnvFileError is auth.EnvFileError
    assert threadspipepy.JsonFileTokenStore is tokens.JsonFileTokenStore
    assert threadspipepy.TokenStoreError is tokens.TokenStoreError
    assert set(threadspipepy.__all__) <= set(dir(threadspipepy)) | set(threadspipepy._LATER)


def test_constants_kept_in_the_facade_match_their_modules() -> None:
    from threadspipepy import reading, tokens

    assert threadspipe.DEFAULT_REFRESH_AFTER == tokens.DEFAULT_REFRESH_AFTER == timedelta(days=7)
    page_size = inspect.signature(_reading_facade.ReadingMethods.iter_posts).parameters["page_size"]
    assert page_size.default == reading.MAX_PAGE_SIZE


def test_class_attributes_of_0_4_5_are_there_when_read() -> None:
    from threadspipepy import auth, insights

    code = (
        "from threadspipepy import ThreadsPipe as T; import json; print(json.dumps("
        "[T.threads_post_insight_metrics, T.threads_user_insight_metrics, "
        "T.threads_follower_demographic_breakdown_list, T.__threads_auth_scope__]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    post, user, breakdowns, scopes = json.loads(out.stdout)
    assert post == list(insights.POST_METRICS) and user == list(insights.USER_METRICS)
    assert breakdowns == list(insights.BREAKDOWNS)
    assert scopes == dict(auth.SCOPES)
