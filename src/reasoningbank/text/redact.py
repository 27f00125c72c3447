"""Secrets taken out of text before it is stored or sent to a model.

An agent's trajectory often holds what it read or typed: API keys in an
environment dump, a bearer token in a curl command, a database URL with its
password. Stored as is, the secret would sit in the bank, in every export, and
in the memory block rendered into other agents' prompts. :class:`Redactor`
replaces each known secret shape with ``[REDACTED:<kind>]`` and counts the
replacements by kind, so the caller can record that something was removed.

The shapes (:mod:`.secret_shapes`, written after comparing gitleaks' default
rules and detect-secrets' plugins): provider keys and tokens (OpenAI,
Anthropic, Google, AWS with the secret key beside its id, GitHub, GitLab,
Slack, Stripe, Hugging Face, npm, PyPI, SendGrid, Twilio, Shopify,
DigitalOcean, Square, Databricks, Grafana, Vault, Postman, Linear, Sentry,
Doppler, New Relic, age, Azure storage and AD secrets, Telegram, Mailchimp),
webhook URLs (Slack, Discord, Teams), JWTs, bearer tokens and
``Authorization`` headers, cookies, passwords in URLs, ``mysql -pX``,
``curl -u user:X``, ``--password X``, ``pwd=X``, ``password=`` / ``api_key:`` /
``token=`` style assignments, prose (``the admin password is X``), private-key
blocks, and patterns the user configures. A value found once is then found
everywhere with :meth:`Redactor.redact_known`.

Every built-in pattern runs in time linear in the text: each one starts with a
literal or is anchored by a look-behind to the start of a token, its
repetitions are possessive or bounded, and nothing after an unbounded run can
send the engine back into it. The shapes whose anchor strings the text holds
(``sk-`` for OpenAI keys, ``://`` for URLs) are one alternation, scanned once,
so a replacement is never scanned again; text with no anchor costs one
``lower()`` and a few substring searches. The user's patterns run afterwards,
one by one, with Python's ``re``: their cost is theirs.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from .secret_shapes import KEY_WORDS, SHAPES

PLACEHOLDER = "[REDACTED:{kind}]"
Found = dict[str, str]  # a secret value replaced -> its kind

_SHAPES = SHAPES

_KEY_KIND = (
    ("private-key", re.compile(r"private[_-]?key", re.IGNORECASE)),
    ("password", re.compile(r"pass", re.IGNORECASE)),
    ("api-key", re.compile(r"api[_-]?key|apikey", re.IGNORECASE)),
    ("token", re.compile(r"token", re.IGNORECASE)),
    ("cookie", re.compile(r"cookie", re.IGNORECASE)),
)
_SECRET_KEY = re.compile(rf"(?<![A-Za-z0-9])(?:{KEY_WORDS})\Z", re.IGNORECASE)


def _key_kind(text: str) -> str:
    """``password``, ``api-key``, ``token`` or ``secret``, from a key name."""
    for kind, pattern in _KEY_KIND:
        if pattern.search(text):
            return kind
    return "secret"


def _alternation(indices: Iterable[int]) -> str:
    """One regex of the shapes ``indices``, each in group ``s<index>`` (its secret in ``s<index>v``)."""
    return "|".join(f"(?P<s{n}>{_SHAPES[n].pattern.replace('{n}', f's{n}')})" for n in indices)


@functools.lru_cache(maxsize=256)
def _combined(indices: tuple[int, ...]) -> re.Pattern[str]:
    return re.compile(_alternation(indices))


def _present(text: str) -> tuple[int, ...]:
    """The shapes whose anchors ``text`` holds."""
    low = text.lower()
    return tuple(n for n, shape in enumerate(_SHAPES) if any(a in low for a in shape.anchors))


# What an assignment's value may be on its own (a provider key keeps the provider's kind).
_PROVIDERS = re.compile(
    _alternation(n for n, sh in enumerate(_SHAPES) if "{n}" not in sh.pattern and sh.kind != "private-key")
)


# No provider key is shorter (a Slack token: "xoxb-" and 10 more): shorter values skip the check.
_SHORTEST_PROVIDER_KEY = 15


def compile_patterns(patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    """The user's patterns compiled; a bad one raises ``ValueError`` naming it."""
    out = []
    for pattern in patterns:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(
                f"redaction pattern {pattern!r} is not a valid regular expression: {exc}"
            ) from exc
        if compiled.search(""):
            raise ValueError(f"redaction pattern {pattern!r} matches the empty string")
        out.append(compiled)
    return tuple(out)


