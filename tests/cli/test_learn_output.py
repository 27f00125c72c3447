"""``learn``'s output written as it goes: the JSON document json.dumps would write, tables in chunks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reasoningbank.cli import learn_output
from reasoningbank.cli.learn_output import LearnOutput, report_json
from reasoningbank.models import LearnReport, MemoryItem, Verdict


def _rep(n: int) -> LearnReport:
    item = MemoryItem(id=f"i{n}", title=f"tip {n} ✓", content="do it")
    return LearnReport(
        experience_id=f"e{n}", verdict=Verdict(label="success"), items=[item], stored=True, note=f"n{n}"
    )


@pytest.mark.parametrize("n", [0, 1, 3])
@pytest.mark.parametrize("error", [None, "the judge call failed: 'quoted' ✗"])
def test_streamed_json_is_the_document_json_dumps_writes(
    capsys: pytest.CaptureFixture[str], n: int, error: str | None
) -> None:
    reps = [_rep(k) for k in range(n)]
    out = LearnOutput(True, Path("f.jsonl"), n)
    for k, rep in enumerate(reps):
        out.add(f"t{k}", rep)
    out.finish(error)
    doc: dict[str, object] = {"results": [report_json(f"t{k}", rep) for k, rep in enumerate(reps)]}
    if error is not None:
        doc["error"] = error
    written = capsys.readouterr().out
    assert written == json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"


def test_an_abort_closes_a_started_document_and_writes_nothing_otherwise(
    capsys: pytest.CaptureFixture[str],
) -> None:
    LearnOutput(True, Path("f"), 2).abort("boom")
    assert capsys.readouterr().out == ""
    out = LearnOutput(True, Path("f"), 2)
    out.add("t0", _rep(0))
    out.abort("boom")
    assert json.loads(capsys.readouterr().out)["error"] == "boom"


def test_tables_come_in_chunks_for_a_long_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(learn_output, "TABLE_ROWS", 2)
    out = LearnOutput(False, Path("f.jsonl"), 3)
    out.add("t0", _rep(0))
    assert capsys.readouterr().out == ""
    out.add("t1", _rep(1))
    first = capsys.readouterr().out
    assert "Learned trajectories 1-2 of 3 from f.jsonl" in first and "tip 1 ✓" in first and "t1: n1" in first
    out.add("t2", _rep(2))
    out.finish()
    assert "Learned trajectories 3-3 of 3" in capsys.readouterr().out
    short = LearnOutput(False, Path("f.jsonl"), 2)
    short.add("t0", _rep(0))
    short.finish()
    assert "Learned 1 trajectory(ies) from f.jsonl" in capsys.readouterr().out
