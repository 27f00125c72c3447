"""What a task's memory update did, for records written before the facts were kept.

Newer task records carry :class:`~.records.LearnRecord` (``learn``); older ones only the
rendered ``learn_note``. :func:`read_learn_note` reads such a note back into the facts,
recognising every wording any version wrote:

* ``dropped N item(s) copying the prompt's example`` (N ``example_copy``),
* ``dropped a placeholder item ('t')``, ``dropped an invalid item (error)`` and AWM's
  ``dropped an invalid workflow (error)``,
* ``dropped 't': it names a page-specific element ('ref')``,
  ``dropped 't': the agent has no action a, b``,
* ``dropped N exact duplicate item(s)``, ``merged N near-duplicate item(s) into existing ones``,
* ``retired 't': reason`` (the reason up to the next ``;``, as the report always read it),
* ``abstained: ...`` and ``not extracted: ...`` (no extraction was made).

Titles are Python reprs: single-quoted, or double-quoted when they hold a ``'``.
"""

from __future__ import annotations

import ast
import re

from .records import DroppedRecord, LearnRecord, RetiredRecord, TaskRecord

_REPR = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\""""
_DROPS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("example_copy", re.compile(r"dropped (?P<n>\d+) item\(s\) copying the prompt's example")),
    ("exact_duplicate", re.compile(r"dropped (?P<n>\d+) exact duplicate item\(s\)")),
    ("placeholder", re.compile(rf"dropped a placeholder item \((?P<title>{_REPR})\)")),
    ("invalid", re.compile(r"dropped an invalid (?:item|workflow) \((?P<detail>.*?)\)(?=; |$)")),
    (
        "page_specific",
        re.compile(rf"dropped (?P<title>{_REPR}): it names a page-specific element \((?P<detail>{_REPR})\)"),
    ),
    ("unknown_action", re.compile(rf"dropped (?P<title>{_REPR}): the agent has no action (?P<detail>[^;]*)")),
)
_MERGED = re.compile(r"merged (\d+) near-duplicate item\(s\) into existing ones")
_RETIRED = re.compile(r"""retired (?:'([^']*)'|"([^"]*)"): ([^;]*)""")
_SKIPPED = re.compile(r"(?:^|; )(abstained|not extracted): ")


def _text(match: re.Match[str], group: str) -> str:
    """A named group of ``match``: a repr read back to its text, anything else as it is."""
    value = match.groupdict().get(group) or ""
    if value[:1] in ("'", '"'):
        try:
            return str(ast.literal_eval(value))
        except (ValueError, SyntaxError):
            return value[1:-1]
    return value


def _dropped(note: str) -> list[DroppedRecord]:
    """Every dropped item the note tells of, in the note's order."""
    found: list[tuple[int, list[DroppedRecord]]] = []
    for reason, pattern in _DROPS:
        for m in pattern.finditer(note):
            if m.groupdict().get("n") is not None:
                found.append((m.start(), [DroppedRecord(reason=reason) for _ in range(int(m.group("n")))]))
            else:
                record = DroppedRecord(reason=reason, title=_text(m, "title"), detail=_text(m, "detail"))
                found.append((m.start(), [record]))
    return [d for _, ds in sorted(found, key=lambda f: f[0]) for d in ds]


def read_learn_note(note: str) -> LearnRecord:
    """The facts a learn note renders (see the module's docstring for the wordings)."""
    return LearnRecord(
        dropped=_dropped(note),
        merged=sum(int(m.group(1)) for m in _MERGED.finditer(note)),
        retired=[
            RetiredRecord(title=m.group(1) if m.group(1) is not None else m.group(2), reason=m.group(3))
            for m in _RETIRED.finditer(note)
        ],
        skipped=[
            "abstained" if m.group(1) == "abstained" else "held_already" for m in _SKIPPED.finditer(note)
        ],
    )


def learn_facts(record: TaskRecord) -> LearnRecord:
    """What the record's memory update did: its facts, or for an older record its note read back."""
    return record.learn if record.learn is not None else read_learn_note(record.learn_note)
