"""The report of a recorded run directory (records written by hand)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reasoningbank.bench.metrics import compute_metrics
from reasoningbank.bench.report import render_report, write_report
from reasoningbank.bench.rundata import load_run
from reasoningbank.bench.rundir import append_record, read_records, write_json_atomic
from reasoningbank.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def usage(calls: int, tokens: int) -> dict[str, Any]:
    return {
        "calls": calls,
        "prompt_tokens": tokens,
        "completion_tokens": 0,
        "total_tokens": tokens,
        "cost": 0.0,
        "seconds": 0.0,
    }


def rec(
    method: str,
    index: int,
    family: str,
    success: bool,
    steps: int,
    judge: str | None,
    action: int,
    jt: int = 0,
    xt: int = 0,
    items: list[tuple[str, str]] | None = None,
    memory_size: int = 0,
) -> dict[str, Any]:
    return {
        "method": method,
        "index": index,
        "task_id": f"{family}:{index}",
        "family": family,
        "seed": index,
        "score": 1.0 if success else 0.0,
        "success": success,
        "judge_label": judge,
        "judge_parsed": None if judge is None else True,
        "steps": steps,
        "parse_failures": 0,
        "llm": {
            "action": usage(steps, action),
            "judge": usage(1 if judge else 0, jt),
            "extraction": usage(1 if xt else 0, xt),
            "total": usage(steps + (1 if judge else 0) + (1 if xt else 0), action + jt + xt),
        },
        "items_learned": [
            {"title": t, "description": "", "content": c, "origin": "success"} for t, c in (items or [])
        ],
        "memory_size": memory_size,
        "retrieved": [],
        "recovered": False,
        "seconds": 1.0,
    }


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    root = tmp_path / "run"
    tasks = [("a", 0), ("b", 1), ("a", 2), ("b", 3)]
    write_json_atomic(
        root / "run.json",
        {
            "model": "scripted",
            "preset": {"name": "paper"},
            "embedder": "hash-embedder-64",
            "methods": ["none", "reasoningbank"],
            "tasks": [{"family": f, "seed": s} for f, s in tasks],
            "max_steps": 5,
        },
    )
    none = [
        rec("none", 0, "a", True, 4, None, 100),
        rec("none", 1, "b", False, 5, None, 200),
        rec("none", 2, "a", False, 5, None, 300),
        rec("none", 3, "b", False, 6, None, 400),
    ]
    rb = [
        rec("reasoningbank", 0, "a", True, 2, "success", 100, 10, 20, [("Use ids", "Click ids.")], 1),
        rec("reasoningbank", 1, "b", False, 4, "success", 100, 10, 20, [("Wrong | lesson", "Bad\nidea")], 2),
        rec("reasoningbank", 2, "a", True, 2, "failure", 100, 10, 20, [], 2),
        rec("reasoningbank", 3, "b", False, 4, "failure", 100, 10, 20, [("Check twice", "Look.")], 3),
    ]
    for r in none:
        append_record(root / "none" / "records.jsonl", r)
    for r in rb:
        append_record(root / "reasoningbank" / "records.jsonl", r)
    return root


def test_metrics_numbers(run_dir: Path) -> None:
    m = compute_metrics(load_run(run_dir))
    assert m["families"] == ["a", "b"]
    none, rb = m["methods"]["none"], m["methods"]["reasoningbank"]
    assert none["overall"] == {"n": 4, "success_rate": 0.25, "avg_steps": 5.0}
    assert none["families"]["a"] == {"n": 2, "success_rate": 0.5, "avg_steps": 4.5}
    assert rb["overall"]["success_rate"] == 0.5 and rb["overall"]["avg_steps"] == 3.0
    assert rb["families"]["b"]["success_rate"] == 0.0
    judge = {k: rb["judge"][k] for k in ("n", "tp", "fp", "fn", "tn", "accuracy", "unparsed")}
    assert judge == {"n": 4, "tp": 1, "fp": 1, "fn": 1, "tn": 1, "accuracy": 0.5, "unparsed": 0}
    assert rb["judge"]["abstained"] == 0 and rb["judge"]["precision"] == 0.5 and rb["judge"]["auroc"] is None
    assert none["judge"]["n"] == 0 and none["judge"]["accuracy"] is None
    assert none["tokens"]["action"]["tokens_per_task"] == 250.0
    assert none["tokens"]["judge"]["tokens_per_task"] == 0.0
    assert rb["tokens"]["total"]["tokens_per_task"] == 130.0
    assert rb["tokens"]["extraction"]["tokens_per_task"] == 20.0
    assert rb["items_learned"] == 3 and rb["memory_size"] == 3


def test_markdown_report_tables_and_items(run_dir: Path) -> None:
    text = render_report(run_dir)
    assert "| Method | a | b | Overall |" in text
    assert "| none | 50.0 / 4.5 | 0.0 / 5.5 | 25.0 / 5.0 |" in text
    assert "| reasoningbank | 100.0 / 2.0 | 0.0 / 4.0 | 50.0 / 3.0 |" in text
    assert "| reasoningbank | 4 | 0 | 1 | 1 | 1 | 1 | 50.0 | 50.0 | 50.0 | – | judge 4 | 0 |" in text
    assert "| none | 250 | 0 | 0 | 250 |" in text
    assert "| reasoningbank | 100 | 10 | 20 | 130 |" in text
    # learned items with task and verdicts; markdown-breaking characters escaped
    assert "| 2 | b:1 | failure | success | success | Wrong \\| lesson | Bad<br>idea |" in text
    assert "Check twice" in text
    assert "_No items learned._" in text  # the none method


def test_write_report_writes_markdown_and_valid_pngs(run_dir: Path) -> None:
    written = write_report(run_dir)
    assert written.path == run_dir / "report.md"
    assert written.path.read_text() == written.text
    assert {p.name for p in written.plots} == {"cumulative_success.png", "memory_size.png"}
    for p in written.plots:
        data = p.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 1000
        assert f"![{p.stem}]({p.name})" in written.text


def test_failed_plot_save_keeps_old_plot_and_leaves_no_temp_file(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = write_report(run_dir)
    before = {p: p.read_bytes() for p in written.plots}

    def broken_savefig(self: Any, fname: Any, **kwargs: Any) -> None:
        Path(fname).write_bytes(b"half a png")  # a partial write, then the failure
        raise OSError("disk full")

    from matplotlib.figure import Figure

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(OSError, match="disk full"):
        write_report(run_dir)
    assert {p: p.read_bytes() for p in written.plots} == before
    assert not list(run_dir.glob("*.tmp"))


def test_incomplete_run_is_flagged_and_torn_line_ignored(run_dir: Path) -> None:
    path = run_dir / "none" / "records.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:2]) + "\n" + lines[2][:20])  # torn last write
    assert len(read_records(path)) == 2
    text = render_report(run_dir)
    assert "none: 2 of 4 tasks recorded (incomplete)" in text


def test_missing_manifest_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"run\.json is missing"):
        load_run(tmp_path)


def test_cli_report_json(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "report", str(run_dir), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["methods"]["reasoningbank"]["judge"]["accuracy"] == 0.5
    assert all(Path(p).exists() for p in out["plots"])
    assert main(["bench", "report", str(run_dir)]) == 0
    text = capsys.readouterr().out
    assert "## Judge vs benchmark" in text and "plot: " in text


def test_top_level_report_command(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(run_dir), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["methods"]["reasoningbank"]["judge"]["accuracy"] == 0.5


def test_unfinished_run_compares_only_tasks_every_method_finished(run_dir: Path) -> None:
    path = run_dir / "none" / "records.jsonl"
    path.write_text("\n".join(path.read_text().splitlines()[:2]) + "\n")
    metrics = compute_metrics(load_run(run_dir))
    assert metrics["compared_tasks"] == 2
    assert all(m["overall"]["n"] == 2 for m in metrics["methods"].values())
    assert "The tables compare the 2 tasks every method has finished." in render_report(run_dir)


def test_report_on_some_methods_only(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "none" is unfinished: a report without it compares all 4 tasks of the others
    path = run_dir / "none" / "records.jsonl"
    path.write_text("\n".join(path.read_text().splitlines()[:2]) + "\n")
    others = [m for m in load_run(run_dir).methods if m != "none"]
    run = load_run(run_dir, list(reversed(others)))
    assert run.methods == list(reversed(others))
    assert compute_metrics(run)["compared_tasks"] == 4
    written = write_report(run_dir, others)
    assert written.path.name == "report-" + "-".join(others) + ".md"
    assert all(p.stem.endswith("-".join(others)) and p.exists() for p in written.plots)
    assert "| none |" not in written.text
    assert not (run_dir / "report.md").exists()  # the whole-run report is left alone
    assert main(["report", str(run_dir), "--methods", others[0], "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out["methods"]) == [others[0]] and out["report"].endswith(f"report-{others[0]}.md")
    with pytest.raises(ValueError, match="no records of method"):
        load_run(run_dir, ["reasoningbank@paper"])


def test_retrieval_table_counts_same_family_sources(run_dir: Path) -> None:
    path = run_dir / "reasoningbank" / "records.jsonl"
    recs = read_records(path)
    recs[1]["retrieved"], recs[1]["retrieved_from"] = ["Use ids"], ["a:0"]  # family b got an a item
    recs[2]["retrieved"], recs[2]["retrieved_from"] = ["Use ids", "x"], ["a:0", "a:0"]  # a got a
    recs[3]["retrieved"] = ["Wrong | lesson"]  # recorded before sources existed: unknown
    path.unlink()
    for r in recs:
        append_record(path, r)
    m = compute_metrics(load_run(run_dir))
    r = m["methods"]["reasoningbank"]["retrieval"]
    assert r["tasks_with_memory"] == 3 and r["items_per_task"] == 1.0
    assert r["items_with_source"] == 3 and abs(r["same_family"] - 2 / 3) < 1e-9
    assert m["methods"]["none"]["retrieval"]["same_family"] is None
    text = render_report(run_dir)
    assert "| reasoningbank | 3 | 1.0 | 66.7 |" in text and "| none | 0 | 0.0 | – |" in text


def test_significance_against_the_none_baseline(run_dir: Path) -> None:
    m = compute_metrics(load_run(run_dir))
    assert m["baseline"] == "none"
    none, rb = m["methods"]["none"]["significance"], m["methods"]["reasoningbank"]["significance"]
    assert "vs_baseline" not in none
    lo, hi = rb["ci95"]
    assert lo == pytest.approx(0.150, abs=1e-3) and hi == pytest.approx(0.850, abs=1e-3)
    vs = rb["vs_baseline"]
    # none solved task 0; reasoningbank solved tasks 0 and 2
    assert (vs["both"], vs["only_method"], vs["only_baseline"], vs["neither"]) == (1, 1, 0, 2)
    assert vs["difference"] == pytest.approx(0.25) and vs["p_value"] == 1.0
    text = render_report(run_dir)
    assert "## How sure is the difference" in text
    assert "| none | 25.0 | 4.6–69.9 | (baseline) | | | |" in text
    assert "| reasoningbank | 50.0 | 15.0–85.0 | 1 | 0 | +25.0 | 1.00 |" in text


def test_significance_baseline_is_the_first_method_without_none(run_dir: Path) -> None:
    text = render_report(run_dir, methods=["reasoningbank"])
    assert "compared with `reasoningbank`" in text
    assert "| reasoningbank | 50.0 | 15.0–85.0 | (baseline) | | | |" in text


def test_abstentions_calibration_learning_and_the_feedback_arm(tmp_path: Path) -> None:
    root = tmp_path / "run"
    tasks = [("a", 0), ("a", 1), ("a", 2), ("a", 3)]
    write_json_atomic(
        root / "run.json",
        {
            "model": "scripted",
            "preset": {"name": "small-local"},
            "embedder": "hash-embedder-64",
            "methods": ["reasoningbank", "reasoningbank+feedback"],
            "tasks": [{"family": f, "seed": s} for f, s in tasks],
            "max_steps": 5,
        },
    )
    judged = [
        ("success", 0.93, True, "rules", ""),
        ("failure", 0.01, False, "rules", "not extracted: the bank holds active failure items"),
        ("abstained", 0.5, True, "rules", "abstained: not known"),
        ("failure", 0.09, True, "rules", "retired 'Submit first': net harmful: tasks shown it failed"),
    ]
    for i, (label, p, ok, source, note) in enumerate(judged):
        r = rec("reasoningbank", i, "a", ok, 3, label, 50)
        r |= {"judge_p_success": p, "judge_source": source, "learn_note": note}
        append_record(root / "reasoningbank" / "records.jsonl", r)
        fed = rec("reasoningbank+feedback", i, "a", ok, 3, "success" if ok else "failure", 50)
        fed |= {"judge_p_success": 1.0 if ok else 0.0, "judge_source": "outcome", "feedback": True}
        append_record(root / "reasoningbank+feedback" / "records.jsonl", fed)
    m = compute_metrics(load_run(root))
    rb = m["methods"]["reasoningbank"]
    assert rb["judge"]["judged"] == 4 and rb["judge"]["abstained"] == 1 and rb["judge"]["n"] == 3
    assert (rb["judge"]["tp"], rb["judge"]["fn"], rb["judge"]["tn"]) == (1, 1, 1)
    assert rb["judge"]["auroc"] == 1.0  # every real success (0.93, 0.5, 0.09) above the failure (0.01)
    assert rb["judge"]["sources"] == {"rules": 4}
    assert rb["learning"]["not_extracted"] == 1 and rb["learning"]["abstained"] == 1
    assert rb["learning"]["retired"] == [
        {"task_id": "a:3", "title": "Submit first", "reason": "net harmful: tasks shown it failed"}
    ]
    assert m["methods"]["reasoningbank+feedback"]["feedback"] and not rb["feedback"]
    text = render_report(root)
    assert "| reasoningbank+feedback † |" in text and "† A diagnostic upper bound" in text
    assert "- reasoningbank, at a:3: Submit first: net harmful" in text
    assert "## Seconds per episode" in text and "| reasoningbank | 1.0 |" in text
