"""The output helpers: stored text shown literally in rich output."""

from __future__ import annotations

import io

from rich.console import Console

from reasoningbank.cli.output import lit, printable, short


def _render(markup: str) -> str:
    buf = io.StringIO()
    Console(file=buf, width=200).print(markup)  # not a terminal: no styles, so no escapes of rich's own
    return buf.getvalue()


def test_printable_escapes_control_characters_but_keeps_newline_and_tab() -> None:
    assert printable("plain text") == "plain text"
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert printable("bell\x07 cr\r del\x7f c1\x9b") == "bell\\x07 cr\\r del\\x7f c1\\x9b"
    assert printable("naïve — ünïcode ✓") == "naïve — ünïcode ✓"


def test_lit_renders_markup_and_escapes_as_written() -> None:
    for text in ("[/bold]", "[bold]x[/bold]", "[/]", "[red]t[/red] and \\[x]", "50% [link=x]y[/link]"):
        assert _render(lit(text)) == text + "\n"
    assert _render(lit("\x1b[31mred\x07")) == "\\x1b[31mred\\x07\n"


def test_short_flattens_and_cuts() -> None:
    assert short("a\n  b\tc") == "a b c"
    assert short("x" * 100, 10) == "x" * 9 + "…"
