"""Every bash/sh/console block of the docs, command by command (the policy is in tests/docs/shell.py).

A cheap offline ``reasoningbank`` command runs for real in-process (``main([...])`` with ``--embedder hash``
so no model is loaded) in a fresh temp dir with ``HOME`` inside it; absolute paths are moved under the temp
dir, the placeholder ``ITEM_ID`` becomes the id of the first stored item and ``DIR`` a state dir. Its exit
code must be 0. An expensive command is parsed by the CLI's own parser (a usage error fails the test), and
the recorded runs it reads must exist. Other programs are checked as :data:`~tests.docs.shell.ALLOWED` says.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reasoningbank import cli
from tests.docs.blocks import ROOT, Block, all_blocks
from tests.docs.curl import check_curl
from tests.docs.shell import (
    ALLOWED,
    EXPENSIVE_OPTIONS,
    READS_RUNS,
    RUN,
    Command,
    commands,
    pyproject_extras,
    subcommand,
)

SHELL = {"bash", "sh", "shell", "console"}
BLOCKS = [b for b in all_blocks() if b.lang in SHELL]
FAKE_KEY = "rbk_" + "0" * 12 + "_" + "docs-example"  # split so that no scanner reads it as a secret


def _parse(args: list[str], where: str) -> tuple[str, ...]:
    try:
        return subcommand(args)
    except SystemExit as exc:
        raise AssertionError(f"{where}: the CLI's parser refuses {args!r} (exit {exc.code})") from None


def _first_item_id(capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(["--embedder", "hash", "items", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)["items"]
    assert items, "ITEM_ID: the block names an item before it stored one"
    return str(items[0]["id"])


def _localise(word: str, tmp: Path, capsys: pytest.CaptureFixture[str]) -> str:
    if word == "ITEM_ID":  # one item for the whole block: a retired item is no longer listed
        if not (tmp / "item_id").exists():
            (tmp / "item_id").write_text(_first_item_id(capsys))
        return (tmp / "item_id").read_text()
    if word == "DIR":
        return str(tmp / "state")
    return re.sub(r"^(--[\w-]+=)?/(?!/)", lambda m: (m[1] or "") + str(tmp) + "/", word)


def _run_cli(
    args: list[str],
    cmd: Command,
    tmp: Path,
    capsys: pytest.CaptureFixture[str],
    made: frozenset[str] = frozenset(),
) -> None:
    sub = _parse(args, cmd.line)
    expensive = any(a.split("=")[0] in EXPENSIVE_OPTIONS or "postgresql://" in a for a in args)
    if sub[0] in RUN and not expensive:
        argv = ["--embedder", "hash", *(_localise(a, tmp, capsys) for a in args)]
        code = cli.main(argv)
        captured = capsys.readouterr()
        assert code == 0, f"{cmd.line}: exit {code}: {captured.err}"
        return
    if sub in READS_RUNS:  # it reads recorded runs: in the repository, or written by the block
        for word in args:
            if "/" in word and not word.startswith("-") and word not in made:
                assert (ROOT / word).exists(), f"{cmd.line}: {word} does not exist"


def _check_python(cmd: Command, tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    words = list(cmd.words[1:])
    if words[:2] == ["-m", "pytest"]:
        return  # the test suite itself: this test is part of it
    if words[:2] == ["-m", "reasoningbank"]:
        _run_cli(words[2:], cmd, tmp, capsys)
        return
    script = ROOT / words[0]
    assert words[0].endswith(".py") and script.is_file(), f"{cmd.line}: unclassified python command"
    source = script.read_text()
    for opt in (w for w in words[1:] if w.startswith("--")):
        assert f'"{opt}"' in source, f"{cmd.line}: {script.name} has no option {opt}"


def _check_other(cmd: Command, tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prog, *rest = cmd.words
    assert prog in ALLOWED, f"{cmd.line}: '{prog}' is not classified (add it to ALLOWED with a reason)"
    if prog == "pip":
        assert rest[0] == "install", cmd.line
        for spec in rest[1:]:
            extras = re.fullmatch(r"reasoningbank\[([\w,-]+)\]", spec)
            assert extras, f"{cmd.line}: only reasoningbank with extras is known: {spec}"
            assert set(extras[1].split(",")) <= pyproject_extras(), f"{cmd.line}: unknown extra"
    elif prog == "bash":
        assert rest == ["scripts/install.sh"] and (ROOT / rest[0]).is_file(), cmd.line
    elif prog == "cat":
        assert len(rest) == 2 and rest[0] == ">" and cmd.stdin is not None, (
            f"{cmd.line}: only cat > FILE <<'EOF'"
        )
        target = (tmp / rest[1]).resolve()
        assert target.is_relative_to(tmp.resolve()), f"{cmd.line}: {rest[1]} is outside the block's temp dir"
        target.write_text(cmd.stdin, encoding="utf-8")
    elif prog == "claude":
        assert "--" in rest or "--transport" in rest, cmd.line
        if "--" in rest:
            ours = rest[rest.index("--") + 1 :]
            assert ours[0] == "reasoningbank", cmd.line
            _parse(ours[1:], cmd.line)


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_shell_block(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("REASONINGBANK_STORE", "REASONINGBANK_MODEL", "REASONINGBANK_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    env = {"HOME": str(tmp_path / "home"), "REASONINGBANK_API_KEY": FAKE_KEY}
    cmds = commands(block.code, env)
    assert cmds, f"{block.id}: a shell block without a command"
    made = frozenset(c.words[i + 1] for c in cmds for i, w in enumerate(c.words[:-1]) if w == "--run-dir")
    for cmd in cmds:
        if cmd.words[0] == "reasoningbank":
            _run_cli(list(cmd.words[1:]), cmd, tmp_path, capsys, made)
        elif cmd.words[0] == "python":
            _check_python(cmd, tmp_path, capsys)
        elif cmd.words[0] == "curl":
            check_curl(list(cmd.words[1:]), tmp_path)
        else:
            _check_other(cmd, tmp_path, capsys)


def test_every_allowed_program_is_used() -> None:
    used = {c.words[0] for b in BLOCKS for c in commands(b.code, {"HOME": "", "REASONINGBANK_API_KEY": ""})}
    assert set(ALLOWED) <= used, f"stale ALLOWED entries: {set(ALLOWED) - used}"


def test_a_here_document_is_read_as_written_and_written_to_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    block = "cat > lessons.jsonl <<'EOF'\n# kept: $NOT_SET \\\n{\"a\": 1}\nEOF\nreasoningbank list\n"
    cat, listing = commands(block, {})
    assert cat.words == ("cat", ">", "lessons.jsonl") and listing.words == ("reasoningbank", "list")
    assert cat.stdin == '# kept: $NOT_SET \\\n{"a": 1}\n' and listing.stdin is None
    _check_other(cat, tmp_path, capsys)
    assert (tmp_path / "lessons.jsonl").read_text() == cat.stdin
    with pytest.raises(AssertionError, match="never ends"):
        commands("cat > f <<'EOF'\nline\n", {})
    (escape,) = commands("cat > ../f <<'EOF'\nx\nEOF\n", {})
    with pytest.raises(AssertionError, match="outside the block's temp dir"):
        _check_other(escape, tmp_path / "sub", capsys)


def test_a_curl_command_reaches_the_in_process_service(tmp_path: Path) -> None:
    block = 'curl -sS -X POST -H "Authorization: Bearer $REASONINGBANK_API_KEY" --json \\\n'
    block += """  '{"query": "Log in as alice"}' http://127.0.0.1:8377/v1/banks/team/retrieve\n"""
    (cmd,) = commands(block, {"REASONINGBANK_API_KEY": FAKE_KEY})
    assert check_curl(list(cmd.words[1:]), tmp_path / "good") == 200
    auth, url = ["-H", "Authorization: Bearer x"], "http://127.0.0.1:8377/v1/banks/team"
    with pytest.raises(AssertionError, match="no such endpoint"):
        check_curl([*auth, "http://127.0.0.1:8377/v1/banks/team/recall"], tmp_path / "route")
    with pytest.raises(AssertionError, match="query"):
        check_curl([*auth, "--json", '{"q": 1}', f"{url}/retrieve"], tmp_path / "body")
