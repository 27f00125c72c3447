"""Secrets taken out of text before it is stored or sent to a model.

An agent's trajectory often holds what it read or typed: API keys in an
environment dump, a bearer token in a curl command, a database URL with its
password. Stored as is, the secret would sit in the bank, in every export, and
in the memory block rendered into other agents' prompts. :class:`Redactor`
replaces each known secret shape with ``[REDACTED:<kind>]`` and counts the
replacements by kind, so the caller can record that something was removed.

The shapes: provider keys (OpenAI, Anthropic, Google, AWS, GitHub, Slack,
Stripe, Hugging Face), JWTs, bearer tokens and ``Authorization`` headers,
passwords in URLs, ``password=`` / ``api_key:`` / ``token=`` style
assignments, PEM private-key blocks, and patterns the user configures.

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

import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

PLACEHOLDER = "[REDACTED:{kind}]"

# Key names whose value is a secret, in an assignment (``DB_PASSWORD=...``) or a mapping key.
_KEY_WORDS = (
    r"pass(?:word|wd|phrase)|client[_-]?secret|secret(?:[_-]?key)?|private[_-]?key"
    r"|api[_-]?key|apikey|(?:access|auth|refresh|id|session)[_-]?token|token"
)
_VALUE = (  # quoted up to its quote, else up to a space or a delimiter; "{n}" names the groups
    r"""(?:"(?P<{n}q1>[^"\n]{1,256}+)"|'(?P<{n}q2>[^'\n]{1,256}+)'"""
    r"""|(?P<{n}v>[^\s"',;&<>(){}\[\]=][^\s"',;&<>(){}\[\]]{0,255}+))"""
)
_TOKEN = r"A-Za-z0-9_-"


class _Shape(NamedTuple):
    kind: str
    # Lower-case strings one of which the text must contain for the shape to be looked for:
    # a text holding none of them skips the pattern (most text holds no secret at all).
    anchors: tuple[str, ...]
    # The group ``{n}v`` (or ``{n}q1``/``{n}q2``), when present, is the secret inside the match:
    # only it is replaced, so ``password=`` stays readable.
    pattern: str


_KEY_ANCHORS = ("pass", "secret", "private", "api_key", "api-key", "apikey", "token")
_SHAPES: tuple[_Shape, ...] = (
    _Shape(
        "private-key",
        ("-----begin",),
        r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY-----(?:[A-Za-z0-9+/=\s:,.\\]++|-(?!----))*+"
        r"(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY-----)?",
    ),
    _Shape("anthropic-key", ("sk-ant-",), rf"(?<![{_TOKEN}])sk-ant-[{_TOKEN}]{{20,}}+"),
    _Shape("openai-key", ("sk-",), rf"(?<![{_TOKEN}])sk-(?:proj-|svcacct-|admin-)?[{_TOKEN}]{{20,}}+"),
    _Shape("google-api-key", ("aiza",), rf"(?<![{_TOKEN}])AIza[{_TOKEN}]{{30,}}+"),
    _Shape("aws-access-key", ("akia", "asia"), r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"),
    _Shape(
        "aws-secret-key",
        ("aws",),
        r"(?i:aws_?secret_?(?:access_?)?key)[\"']?[ \t]{0,8}[:=][ \t]{0,8}[\"']?"
        r"(?P<{n}v>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
    ),
    _Shape(
        "github-token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}+|github_pat_[A-Za-z0-9_]{30,}+)",
    ),
    _Shape("slack-token", ("xox",), rf"(?<![{_TOKEN}])xox[abposre]-[A-Za-z0-9-]{{10,}}+"),
    _Shape("stripe-key", ("k_live_", "k_test_"), r"(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{16,}+"),
    _Shape("huggingface-token", ("hf_",), r"(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,}+"),
    _Shape("jwt", ("eyj",), rf"(?<![{_TOKEN}])eyJ[{_TOKEN}]{{10,}}+\.eyJ[{_TOKEN}]{{10,}}+\.[{_TOKEN}]*+"),
    _Shape(
        "authorization",
        ("authorization",),
        r"(?i:(?<![A-Za-z0-9])authorization)[\"']?[ \t]{0,8}[:=][ \t]{0,8}[\"']?"
        r"(?i:(?:basic|token|digest|apikey)[ \t]++)?(?P<{n}v>[^\s\"',;]{8,}+)",
    ),
    _Shape(  # a digit, or 24 characters: "the bearer of the ring" is no token
        "bearer-token",
        ("bearer",),
        r"(?i:(?<![A-Za-z0-9])bearer)[ \t]++(?P<{n}v>(?=[A-Za-z._~+/=-]*+[0-9])[A-Za-z0-9._~+/=-]{8,}+"
        r"|[A-Za-z0-9._~+/=-]{24,}+)",
    ),
    _Shape(
        "url-password",
        ("://",),
        r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}+://[^\s/?#@:'\"<>]{0,128}+:"
        r"(?P<{n}v>[^\s/?#@'\"<>]{1,256}+)@",
    ),
    # JSON and dict keys in quotes: "password": "x", 'api_key':'x'
    _Shape("assignment", _KEY_ANCHORS, rf"[\"'](?i:{_KEY_WORDS})[\"'][ \t]{{0,8}}[:=][ \t]{{0,8}}{_VALUE}"),
    # bare keys: DB_PASSWORD=x, api_key = x, token: x (a colon needs a space: not the label 'Password:')
    _Shape(
        "assignment",
        _KEY_ANCHORS,
        rf"(?<![A-Za-z0-9])(?i:{_KEY_WORDS})(?![A-Za-z0-9])"
        rf"(?:[ \t]{{0,8}}=[ \t]{{0,8}}|[ \t]{{0,8}}:[ \t]{{1,8}}){_VALUE}",
    ),
)