class Redactor:
    """Replaces secrets with ``[REDACTED:<kind>]``; ``builtin=False`` keeps only ``patterns``.

    ``found``, where a method takes it, receives every value replaced (value -> kind), so that
    :meth:`redact_known` can take out the copies of those values the shapes do not find (a
    password named in the task, then typed: ``type [3] "hunter2"``)."""

    def __init__(self, patterns: Iterable[str] = (), *, builtin: bool = True) -> None:
        self.builtin = builtin
        self.patterns = compile_patterns(patterns)

    @property
    def active(self) -> bool:
        return self.builtin or bool(self.patterns)

    def redact(self, text: str, counts: Counter[str] | None = None, found: Found | None = None) -> str:
        """``text`` with every secret replaced; each replacement is counted by kind in ``counts``
        (and its value recorded in ``found``)."""
        tally: Counter[str] = Counter() if counts is None else counts
        seen: Found = {} if found is None else found
        present = _present(text) if self.builtin else ()
        if present:
            text = _combined(present).sub(lambda m: _replace(m, tally, seen), text)
        for pattern in self.patterns:
            text = pattern.sub(lambda m: _custom(m, tally, seen), text)
        return text

    def redact_known(self, text: str, known: Mapping[str, str], counts: Counter[str] | None = None) -> str:
        """``text`` with every copy of a ``known`` value (value -> kind) replaced, counted in ``counts``.
        Only values of :data:`MIN_KNOWN` characters or more are looked for, and only as a whole
        token (not inside a longer word or number), so a short common word is never blanked; nor
        is a literal that stood for no secret (``verify_password=False``: ``False`` stays)."""
        tally: Counter[str] = Counter() if counts is None else counts
        values = (v for v in known if len(v) >= MIN_KNOWN and v.lower() not in _NOT_SECRETS and v in text)
        for value in sorted(values, key=len, reverse=True):
            text = _swap(text, value, known[value], tally)
        return text

    def redact_value(
        self, value: Any, counts: Counter[str], key: str | None = None, found: Found | None = None
    ) -> Any:
        """A JSON-like value (strings, lists, dicts) with its strings redacted. A string stored
        under a secret-looking key (``"password"``, ``"OPENAI_API_KEY"``) is replaced whole."""
        if isinstance(value, str):
            whole = value.strip() and not value.startswith("[REDACTED:")
            if self.builtin and key is not None and whole and _SECRET_KEY.search(key):
                kind = _key_kind(key)
                counts[kind] += 1
                if found is not None:
                    _record(found, value.strip(), kind)
                return PLACEHOLDER.format(kind=kind)
            return self.redact(value, counts, found)
        if isinstance(value, Mapping):
            return {
                k: self.redact_value(v, counts, k if isinstance(k, str) else None, found)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.redact_value(v, counts, found=found) for v in value]
        return value

    def redact_known_value(self, value: Any, known: Mapping[str, str], counts: Counter[str]) -> Any:
        """:meth:`redact_known` over the strings of a JSON-like value."""
        if isinstance(value, str):
            return self.redact_known(value, known, counts)
        if isinstance(value, Mapping):
            return {k: self.redact_known_value(v, known, counts) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_known_value(v, known, counts) for v in value]
        return value


