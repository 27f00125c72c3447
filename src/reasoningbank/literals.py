"""Quoted values in task queries ("Enter "Agustina" into the text field").

Task queries of one kind often differ only in such values. Small models copy
them into memory items, and a small sentence embedder ranks two queries of
different kinds as closer than two of the same kind when their quoted values
differ (all-MiniLM-L6-v2: ``Enter "Bob" into the text field`` is nearer to
``Select AU and click Submit`` than to ``Enter "Agustina" into the text
field``). The helpers here find the values, replace them in text, or mask them
before embedding.
"""

from __future__ import annotations

import re

LITERAL_PLACEHOLDER = "the value given in the task"

# A quoted value: "..." or “...” anywhere; '...' only when the quotes stand apart
# from words, so apostrophes (don't, user's) are not taken for quotes.
_QUOTED_RE = re.compile(r'"([^"\n]{1,200})"|“([^”\n]{1,200})”|(?<![\w\'])\'([^\'\n]{1,200})\'(?![\w\'])')


def query_literals(query: str) -> list[str]:
    """The quoted values of a task query, longest first, without duplicates."""
    found = {next(g for g in m.groups() if g is not None).strip() for m in _QUOTED_RE.finditer(query)}
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
    """``query`` with each quoted value replaced by ``"…"`` (for embedding)."""
    return _QUOTED_RE.sub(MASK, query)
