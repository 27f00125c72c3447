"""The fenced code blocks of the project's Markdown docs, found by a small fence parser.

Every ``*.md`` file under ``README.md``, ``docs/`` and ``src/`` is read, so a new doc (or a new block in an
old one) is collected without editing the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[^\s`]*)[^`]*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: its file (relative to the repository), first line number, language tag and text."""

    path: str
    line: int
    lang: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}:{self.lang or 'text'}"

    @property
    def first_line(self) -> str:
        """The first non-empty line: what names a block in the harness tables (robust to moved lines)."""
        return next((ln.strip() for ln in self.code.splitlines() if ln.strip()), "")


def doc_files(root: Path = ROOT) -> list[Path]:
    """README.md, every Markdown file under docs/ and every one under src/ (the folder READMEs)."""
    files = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    files += sorted((root / "src").rglob("*.md"))
    return [f for f in files if f.is_file()]


def parse_blocks(text: str, path: str) -> list[Block]:
    """The fenced blocks of one Markdown text; an unclosed fence is an error (it would hide the rest)."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, start = len(m["indent"]), m["fence"], i
        body: list[str] = []
        i += 1
        while i < len(lines) and not re.fullmatch(rf"[ \t]*{fence[0]}{{{len(fence)},}}[ \t]*", lines[i]):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f"{path}:{start + 1}: the code fence {fence!r} is never closed")
        blocks.append(Block(path, start + 1, m["lang"].lower(), "\n".join(body) + "\n"))
        i += 1
    return blocks


def all_blocks(root: Path = ROOT) -> list[Block]:
    return [b for f in doc_files(root) for b in parse_blocks(f.read_text(), f.relative_to(root).as_posix())]