# The shortest value looked for again (``redact_known``): "pass" or "1234" yes, "abc" no.
MIN_KNOWN = 4
# Values an assignment may hold that are no secret, so not looked for again.
_NOT_SECRETS = frozenset(
    [
        "true",
        "false",
        "none",
        "null",
        "nil",
        "undefined",
        "empty",
        "required",
        "optional",
        "hidden",
        "masked",
        "redacted",
        "unset",
    ]
)


_PLACEHOLDER = re.compile(r"\[REDACTED:[a-z0-9-]++\]")


def _swap(text: str, value: str, kind: str, counts: Counter[str]) -> str:
    """``text`` with each whole-token copy of ``value`` outside a placeholder replaced. Plain
    string search: no regex is compiled from a secret (``re`` would keep it in its cache)."""
    spans = [m.span() for m in _PLACEHOLDER.finditer(text)]
    starts = [a for a, _ in spans]
    parts, done, at = [], 0, text.find(value)
    while at != -1:
        end = at + len(value)
        n = bisect.bisect_right(starts, at) - 1
        inside = n >= 0 and at < spans[n][1]
        cut = (at > 0 and text[at - 1].isalnum() and value[0].isalnum()) or (
            end < len(text) and text[end].isalnum() and value[-1].isalnum()
        )
        if inside or cut:
            at = text.find(value, at + 1)
            continue
        parts += [text[done:at], PLACEHOLDER.format(kind=kind)]
        counts[kind] += 1
        done = end
        at = text.find(value, end)
    return "".join([*parts, text[done:]])


# Where a replaced span (a cookie header's value, a private-key block) splits into its parts.
_PART_GAPS = re.compile(r"""[\s;,&=:'"<>()\[\]{}]++""")
# The shortest part of a span looked for on its own.
MIN_PART = 8


def _record(found: Found, value: str, kind: str) -> None:
    """Record ``value`` as found and, when it is made of parts (``sessionid=X; csrftoken=Y``, a
    PEM block's lines), each part that looks like a secret (8+ characters with a digit): an
    agent that types ``X`` alone types the secret, not the header."""
    found.setdefault(value, kind)
    parts = _PART_GAPS.split(value)
    if len(parts) > 1:
        for part in parts:
            if len(part) >= MIN_PART and part != value and any(c.isdigit() for c in part):
                found.setdefault(part, kind)


def _replace(m: re.Match[str], counts: Counter[str], found: Found) -> str:
    """The replacement of one built-in match: the whole match, or just its secret group."""
    name = m.lastgroup  # the alternative's own group: it encloses its secret group, so closes last
    assert name is not None and name[1:].isdigit()
    kind = _SHAPES[int(name[1:])].kind
    groups = m.groupdict()
    secret = next((name + g for g in ("v", "q1", "q2") if groups.get(name + g) is not None), None)
    if secret is None:
        counts[kind] += 1
        _record(found, m.group(0), kind)
        return PLACEHOLDER.format(kind=kind)
    if m.group(secret).startswith("[REDACTED:"):  # redacted before: redacting again changes nothing
        return m.group(0)
    if kind == "assignment":
        value = m.group(secret)
        provider = _PROVIDERS.fullmatch(value) if len(value) >= _SHORTEST_PROVIDER_KEY else None
        if provider is not None and provider.lastgroup is not None:
            kind = _SHAPES[int(provider.lastgroup[1:])].kind
        else:
            kind = _key_kind(m.string[m.start() : m.start(secret)])
    counts[kind] += 1
    _record(found, m.group(secret), kind)
    whole, offset = m.group(0), m.start()
    return whole[: m.start(secret) - offset] + PLACEHOLDER.format(kind=kind) + whole[m.end(secret) - offset :]


def _custom(m: re.Match[str], counts: Counter[str], found: Found) -> str:
    counts["custom"] += 1
    _record(found, m.group(0), "custom")
    return PLACEHOLDER.format(kind="custom")