_KEY_KIND = (
    ("private-key", re.compile(r"private[_-]?key", re.IGNORECASE)),
    ("password", re.compile(r"pass", re.IGNORECASE)),
    ("api-key", re.compile(r"api[_-]?key|apikey", re.IGNORECASE)),
    ("token", re.compile(r"token", re.IGNORECASE)),
)
_SECRET_KEY = re.compile(rf"(?<![A-Za-z0-9])(?:{_KEY_WORDS})\Z", re.IGNORECASE)


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
    """Replaces secrets with ``[REDACTED:<kind>]``; ``builtin=False`` keeps only ``patterns``."""

    def __init__(self, patterns: Iterable[str] = (), *, builtin: bool = True) -> None:
        self.builtin = builtin
        self.patterns = compile_patterns(patterns)

    @property
    def active(self) -> bool:
        return self.builtin or bool(self.patterns)

    def redact(self, text: str, counts: Counter[str] | None = None) -> str:
        """``text`` with every secret replaced; each replacement is counted by kind in ``counts``."""
        tally: Counter[str] = Counter() if counts is None else counts
        present = _present(text) if self.builtin else ()
        if present:
            text = _combined(present).sub(lambda m: _replace(m, tally), text)
        for pattern in self.patterns:
            text = pattern.sub(lambda m: _custom(m, tally), text)
        return text

    def redact_value(self, value: Any, counts: Counter[str], key: str | None = None) -> Any:
        """A JSON-like value (strings, lists, dicts) with its strings redacted. A string stored
        under a secret-looking key (``"password"``, ``"OPENAI_API_KEY"``) is replaced whole."""
        if isinstance(value, str):
            whole = value.strip() and not value.startswith("[REDACTED:")
            if self.builtin and key is not None and whole and _SECRET_KEY.search(key):
                counts[_key_kind(key)] += 1
                return PLACEHOLDER.format(kind=_key_kind(key))
            return self.redact(value, counts)
        if isinstance(value, Mapping):
            return {
                k: self.redact_value(v, counts, k if isinstance(k, str) else None) for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.redact_value(v, counts) for v in value]
        return value


def _replace(m: re.Match[str], counts: Counter[str]) -> str:
    """The replacement of one built-in match: the whole match, or just its secret group."""
    name = m.lastgroup  # the alternative's own group: it encloses its secret group, so closes last
    assert name is not None and name[1:].isdigit()
    kind = _SHAPES[int(name[1:])].kind
    groups = m.groupdict()
    secret = next((name + g for g in ("v", "q1", "q2") if groups.get(name + g) is not None), None)
    if secret is None:
        counts[kind] += 1
        return PLACEHOLDER.format(kind=kind)
    if m.group(secret).startswith("[REDACTED:"):  # redacted before: redacting again changes nothing
        return m.group(0)
    if kind == "assignment":
        provider = _PROVIDERS.fullmatch(m.group(secret))
        if provider is not None and provider.lastgroup is not None:
            kind = _SHAPES[int(provider.lastgroup[1:])].kind
        else:
            kind = _key_kind(m.string[m.start() : m.start(secret)])
    counts[kind] += 1
    whole, offset = m.group(0), m.start()
    return whole[: m.start(secret) - offset] + PLACEHOLDER.format(kind=kind) + whole[m.end(secret) - offset :]


def _custom(m: re.Match[str], counts: Counter[str]) -> str:
    counts["custom"] += 1
    return PLACEHOLDER.format(kind="custom")
