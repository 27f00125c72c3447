"""Quoted values in task queries ("Enter "Agustina" into the text field").

Task queries of one kind often differ only in such values. Small models copy
them into memory items, and a small sentence embedder ranks two queries of
different kinds as closer than two of the same kind when their quoted values
differ (all-MiniLM-L6-v2: ``Enter "Bob" into the text field`` is nearer to
``Select AU and click Submit`` than to ``Enter "Agustina" into the text
field``). The helpers here find the values, replace them in text, or mask them
before embedding.

A replaced value must leave a lesson that reads as a sentence: the stand-in
follows the words around it (``the password "3S"`` becomes "the password given
in the task", ``the "Submit" button`` "the button named in the task", a value
starting a sentence "The value given in the task", ``Bob's`` "the task's"), so
no article is doubled ("Identify the the value given in the task button").

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
    case-sensitive) so that the text still reads as a sentence (:func:`_phrase`); a
    custom ``placeholder`` replaces the literal alone."""
    for lit in literals:
        esc = re.escape(lit)
        # Quoted, or a whole word: not glued to letters or digits on either side.
        value = rf'"{esc}"|“{esc}”|\'{esc}\'|(?<![\w]){esc}(?![\w])'
        if placeholder != LITERAL_PLACEHOLDER:
            text = re.sub(value, lambda _m: placeholder, text)
            continue
        pattern = _CONTEXT.format(value=value)
        text = re.sub(pattern, lambda m: _phrase(m, m.string), text)
    return text


# The words around a value that decide how its stand-in reads: an article or a determiner
# before it, a noun between the two ("the password X"), a possessive or plural "s" after it,
# and the word after it ("the X button").
_CONTEXT = (
    r"(?:(?<![\w'’])(?P<det>[Tt]he|[Aa]n?|[Tt]his|[Tt]hat)\s+(?:(?P<noun>[a-z]+)\s+)?)?"
    r"(?:{value})(?:(?P<poss>['’]s(?!\w))|(?P<plural>s(?!\w)))?(?P<next>\s+[a-z]+(?![\w'’-]))?"
)
_NOT_NOUN_WORDS = (
    "and or but nor then to into in on at of for from with by as is are was were be if so "
    "again first last next once now only exactly too also here there it its"
)
_NOT_NOUNS = frozenset(_NOT_NOUN_WORDS.split())


def _phrase(m: re.Match[str], text: str) -> str:
    """The stand-in for the value matched by ``m`` (see :data:`_CONTEXT`), read in context:
    ``the password X`` → "the password given in the task", ``the X button`` → "the button
    named in the task", ``X's`` → "the task's", ``"X"s`` → "values given in the task", else
    "the value given in the task"; capitalised where a sentence starts."""
    det, noun, nxt = (m.group("det") or "").lower(), m.group("noun"), m.group("next") or ""
    word = nxt.strip()
    article = "a" if det in ("a", "an") else det
    if m.group("poss"):
        core = f"{det} {noun}'s" if noun else "the task's"
    elif noun and noun in _NOT_NOUNS:  # "the first X": an adjective, not the value's noun
        core = f"{det} {noun} value given in the task"
    elif noun:
        core = f"{det} {noun} given in the task"
    elif det and word and word not in _NOT_NOUNS:
        if article == "a" and word[0] in "aeiou":
            article = "an"
        core, nxt = f"{article} {word} named in the task", ""
    elif m.group("plural"):
        core = "values given in the task" if article in ("", "a") else f"{article} values given in the task"
    else:
        core = f"{article or 'the'} value given in the task"
    before = text[: m.start()].rstrip(" \t")
    starts = m.group("det")[0].isupper() if m.group("det") else not before or before[-1] in ".!?\n"
    return (core[0].upper() + core[1:] if starts else core) + nxt


MASK = '"…"'


def mask_literals(query: str) -> str:
    """``query`` with each value (quoted, or an unquoted code) replaced by ``"…"`` (for embedding)."""
    masked = _QUOTED_RE.sub(MASK, query)
    return _WORD_RE.sub(lambda m: MASK if is_code(m.group(0)) else m.group(0), masked)
