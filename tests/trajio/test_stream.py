"""Streaming a trajectory file: the same records and errors as parsing the whole text, in memory
bounded by one record, whatever the chunk boundaries."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from reasoningbank.models import Step, Trajectory
from reasoningbank.trajio import TrajectoryFileError, iter_trajectories, parse_trajectories
from reasoningbank.trajio import stream as stream_mod


def _traj(task_id: str, query: str = "Buy milk", note: str = "") -> dict[str, Any]:
    return Trajectory(
        task_id=task_id,
        query=query,
        steps=[Step(thought=f"look {note}", action="click(1)", observation="ok ✓ 日本")],
        final_answer="done",
    ).model_dump(mode="json")


MSGS = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a <action>x</action>"}]
ONE = json.dumps(_traj("a"))
CASES: dict[str, str] = {
    "one.json": json.dumps(_traj("a"), indent=2),
    "one-line.json": ONE,
    "list.json": json.dumps([_traj("a"), _traj("b", note="x" * 3000), _traj("c")]),
    "list-pretty.json": json.dumps([_traj("a"), _traj("b")], indent=2),
    "list-one.json": json.dumps([{"messages": MSGS}]),
    "list-of-chats.json": json.dumps([{"messages": MSGS}, {"messages": MSGS}]),
    "transcript.json": json.dumps(MSGS, indent=1),
    "wrapped-chat.json": json.dumps({"messages": MSGS, "task_id": "w"}),
    "many.jsonl": ONE + "\n\n" + json.dumps(_traj("b", note="y" * 5000)) + "\n  \n" + ONE + "\n",
    "chats.jsonl": json.dumps({"messages": MSGS}) + "\n" + json.dumps({"messages": MSGS}),
    "data.txt": ONE + "\r\n" + json.dumps(_traj("b")),
    # errors
    "bad.json": '{\n  "task_id": "a",\n  "query": oops\n}',
    "bad-line.jsonl": ONE + "\n" + ONE + "\n\n{not json\n",
    "bad-first.jsonl": "{not json\n" + ONE + "\n",
    "schema.jsonl": ONE + "\n" + json.dumps({**_traj("b"), "steps": [{"action": 12}]}) + "\n",
    "schema-list.json": json.dumps([_traj("a"), {**_traj("b"), "query": "  "}], indent=2),
    "empty.json": "   \n ",
    "empty-list.json": "[ ]",
    "number.json": "42",
    "list-of-int.json": "[1]",
    "extra.json": json.dumps(_traj("a"), indent=2) + "\n{}",
    "two-on-a-line.json": ONE + " " + ONE,
    "jsonl-of-lists.jsonl": json.dumps([_traj("a")]) + "\n" + ONE,
    "no-user.json": json.dumps([{"role": "assistant", "content": "a"}]),
}


def _outcome(run: Any) -> Any:
    try:
        return [t.model_dump() for t in run()]
    except TrajectoryFileError as exc:
        return ("error", exc.line, exc.field, exc.reason)


@pytest.mark.parametrize("chunk", [stream_mod.CHUNK, 7, 64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_streaming_reads_what_parsing_the_text_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, chunk: int
) -> None:
    monkeypatch.setattr(stream_mod, "CHUNK", chunk)  # tiny chunks: every boundary falls somewhere
    path = tmp_path / name
    path.write_text(CASES[name], encoding="utf-8")
    expected = _outcome(lambda: parse_trajectories(CASES[name], source=str(path)))
    assert _outcome(lambda: list(iter_trajectories(path))) == expected


def test_a_bad_utf8_byte_is_named_by_its_offset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_mod, "CHUNK", 16)
    path = tmp_path / "b.jsonl"
    path.write_bytes((ONE + "\n").encode() + b'{"task_id": "\xff"}\n')
    with pytest.raises(
        TrajectoryFileError, match=rf"not UTF-8 text \(invalid start byte at byte {len(ONE) + 14}\)"
    ):
        list(iter_trajectories(path))


def _big_jsonl(path: Path, records: int, pad: int) -> int:
    with path.open("w", encoding="utf-8") as f:
        for n in range(records):
            f.write(json.dumps(_traj(f"t{n}", note="z" * pad)) + "\n")
    return path.stat().st_size


def test_records_are_read_lazily(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    size = _big_jsonl(path, 200, 20_000)
    records = iter_trajectories(path)
    first = next(records)
    assert first.task_id == "t0"
    frame = records.gi_frame  # type: ignore[attr-defined]
    assert frame is not None
    f = frame.f_locals["f"]
    assert f.tell() <= 2 * stream_mod.CHUNK < size / 4  # read one chunk, not the file
    records.close()
    assert f.closed


@pytest.mark.parametrize("shape", ["jsonl", "json-list"])
def test_peak_memory_is_a_record_not_the_file(tmp_path: Path, shape: str) -> None:
    path = tmp_path / f"big.{'jsonl' if shape == 'jsonl' else 'json'}"
    if shape == "jsonl":
        size = _big_jsonl(path, 300, 20_000)
    else:
        path.write_text(json.dumps([_traj(f"t{n}", note="z" * 20_000) for n in range(300)]))
        size = path.stat().st_size
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_trajectories(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 300 and size > 6_000_000
    assert peak < size / 5, f"peak {peak} bytes for a {size}-byte file"
