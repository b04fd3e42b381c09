"""One place that hides a database URL's password, for every log line and error message."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:@/]*):[^@/]*@")
_PASSWORD_PARAM = re.compile(r"(?i)(password=)[^&\s]*")


def redact(url: str) -> str:
    """``postgresql://app:secret@db/jobs`` → ``postgresql://app:***@db/jobs`` (also
    ``?password=``); anything else unchanged."""
    shown = _USERINFO.sub(r"\g<scheme>\g<user>:***@", url)
    return _PASSWORD_PARAM.sub(r"\1***", shown)


def redact_text(text: str, url: str) -> str:
    """``text`` (e.g. a driver's error) with ``url`` and its password replaced by the redacted
    form, in case the driver quotes either."""
    shown = text.replace(url, redact(url))
    match = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^:@/]*:([^@/]+)@", url)
    if match:
        shown = shown.replace(match.group(1), "***")
    for password in re.findall(r"(?i)password=([^&\s]+)", url):
        shown = shown.replace(password, "***")
    return shown
