"""The commands that build and use memory: learn, retrieve, add."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from reasoningbank.bank import ReasoningBank
from reasoningbank.cli import common, memory
from reasoningbank.models import Step, Trajectory
from reasoningbank.trajio import example_path
from tests.cli.helpers import EXAMPLE_ANSWERS, Env, add_item, learn_examples, md, run, stats_json

# --------------------------------------------------------------------------- learn


def test_learn_json_reports_each_trajectory(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    res = learn_examples(env, capsys, "--json")
    assert res.code == 0, res.err
    results = res.json()["results"]
    assert [r["task_id"] for r in results] == ["enter-text:7", "enter-text:8"]
    assert [r["verdict"] for r in results] == ["failure", "success"]
    assert [len(r["items"]) for r in results] == [1, 2]
    assert results[0]["items"][0]["title"] == "type before submitting"
    assert results[0]["calls"] == 2 and results[0]["tokens"] > 0
    assert all(r["stored"] for r in results)
    stats = stats_json(capsys)
    assert (stats["experiences"], stats["items"], stats["success"], stats["failure"]) == (2, 3, 1, 1)


def test_learn_human_output(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    res = learn_examples(env, capsys)
    assert res.code == 0, res.err
    assert "enter-text:7" in res.out and "failure" in res.out and "success" in res.out
    assert "type before submitting" in res.out


def test_learn_example_uses_the_bundled_file(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env.llm.responses = list(EXAMPLE_ANSWERS)
    res = run(capsys, "learn", "--example", "--json")
    assert res.code == 0, res.err
    results = res.json()["results"]
    assert [r["task_id"] for r in results] == ["enter-text:7", "enter-text:8"]
    assert [r["verdict"] for r in results] == ["failure", "success"]
    assert stats_json(capsys)["experiences"] == 2


def test_learn_example_and_file_are_exclusive(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    both = run(capsys, "learn", "--example", str(example_path()))
    assert both.code == 2 and "not allowed with" in both.err
    neither = run(capsys, "learn")
    assert neither.code == 2 and "--example" in neither.err
    assert env.llm.calls == [] and not env.db.exists()  # not even an empty bank was made


def test_learn_overrides_task_id_and_query(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    path = env.tmp / "one.json"
    path.write_text(Trajectory(task_id="a", query="q", steps=[Step(action="x")]).model_dump_json())
    env.llm.responses = ["Status: success", md("tip")]
    res = run(capsys, "learn", str(path), "--task-id", "T9", "--query", "new query", "--json")
    assert res.code == 0, res.err
    exp_id = res.json()["results"][0]["experience_id"]
    shown = run(capsys, "show", exp_id, "--json").json()
    assert shown["task_id"] == "T9" and shown["query"] == "new query"


def test_malformed_file_stores_nothing(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    good = example_path().read_text().splitlines()[0]
    bad = env.tmp / "bad.jsonl"
    bad.write_text(good + "\n" + '{"task_id": "x", "query": "q", "steps": [{"act": 1}]}\n')
    env.llm.default = "Status: success"
    res = run(capsys, "learn", str(bad))
    assert res.code == 2
    assert res.out == ""
    assert f"{bad}:2" in res.err and "steps.0.act" in res.err
    assert res.err.count("\n") == 1 and "Traceback" not in res.err
    assert env.llm.calls == []
    assert not env.db.exists()  # not even an empty bank was made


def test_malformed_json_names_line(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    bad = env.tmp / "bad.json"
    bad.write_text('{\n "task_id": "a",\n "query": \n}')
    res = run(capsys, "learn", str(bad), "--json")
    assert res.code == 2 and f"{bad}:4" in res.err and "invalid JSON" in res.err


def test_learn_missing_file(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    res = run(capsys, "learn", str(env.tmp / "missing.json"))
    assert res.code == 2 and "missing.json: no such file" in res.err


def test_learn_without_model_is_usage_error(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "build_bank", lambda cfg, *, llm=None: ReasoningBank.from_config(cfg))
    res = run(capsys, "learn", str(example_path()))
    assert res.code == 2
    assert "--model" in res.err and "--local-model" in res.err
    assert stats_json(capsys)["experiences"] == 0


def test_learn_failing_model_call_exits_1(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    def boom(_: object) -> str:
        raise RuntimeError("backend down")

    env.llm.responses = ["Status: failure", md("a"), boom]
    res = run(capsys, "learn", str(example_path()))
    assert res.code == 1
    assert "backend down" in res.err and "1 of 2" in res.err
    assert stats_json(capsys)["experiences"] == 1


# --------------------------------------------------------------------------- add / retrieve


def test_add_and_retrieve_json(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    added = add_item(capsys, "Type before submit", "Fill the field first.", "--query", "enter text in a form")
    assert added["item"]["origin"] == "manual"
    add_item(capsys, "Sort the table", "Click the header.", "--query", "sort a data table by column")
    res = run(capsys, "retrieve", "enter text in a form", "--json", "-k", "1")
    assert res.code == 0, res.err
    hits = res.json()["hits"]
    assert len(hits) == 1
    assert hits[0]["experience_id"] == added["experience_id"]
    assert hits[0]["items"][0]["title"] == "Type before submit"
    assert hits[0]["score"] > 0.99
    assert env.llm.calls == []


def test_retrieve_render_and_human(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    add_item(capsys, "Type before submit", "Fill the field first.", "--query", "enter text")
    rendered = run(capsys, "retrieve", "enter text", "--render")
    assert rendered.code == 0
    assert "Type before submit" in rendered.out and "Fill the field first." in rendered.out
    human = run(capsys, "retrieve", "enter text")
    assert human.code == 0 and "Type before submit" in human.out
    both = run(capsys, "retrieve", "enter text", "--render", "--json").json()
    assert "Fill the field first." in both["rendered"]


def test_retrieve_leave_one_out_and_empty(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    add_item(capsys, "Tip", "Do it.", "--query", "enter text", "--task-id", "task-1")
    hits = run(capsys, "retrieve", "enter text", "--task-id", "task-1", "--json").json()["hits"]
    assert hits == []
    res = run(capsys, "retrieve", "enter text", "--scope", "empty")
    assert res.code == 0 and "No memory" in res.out


def test_retrieve_render_on_empty_bank_says_so_on_stderr(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "init", "--scope", "empty").code == 0
    res = run(capsys, "retrieve", "enter text", "--render", "--scope", "empty")
    assert res.code == 0
    assert res.out == ""  # stdout stays the (empty) prompt block for scripts
    assert res.err == "No memory in scope 'empty' for this query.\n"


def test_retrieve_has_no_local_model_option(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    # retrieval calls no LLM, so an option to start one would silently do nothing
    res = run(capsys, "retrieve", "enter text", "--local-model", "tiny")
    assert res.code == 2 and "--local-model" in res.err


def test_retrieve_prints_item_text_literally(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    title, content = "[/bold]", "press \x1b[31mSubmit\x1b[0m [bold]now[/bold]"
    add_item(capsys, title, content, "--query", "enter text", "--task-id", "[red]t[/red]")
    human = run(capsys, "retrieve", "enter text")
    assert human.code == 0, human.err
    assert "[/bold]" in human.out and "[bold]now[/bold]" in human.out and "[red]t[/red]" in human.out
    assert "\x1b" not in human.out and "\\x1b[31mSubmit" in human.out
    hit = run(capsys, "retrieve", "enter text", "--json").json()["hits"][0]
    assert hit["items"][0]["title"] == title and hit["items"][0]["content"] == content
    added = run(capsys, "add", "--title", "t", "--content", "c", "--scope", "[/]")
    assert added.code == 0 and "'[/]'." in added.out, added.err


def test_retrieve_bad_k(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    res = run(capsys, "retrieve", "q", "-k", "0")
    assert res.code == 2 and "-k" in res.err


def test_learn_and_add_redact_secrets_and_the_patterns_given(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    key, code = "sk-" + "proj-" + "Ab12Cd34Ef56Gh78Ij90Kl12", "ACME-" + "778899"
    path = env.tmp / "one.json"
    traj = Trajectory(task_id="a", query=f"use {key}", steps=[Step(action=f"login {code}")])
    path.write_text(traj.model_dump_json())
    env.llm.responses = ["Status: success", md("log in first")]
    res = run(capsys, "learn", str(path), "--redact-pattern", r"ACME-\d{6}", "--json")
    assert res.code == 0, res.err
    assert res.json()["results"][0]["redactions"] == {"custom": 1, "openai-key": 1}
    assert not any(key in m["content"] or code in m["content"] for c in env.llm.calls for m in c.messages)
    added = add_item(capsys, "Badge", f"badge {code}", "--redact-pattern", r"ACME-\d{6}")
    assert added["item"]["content"] == "badge [REDACTED:custom]"
    exported = run(capsys, "export")
    assert exported.code == 0 and key not in exported.out and code not in exported.out
    bad = run(capsys, "learn", str(path), "--redact-pattern", "ACME-(")
    assert bad.code == 2 and "--redact-pattern" in bad.err and "not a valid regular expression" in bad.err


def test_learn_reads_the_file_twice_and_learns_each_record_as_it_is_read(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = env.tmp / "three.jsonl"
    trajs = [Trajectory(task_id=f"t{n}", query=f"task {n}", steps=[Step(action="x")]) for n in range(3)]
    path.write_text("".join(t.model_dump_json() + "\n" for t in trajs))
    events: list[str] = []
    real_iter, real_learn = memory.iter_trajectories, ReasoningBank.learn

    def spying_iter(*args: Any, **kwargs: Any) -> Iterator[Trajectory]:
        events.append("open")
        for t in real_iter(*args, **kwargs):
            events.append(f"read {t.task_id}")
            yield t

    def spying_learn(self: ReasoningBank, traj: Trajectory, **kwargs: Any) -> Any:
        events.append(f"learn {traj.task_id}")
        return real_learn(self, traj, **kwargs)

    monkeypatch.setattr(memory, "iter_trajectories", spying_iter)
    monkeypatch.setattr(ReasoningBank, "learn", spying_learn)
    env.llm.default = md("a tip")
    res = run(capsys, "learn", str(path), "--outcome", "success", "--json")
    assert res.code == 0, res.err
    checked = ["open", "read t0", "read t1", "read t2"]  # the whole file is checked before learning
    assert events == [*checked, "open", "read t0", "learn t0", "read t1", "learn t1", "read t2", "learn t2"]
    assert [r["task_id"] for r in res.json()["results"]] == ["t0", "t1", "t2"]


def test_a_bad_record_late_in_the_file_stores_nothing(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    path = env.tmp / "late.jsonl"
    good = Trajectory(task_id="t", query="q", steps=[Step(action="x")]).model_dump_json()
    path.write_text(good + "\n" + good + "\n" + '{"task_id": "x"}\n')
    env.llm.default = md("a tip")
    res = run(capsys, "learn", str(path), "--outcome", "success")
    assert res.code == 2 and f"{path}:3:" in res.err and "query" in res.err
    assert env.llm.calls == [] and not env.db.exists()  # not even an empty bank was made


def test_retrieve_uses_the_floor_the_bank_learned_with_and_names_the_nearest(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 25, item 11: the CLI retrieved with another preset than the bank learned with."""
    config = env.tmp / "floored.toml"
    config.write_text("[retrieve]\nmin_score = 0.95\n", encoding="utf-8")
    add_item(
        capsys,
        "Type first",
        "Type the text, then submit.",
        "--query",
        "enter text in a form field",
        "--config",
        str(config),
    )
    res = run(capsys, "retrieve", "type some text into the form")  # no config: the paper preset
    assert res.code == 0, res.err
    assert re.fullmatch(
        r"No stored lesson passes the similarity floor 0\.95; the nearest is 'Type first' at 0\.\d\d "
        r"\(lower the floor with --min-score\)\.\n",
        res.out,
    ), res.out
    data = run(capsys, "retrieve", "type some text into the form", "--json").json()
    assert data["hits"] == [] and data["min_score"] == 0.95
    assert data["nearest"]["title"] == "Type first" and 0 < data["nearest"]["score"] < 0.95
    lowered = run(capsys, "retrieve", "type some text into the form", "--min-score", "0", "--json").json()
    assert [h["items"][0]["title"] for h in lowered["hits"]] == ["Type first"]
    assert lowered["nearest"] is None
    bad = run(capsys, "retrieve", "q", "--min-score", "1.5")
    assert bad.code != 0 and "--min-score must be between -1 and 1" in bad.err


