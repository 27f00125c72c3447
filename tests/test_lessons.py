"""Lessons files: parsed and checked line by line, then stored by ``ReasoningBank.add_lessons`` all or
none, redacted, and found again by their queries.

The fake secrets are built by concatenation so the source holds nothing a scanner flags.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from reasoningbank.bank import ReasoningBank
from reasoningbank.config import get_preset
from reasoningbank.embed.base import Vectors
from reasoningbank.lessons import Lesson, LessonFileError, read_lessons
from reasoningbank.models import Experience
from reasoningbank.stores import SQLiteStore
from reasoningbank.stores.base import StoreError
from reasoningbank.testing.fakes import HashEmbedder, InMemoryStore
from reasoningbank.text.literals import mask_literals

PASSWORD = "hunter" + "2"
AWS_ID = "AKIA" + "ABCDEFGH12345678"
GOOD = '{"title": "Type before submitting", "content": "Fill every field, then click Submit."}'


def _write(tmp_path: Path, *lines: str, name: str = "lessons.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def _count(bank: ReasoningBank) -> int:
    return bank.store.count(bank.scope)


# --------------------------------------------------------------------------- parsing


def test_a_good_file_gives_its_lessons_in_order_with_the_defaults(tmp_path: Path) -> None:
    full = {
        "title": " Sort first ",
        "content": "Click the column header.",
        "description": "tables",
        "query": " sort a table by date ",
        "task_id": "t-1",
    }
    path = _write(
        tmp_path, "# team lessons, 2024", "", GOOD, "   ", "  # an indented comment", json.dumps(full)
    )
    first, second = read_lessons(path)
    assert first == Lesson(title="Type before submitting", content="Fill every field, then click Submit.")
    assert (first.description, first.query, first.task_id) == ("", None, None)
    assert (second.title, second.query, second.task_id) == ("Sort first", "sort a table by date", "t-1")
    assert second.description == "tables"


def test_a_stream_crlf_line_ends_and_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    path = tmp_path / "windows.jsonl"
    path.write_bytes(("\ufeff" + GOOD + "\r\n# note\r\n" + GOOD + "\r\n").encode("utf-8"))
    assert [lesson.title for lesson in read_lessons(path)] == ["Type before submitting"] * 2
    assert len(read_lessons(io.StringIO(f"{GOOD}\n\n{GOOD}"))) == 2


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ('{"title": "a", "content": }', "invalid JSON: Expecting value (column 27)"),
        ('["a", "b"]', "a lesson must be a JSON object, not an array"),
        ('"just text"', "a lesson must be a JSON object, not a string"),
        ('{"content": "b"}', "'title' is missing"),
        ('{"title": "a"}', "'content' is missing"),
        ('{"title": "   ", "content": "b"}', "'title' must not be blank"),
        ('{"title": "a", "content": ""}', "'content' must not be blank"),
        ('{"title": "a", "content": "b", "titel": "c"}', "unknown key 'titel'; did you mean 'title'?"),
        ('{"title": "a", "content": "b", "tags": ["x"]}', "unknown key 'tags'; valid keys: title, content"),
        ('{"title": 7, "content": "b"}', "'title' must be a string, not a number"),
        ('{"title": "a", "content": null}', "'content' must be a string, not null"),
        ('{"title": "a", "content": "b", "query": ["q"]}', "'query' must be a string, not an array"),
        ('{"title": "a", "content": "b", "task_id": true}', "'task_id' must be a string, not a boolean"),
        ("[" * 100_000, "invalid JSON: nested too deeply"),
    ],
)
def test_a_bad_line_is_refused_with_its_file_its_line_and_what_is_wrong(
    tmp_path: Path, bad: str, problem: str
) -> None:
    path = _write(tmp_path, "# header", GOOD, "", bad, GOOD)
    with pytest.raises(LessonFileError) as caught:
        read_lessons(path)
    err = caught.value
    assert (err.path, err.line) == (str(path), 4)
    assert str(err).startswith(f"{path}:4: {problem}")
    assert isinstance(err, ValueError)


def test_the_first_bad_line_is_the_one_named(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD, '{"title": "a"}', "not json")
    with pytest.raises(LessonFileError, match=r":2: 'content' is missing") as caught:
        read_lessons(path)
    assert caught.value.line == 2


def test_a_line_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(GOOD.encode() + b'\n{"title": "caf\xe9", "content": "b"}\n')
    with pytest.raises(LessonFileError, match=r"latin1\.jsonl:2: not UTF-8 text") as caught:
        read_lessons(path)
    assert caught.value.line == 2


@pytest.mark.parametrize("text", ["", "\n\n  \n", "# only\n# comments\n"])
def test_a_file_with_no_lesson_is_an_error_of_the_whole_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(text)
    with pytest.raises(LessonFileError, match="no lessons in the file") as caught:
        read_lessons(path)
    assert caught.value.line is None and caught.value.path == str(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_a_missing_file_or_a_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(LessonFileError, match=r"nope\.jsonl: no such file"):
        read_lessons(tmp_path / "nope.jsonl")
    with pytest.raises(LessonFileError, match="is a directory"):
        read_lessons(tmp_path)


def test_escapes_that_decode_to_lone_surrogates_or_nuls_are_cleaned_and_stored(tmp_path: Path) -> None:
    hostile = '{"title": "bad \\udfff escape", "content": "nul \\u0000 raw \x00 here", "query": "q \\ud800"}'
    pair = '{"title": "smile \\ud83d\\ude00", "content": "a literal \\\\u0000 stays"}'
    lessons = read_lessons(_write(tmp_path, hostile, pair))
    assert lessons[0].title == "bad \ufffd escape" and lessons[0].content == "nul \ufffd raw \ufffd here"
    assert lessons[0].query == "q \ufffd"
    assert lessons[1].title == "smile \U0001f600" and lessons[1].content == "a literal \\u0000 stays"
    with ReasoningBank(SQLiteStore(tmp_path / "bank.db"), HashEmbedder()) as bank:
        items = bank.add_lessons(lessons)
        stored = [bank.store.get("default", i.experience_id or "").items[0] for i in items]
    assert [i.title for i in stored] == ["bad \ufffd escape", "smile \U0001f600"]
    assert all(t.encode("utf-8") for i in stored for t in (i.title, i.content))


def test_a_lesson_built_in_python_is_cleaned_too_and_is_frozen() -> None:
    lesson = Lesson(title="a\ud800", content=" b\x00 ", description="d\x00", query="  ", task_id="")
    assert (lesson.title, lesson.content, lesson.description) == ("a\ufffd", "b\ufffd", "d\ufffd")
    assert lesson.query is None and lesson.task_id is None
    with pytest.raises(ValidationError):
        lesson.title = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        Lesson(title="a", content="b", tags=["x"])  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="must not be blank"):
        Lesson(title="a", content=" \n ")


# --------------------------------------------------------------------------- storing


class CountingEmbedder(HashEmbedder):
    """The hash embedder, counting its ``embed_documents`` calls."""

    def __init__(self) -> None:
        super().__init__()
        self.document_calls: list[list[str]] = []

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        self.document_calls.append(list(texts))
        return super().embed_documents(texts)


def test_each_lesson_is_its_own_manual_experience_stored_in_one_write(tmp_path: Path) -> None:
    lessons = [
        Lesson(title="Sort first", content="Click the header.", query="sort a table", task_id="t-1"),
        Lesson(title="Type before submitting", content="Fill every field.", description="forms"),
    ]
    embedder = CountingEmbedder()
    with ReasoningBank(SQLiteStore(tmp_path / "bank.db"), embedder, scope="team") as bank:
        items = bank.add_lessons(lessons)
        exps = [bank.store.get("team", i.experience_id or "") for i in items]
        assert _count(bank) == 2
    assert embedder.document_calls == [["sort a table", "Type before submitting"]]
    assert [i.title for i in items] == ["Sort first", "Type before submitting"]
    assert all(i.origin == "manual" for i in items) and items[1].description == "forms"
    assert [e.task_id for e in exps] == ["t-1", f"manual-{items[1].id}"]
    assert [e.query for e in exps] == ["sort a table", "Type before submitting"]
    assert [[it.id for it in e.items] for e in exps] == [[items[0].id], [items[1].id]]
    assert all(e.learned_with is not None and e.learned_with.preset == "paper" for e in exps)
    assert all(e.query_embedding is not None and e.query_embedding.model == embedder.name for e in exps)


def test_add_item_and_add_lessons_store_the_same_experience() -> None:
    bank = ReasoningBank(InMemoryStore(), HashEmbedder())
    one = bank.add_item("Sort first", "Click the header.", task_id="t-1", query="sort a table")
    (two,) = bank.add_lessons([Lesson(title="Sort first", content="Click the header.", query="sort a table")])
    a, b = (bank.store.get("default", i.experience_id or "") for i in (one, two))
    assert a.query == b.query and a.query_embedding == b.query_embedding and a.learned_with == b.learned_with
    assert (a.task_id, b.task_id) == ("t-1", f"manual-{two.id}")
    assert (a.items[0].title, a.items[0].content) == (b.items[0].title, b.items[0].content)


def test_queries_are_embedded_with_their_literals_masked_when_the_preset_masks_them() -> None:
    bank = ReasoningBank(InMemoryStore(), HashEmbedder(), preset="small-local")
    assert get_preset("small-local").retrieve.mask_literals
    query = 'Enter "Agustina" into the text field'
    (item,) = bank.add_lessons([Lesson(title="Type names", content="Click the field first.", query=query)])
    ref = bank.store.get("default", item.experience_id or "").query_embedding
    assert ref is not None and mask_literals(query) != query
    expected = HashEmbedder().embed_documents([mask_literals(query)])[0]
    assert np.allclose(np.asarray(ref.vector, dtype=np.float32), expected)


def test_a_failing_write_stores_nothing_and_was_one_batch_of_all_the_lessons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SQLiteStore(tmp_path / "bank.db")
    batches: list[list[str]] = []
    with ReasoningBank(store, HashEmbedder()) as bank:
        kept = bank.add_item("already there", "kept")
        existing = store.get("default", kept.experience_id or "")
        real_add_many = store.add_many

        def add_many_with_a_duplicate(experiences: Sequence[Experience]) -> None:
            batches.append([e.items[0].title for e in experiences])
            real_add_many([*experiences, existing])  # stored already: the whole batch must fail

        monkeypatch.setattr(store, "add_many", add_many_with_a_duplicate)
        before = _count(bank)
        with pytest.raises(StoreError, match="already exists"):
            bank.add_lessons([Lesson(title=f"tip {n}", content=f"do {n}") for n in range(3)])
        assert _count(bank) == before == 1
    assert batches == [["tip 0", "tip 1", "tip 2"]]


def test_a_failing_embedder_stores_nothing() -> None:
    class Broken(HashEmbedder):
        def embed_documents(self, texts: Sequence[str]) -> Vectors:
            raise RuntimeError("embedder down")

    bank = ReasoningBank(InMemoryStore(), Broken())
    with pytest.raises(RuntimeError, match="embedder down"):
        bank.add_lessons([Lesson(title="a", content="b"), Lesson(title="c", content="d")])
    assert _count(bank) == 0


def test_a_bad_line_at_the_end_of_the_file_seeds_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD, GOOD, '{"title": "late", "content": "bad", "owner": "me"}')
    with ReasoningBank(SQLiteStore(tmp_path / "bank.db"), HashEmbedder()) as bank:
        bank.add_item("already there", "kept")
        before = _count(bank)
        with pytest.raises(LessonFileError, match=r":3: unknown key 'owner'"):
            bank.add_lessons(read_lessons(path))
        assert _count(bank) == before == 1


def test_secrets_in_a_lesson_are_redacted_and_counted() -> None:
    bank = ReasoningBank(InMemoryStore(), HashEmbedder())
    lesson = Lesson(
        title="Deploy",
        content=f"Log in with password: {PASSWORD}, then type {PASSWORD} again.",
        description=f"the key is {AWS_ID}",
        query=f"deploy with {AWS_ID}",
    )
    (item,) = bank.add_lessons([lesson])
    exp = bank.store.get("default", item.experience_id or "")
    texts = [exp.query, *(t for i in exp.items for t in (i.title, i.content, i.description))]
    assert not any(PASSWORD in t or AWS_ID in t for t in texts)
    assert exp.items[0].content.count("[REDACTED:password]") == 2
    assert "[REDACTED:aws-access-key]" in exp.items[0].description and "[REDACTED:" in exp.query
    assert exp.redactions == {"aws-access-key": 2, "password": 2}


def test_a_seeded_lesson_is_retrieved_by_its_query(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '{"title": "Sort first", "content": "Click the header.", "query": "sort the orders table by date"}',
        '{"title": "Log in first", "content": "Open the login page.", "query": "log in as alice"}',
        '{"title": "Search the forum", "content": "Use the search box."}',
    )
    with ReasoningBank(SQLiteStore(tmp_path / "bank.db"), HashEmbedder()) as bank:
        bank.add_lessons(read_lessons(path))
        assert [i.title for i in bank.retrieve("log in as alice", k=1)] == ["Log in first"]
        assert [i.title for i in bank.retrieve("sort the orders table by date", k=1)] == ["Sort first"]
        assert [i.title for i in bank.retrieve("Search the forum", k=1)] == ["Search the forum"]


def test_no_lessons_store_nothing_and_make_no_embedder_call() -> None:
    embedder = CountingEmbedder()
    bank = ReasoningBank(InMemoryStore(), embedder)
    assert bank.add_lessons([]) == [] and _count(bank) == 0 and embedder.document_calls == []
