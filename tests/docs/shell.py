"""Shell blocks of the docs as commands: split, expanded and sorted into run / parse-only / allow-listed.

The policy (the test module's docstring has the whole of it): a ``reasoningbank`` command that is cheap
and offline runs for real; an expensive one (a model, a browser, a server, PostgreSQL) is parsed by the
CLI's own argparse parser and the recorded runs it reads must exist; every other program is on
:data:`ALLOWED` with its check and the reason, and anything else fails the test as unclassified.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tests.docs.blocks import ROOT

# Cheap, offline commands, run for real (with ``--embedder hash``, in a temp dir).
RUN = {"init", "retrieve", "add", "list", "items", "retire", "restore", "stats", "export", "import",
       "show", "delete", "keys"}  # fmt: skip
# Options that make a command expensive or reach something outside the temp dir: parsed only.
EXPENSIVE_OPTIONS = ("--local-model", "--model", "--api-base")
# Commands that read recorded runs: every positional path they name must exist in the repository.
READS_RUNS = {("report",), ("bench", "rejudge"), ("bench", "scaling-report")}
# Programs that are not ours: what is checked instead of running them, and why.
ALLOWED = {
    "pip": "installs a package: checked that every extra it names is in pyproject.toml",
    "bash": "only scripts/install.sh (minutes of compiling): checked that the script exists "
    "(tests/test_install_script.py tests it)",
    "claude": "Claude Code's own CLI: the reasoningbank command after its '--' is checked as ours",
    "cat": "only `cat > FILE <<'EOF'`: the here-document is written to FILE in the temp dir, so a block "
    "shows the file its next commands read",
}
# A quoted here-document opener at the end of a line: its body is taken as written (no expansion).
_HEREDOC = re.compile(r"<<-?[ \t]*'(?P<word>\w+)'[ \t]*$")


@dataclass(frozen=True)
class Command:
    """One simple command of a block: its words after expansion, and the block line it starts on."""

    words: tuple[str, ...]
    line: str
    stdin: str | None = None  # the body of a here-document the command reads


def logical_lines(lines: Iterable[str]) -> Iterator[str]:
    """Lines with backslash continuations joined."""
    pending = ""
    for raw in lines:
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        yield pending + raw
        pending = ""
    if pending:
        yield pending


def _expand(line: str, env: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m["a"] or m["b"]
        if name not in env:
            raise AssertionError(f"{line!r}: ${name} is neither set in the block nor known to the docs test")
        return env[name]

    return re.sub(r"\$\{(?P<a>[A-Za-z_][A-Za-z0-9_]*)\}|\$(?P<b>[A-Za-z_][A-Za-z0-9_]*)", sub, line)


def _here_document(raw: Iterator[str], word: str, line: str) -> str:
    """The lines of ``raw`` up to the one that is ``word`` alone, as written."""
    body: list[str] = []
    for text in raw:
        if text.strip() == word:
            return "".join(f"{b}\n" for b in body)
        body.append(text)
    raise AssertionError(f"{line!r}: the here-document never ends with a line {word!r}")


def commands(code: str, env: dict[str, str]) -> list[Command]:
    """The simple commands of a block, ``&&`` / ``;`` / ``|`` split; ``NAME=value`` lines set ``env``;
    a line ending in ``<<'WORD'`` gives its last command the lines up to ``WORD`` as ``stdin``."""
    out: list[Command] = []
    raw = iter(code.splitlines())
    for logical in logical_lines(raw):  # reads ``raw`` lazily: a here-document's body is skipped
        heredoc = _HEREDOC.search(logical)
        line = logical[: heredoc.start()] if heredoc else logical
        stdin = _here_document(raw, heredoc["word"], logical) if heredoc else None
        words = shlex.split(_expand(line, env), comments=True)
        current: list[str] = []
        for word in [*words, ";"]:
            if word in ("&&", "||", ";", "|"):
                if len(current) == 1 and re.fullmatch(r"[A-Za-z_]\w*=.*", current[0]):
                    name, value = current[0].split("=", 1)
                    env[name] = value
                elif current:
                    out.append(Command(tuple(current), logical.strip()))
                current = []
            else:
                current.append(word)
        if stdin is not None:
            assert out, f"{logical!r}: a here-document with no command to read it"
            out[-1] = Command(out[-1].words, out[-1].line, stdin)
    return out


def subcommand(args: list[str]) -> tuple[str, ...]:
    """The command name (and a group's subcommand) of ``reasoningbank ARGS`` without the common options."""
    from reasoningbank.cli import build_parser

    ns = build_parser().parse_args(args)
    name = (ns.command,)
    for attr in ("bench_command", "keys_command"):
        if getattr(ns, attr, None):
            return (*name, getattr(ns, attr))
    return name


def pyproject_extras() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(data["project"]["optional-dependencies"])
