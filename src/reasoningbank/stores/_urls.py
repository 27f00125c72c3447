"""Store URLs as they may be shown: in messages, ``repr`` and command output, never with a password.

A ``postgresql://user:secret@host/db`` URL (or one with ``password=`` among its
options) is what a user configures; what reasoningbank prints or logs of it is
``postgresql://user:***@host/db``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***``; anything else (paths, ``memory://``) unchanged."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        auth, host = netloc.rsplit("@", 1)
        if ":" in auth:
            netloc = f"{auth.split(':', 1)[0]}:***@{host}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if any(k == "password" for k, _ in pairs):
        query = urlencode([(k, "***" if k == "password" else v) for k, v in pairs], safe="/*")
    else:
        query = parts.query
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # nothing to hide: the text as given (rebuilding may respell some URLs)
    return urlunsplit(parts._replace(netloc=netloc, query=query))