# --------------------------------------------------------------------------- add --file

LESSONS = [
    "# the team's lessons",
    '{"title": "Type before submitting", "content": "Fill every field first.", "query": "submit a form"}',
    "",
    '{"title": "Sort the table", "content": "Click the header.", "task_id": "t-sort"}',
]


def _lessons_file(env: Env, *lines: str) -> str:
    path = env.tmp / "lessons.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_add_file_seeds_every_lesson_and_says_how_many(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    path = _lessons_file(env, *LESSONS)
    res = run(capsys, "add", "--file", path)
    assert res.code == 0, res.err
    assert res.out.strip() == f"Added 2 lessons from {path} to scope 'default'."
    assert stats_json(capsys)["experiences"] == 2
    hit = run(capsys, "retrieve", "submit a form", "-k", "1", "--json").json()["hits"][0]
    assert hit["items"][0]["title"] == "Type before submitting" and hit["score"] > 0.99
    assert env.llm.calls == []


def test_add_file_json_lists_the_items_redacted(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    code, password = "ACME-" + "778899", "hunter" + "2"
    path = _lessons_file(
        env,
        f'{{"title": "Badge", "content": "badge {code}", "description": "password: {password}"}}',
        LESSONS[1],
    )
    res = run(capsys, "add", "--file", path, "--json", "--scope", "team", "--redact-pattern", r"ACME-\d{6}")
    assert res.code == 0, res.err
    data = res.json()
    assert (data["file"], data["scope"], data["added"]) == (path, "team", 2)
    items = data["items"]
    assert [i["title"] for i in items] == ["Badge", "Type before submitting"]
    assert all(i["origin"] == "manual" and i["experience_id"] for i in items)
    assert items[0]["content"] == "badge [REDACTED:custom]"
    assert items[0]["description"] == "password: [REDACTED:password]"
    exported = run(capsys, "export", "--scope", "team")
    assert exported.code == 0 and code not in exported.out and password not in exported.out


def test_add_file_with_a_bad_line_is_refused_by_line_and_stores_nothing(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _lessons_file(env, *LESSONS, '{"title": "late", "content": "bad", "owner": "me"}')
    fresh = run(capsys, "add", "--file", path)
    assert fresh.code == 2 and not env.db.exists()  # not even an empty bank was made
    add_item(capsys, "kept", "stored before")
    res = run(capsys, "add", "--file", path, "--json")
    assert res.code == 2 and res.out == ""
    assert res.err == f"reasoningbank: error: {path}:5: unknown key 'owner'; valid keys: " + (
        "title, content, description, query, task_id\n"
    )
    assert stats_json(capsys)["experiences"] == 1
    missing = run(capsys, "add", "--file", str(env.tmp / "missing.jsonl"))
    assert missing.code == 2 and "missing.jsonl: no such file" in missing.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--file", "lessons.jsonl", "--title", "t"], "--file cannot be combined with --title"),
        (["--file", "lessons.jsonl", "--query", "q", "--task-id", "x"], "with --query, --task-id"),
        (["--title", "t"], "add needs --title and --content, or --file LESSONS.jsonl"),
        (["--content", "c", "--description", "d"], "add needs --title and --content"),
        ([], "add needs --title and --content"),
    ],
)
def test_add_takes_exactly_one_form(
    env: Env,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(env.tmp)
    _lessons_file(env, *LESSONS)  # a good file: combining it with one item's options is still refused
    res = run(capsys, "add", *args)
    assert res.code == 2 and message in res.err and "Traceback" not in res.err
    assert not env.db.exists()
