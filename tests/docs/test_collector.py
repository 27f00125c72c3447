"""The fence parser that finds the docs' code blocks, and the files it reads."""

from __future__ import annotations

import pytest

from tests.docs.blocks import ROOT, doc_files, parse_blocks


def test_fences_of_any_length_indent_and_tag() -> None:
    text = "- a list item:\n\n  ```Bash\n  reasoningbank list\n  ```\n\n"
    text += "````md\n```python\nx\n```\n````\n~~~\nout\n~~~\n"
    blocks = parse_blocks(text, "doc.md")
    assert [(b.line, b.lang, b.code) for b in blocks] == [
        (3, "bash", "reasoningbank list\n"),
        (7, "md", "```python\nx\n```\n"),
        (12, "", "out\n"),
    ]


def test_an_unclosed_fence_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"doc.md:2: the code fence '```' is never closed"):
        parse_blocks("text\n```python\nx = 1\n", "doc.md")


def test_every_doc_file_is_read() -> None:
    names = {f.relative_to(ROOT).as_posix() for f in doc_files()}
    assert {"README.md", "docs/design.md", "docs/service.md", "src/reasoningbank/cli/README.md"} <= names
