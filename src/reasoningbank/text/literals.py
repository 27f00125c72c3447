"""Quoted values in task queries ("Enter "Agustina" into the text field").

Task queries of one kind often differ only in such values. Small models copy
them into memory items, and a small sentence embedder ranks two queries of
different kinds as closer than two of the same kind when their quoted values
differ (all-MiniLM-L6-v2: ``Enter "Bob" into the text field`` is nearer to
``Select AU and click Submit`` than to ``Enter "Agustina" into the text
field``). The helpers here find the values, replace them in text, or mask them
before embedding.

Values are also given unquoted, as codes (``Select DKkQH and click Submit``,
``Select HF2, 9PfV``). An unquoted word counts as a value when it is shaped like
a code rather than a word: it has a letter and also a digit or a capital
letter after its first character (``DKkQH``, ``HF2``, ``AU``). Bare numbers are
not taken (``click(5)`` in a lesson is an element id, not the task's value). The
price: acronyms and camel-case names (``OK``, ``iPhone``) count as values too;
lower-case codes (``fzzqo``) look like words and are missed.
"""

from __future__ import annotations

import re

LITERAL_PLACEHOLDER = "the value given in the task"

# A quoted value: "..." or “...” anywhere; '...' only when the quotes stand apart
# from words, so apostrophes (don't, user's) are not taken for quotes.
# Empty quotes ("") match too, so they are consumed as a pair instead of pairing with the next quote.
_QUOTED_RE = re.compile(r'"([^"\n]{0,200})"|“([^”\n]{0,200})”|(?<![\w\'])\'([^\'\n]{1,200})\'(?![\w\'])')


# An unquoted word: letters and digits, not glued to other word characters,
# apostrophes or hyphens (so "user's" and "e-mail" stay words).
_WORD_RE = re.compile(r"(?<![\w'’-])[^\W_]+(?![\w'’-])")


def is_code(word: str) -> bool:
    """True for a word shaped like a code: a letter, and a digit or a capital after its first character."""
    if not any(c.isalpha() for c in word):
        return False
    return any(c.isdigit() for c in word) or any(c.isupper() for c in word[1:])


def _codes(text: str) -> set[str]:
    return {m.group(0) for m in _WORD_RE.finditer(text) if is_code(m.group(0))}


def query_literals(query: str) -> list[str]:
    """The values of a task query, longest first, without duplicates: quoted
    values, and unquoted words shaped like codes (see :func:`is_code`)."""
    found = {next(g for g in m.groups() if g is not None).strip() for m in _QUOTED_RE.finditer(query)}
    found |= _codes(_QUOTED_RE.sub(" ", query))
    return sorted((f for f in found if f), key=lambda f: (-len(f), f))


def generalize_literals(text: str, literals: list[str], placeholder: str = LITERAL_PLACEHOLDER) -> str:
    """Replace each literal of ``literals`` in ``text`` (quoted or as a whole word,
    case-sensitive) by ``placeholder``."""
    for lit in literals:
        esc = re.escape(lit)
        quoted = rf'"{esc}"|“{esc}”|\'{esc}\''
        # Whole word: not glued to letters or digits on either side.
        bare = rf"(?<![\w]){esc}(?![\w])"
        text = re.sub(f"{quoted}|{bare}", lambda _m: placeholder, text)
    return text


MASK = '"…"'


def mask_literals(query: str) -> str:
    """``query`` with each value (quoted, or an unquoted code) replaced by ``"…"`` (for embedding)."""
    masked = _QUOTED_RE.sub(MASK, query)
    return _WORD_RE.sub(lambda m: MASK if is_code(m.group(0)) else m.group(0), masked)
