"""Choosing a media host without code: the THREADS_MEDIA_HOST / --media-host URI.

    s3://BUCKET[/PREFIX][?endpoint_url=URL&region=NAME&public_base_url=URL&profile=NAME
                         &url_margin=SECONDS&path_style=true|false]
    dir:///ABSOLUTE/FOLDER?base_url=URL[&file_mode=644]      (or dir:relative/folder?...)

`parse_media_host` is pure; `media_host_from_setting` builds the host. Credentials never go
in the URI (boto3 reads them from its usual places), and no error message repeats the URI's
values, only its option names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..config import MEDIA_HOST_ENV
from ..errors import ValidationError
from ._protocol import MediaHost
from .directory import DirectoryHost
from .s3 import DEFAULT_CONTAINER_TIMEOUT, DEFAULT_PREFIX, S3Host

EXAMPLES = "s3://my-bucket/threads?region=eu-west-1 or dir:///srv/media?base_url=https://..."
S3_OPTIONS = ("endpoint_url", "region", "public_base_url", "profile", "url_margin", "path_style")
DIR_OPTIONS = ("base_url", "file_mode")
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclass(frozen=True)
class MediaHostSetting:
    """A parsed media-host URI: `kind` is "s3" or "dir"; `location` the bucket or folder."""

    kind: str
    location: str
    prefix: str = ""
    options: Mapping[str, str] = field(default_factory=dict)


def parse_media_host(uri: str, *, setting: str = MEDIA_HOST_ENV) -> MediaHostSetting:
    """The host a URI names; ValidationError(parameter=setting) says what is wrong."""

    def refuse(problem: str) -> ValidationError:
        return ValidationError(f"{setting}: {problem} (e.g. {EXAMPLES}).", parameter=setting)

    if not isinstance(uri, str) or not uri.strip():
        raise refuse("give a media host URI")
    parts = urlsplit(uri.strip())
    if "@" in parts.netloc:
        raise refuse(
            "credentials do not go in the URI; boto3 reads AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, a profile (profile=NAME) or an instance role"
        )
    if parts.fragment:
        raise refuse("a media host URI has no #fragment")
    scheme = parts.scheme.lower()
    if scheme == "s3":
        if not parts.netloc:
            raise refuse("s3:// needs a bucket: s3://BUCKET/PREFIX")
        options = _options(parts.query, S3_OPTIONS, refuse)
        prefix = parts.path.strip("/") or DEFAULT_PREFIX
        return MediaHostSetting("s3", parts.netloc, prefix, options)
    if scheme == "dir":
        if parts.netloc not in ("", "localhost"):
            raise refuse("dir: takes a folder of this machine: dir:///absolute/path")
        if not parts.path:
            raise refuse("dir: needs a folder: dir:///srv/media?base_url=...")
        options = _options(parts.query, DIR_OPTIONS, refuse)
        if not options.get("base_url"):
            raise refuse("dir: needs base_url=, the URL your web server serves the folder at")
        return MediaHostSetting("dir", unquote(parts.path), "", options)
    raise refuse("the scheme must be s3:// or dir:")


def _options(
    query: str, allowed: tuple[str, ...], refuse: Callable[[str], ValidationError]
) -> dict[str, str]:
    options: dict[str, str] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise refuse("its options must be name=value pairs joined by &") from None
    for name, value in pairs:
        if name not in allowed:
            raise refuse(f"unknown option {name!r}; accepted: {', '.join(allowed)}")
        if name in options:
            raise refuse(f"option {name!r} is given twice")
        options[name] = value
    return options


def media_host_from_setting(
    uri: str,
    *,
    setting: str = MEDIA_HOST_ENV,
    container_timeout: float = DEFAULT_CONTAINER_TIMEOUT,
) -> MediaHost:
    """Build the host a URI names (before any request: a missing extra is said here).

    `container_timeout` is the client's: presigned S3 URLs live that long plus a margin.
    """
    spec = parse_media_host(uri, setting=setting)
    try:
        if spec.kind == "s3":
            return _s3_host(spec, setting, container_timeout)
        return _directory_host(spec, setting)
    except ImportError as exc:
        raise ValidationError(f"{setting}: {exc}", parameter=setting) from None
    except ValidationError as exc:
        raise ValidationError(f"{setting}: {exc}", parameter=setting) from None


def _s3_host(spec: MediaHostSetting, setting: str, container_timeout: float) -> S3Host:
    options = spec.options
    margin: dict[str, Any] = {}
    if "url_margin" in options:
        margin["url_margin"] = _number(options["url_margin"], "url_margin", setting)
    path_style = None
    if "path_style" in options:
        path_style = _BOOLEANS.get(options["path_style"].lower())
        if path_style is None:
            raise ValidationError(
                f"{setting}: path_style must be true or false.", parameter=setting
            )
    return S3Host(
        spec.location,
        spec.prefix,
        endpoint_url=options.get("endpoint_url") or None,
        region=options.get("region") or None,
        public_base_url=options.get("public_base_url") or None,
        profile=options.get("profile") or None,
        container_timeout=container_timeout,
        path_style=path_style,
        **margin,
    )


def _directory_host(spec: MediaHostSetting, setting: str) -> DirectoryHost:
    mode: dict[str, int] = {}
    if "file_mode" in spec.options:
        try:
            mode["file_mode"] = int(spec.options["file_mode"].removeprefix("0o"), 8)
        except ValueError:
            raise ValidationError(
                f"{setting}: file_mode must be octal permission bits such as 644.",
                parameter=setting,
            ) from None
    return DirectoryHost(spec.location, spec.options["base_url"], **mode)


def _number(text: str, name: str, setting: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValidationError(
            f"{setting}: {name} must be a number of seconds.", parameter=setting
        ) from None
