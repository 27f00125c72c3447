"""JSONL export/import: lossless round trip, whole-file validation, atomic import."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from reasoningbank.models import DATA_MODEL_VERSION, MemoryItem
from reasoningbank.stores import InMemoryStore, SQLiteStore, Store, StoreError, export_jsonl, import_jsonl
from reasoningbank.testing.store_conformance import MODEL, make_experience, unit


def _fill(store: Store) -> None:
    rng = np.random.default_rng(7)
    exps = [make_experience(n, vec=unit(rng.standard_normal(8)), items=2) for n in range(6)]
    exps.append(make_experience(6, items=1))  # no vector
    store.add_many(exps)
    store.supersede_item("s", "s-e1-i0", MemoryItem(id="v2", title="Refined", content="Better advice"))
    store.supersede_item("s", "v2", MemoryItem(id="v3", title="Refined again", content="Best advice"))
    store.add(make_experience(1, scope="elsewhere", vec=unit(rng.standard_normal(8))))


@pytest.fixture(params=["memory", "sqlite"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Store, Store]:
    if request.param == "memory":
        return InMemoryStore(), InMemoryStore()
    return SQLiteStore(tmp_path / "src.db"), SQLiteStore(tmp_path / "dst.db")


def test_round_trip_is_lossless(pair: tuple[Store, Store], tmp_path: Path) -> None:
    src, dst = pair
    _fill(src)
    path = tmp_path / "out" / "bank.jsonl"
    assert export_jsonl(src, "s", path) == 7
    lines = path.read_text().splitlines()
    assert len(lines) == 7
    assert all(json.loads(line)["schema_version"] == DATA_MODEL_VERSION for line in lines)
    assert import_jsonl(dst, path) == 7
    assert dst.list("s", include_superseded=True) == src.list("s", include_superseded=True)
    assert dst.list("s") == src.list("s")
    assert dst.count_items("s") == src.count_items("s")
    assert dst.count_items("s", include_superseded=True) == 2 * 7 - 1 + 2
    full = dst.get("s", "e1", include_superseded=True)
    assert [(it.id, it.version, it.superseded_by) for it in full.items] == [
        ("s-e1-i0", 1, "v2"),
        ("s-e1-i1", 1, None),
        ("v2", 2, "v3"),
        ("v3", 3, None),
    ]
    assert dst.scopes() == ["s"]
    q = np.asarray(src.get("s", "e3").query_embedding.vector, dtype=np.float32)  # type: ignore[union-attr]
    assert [h.experience.id for h in dst.search("s", q, 3, model=MODEL)] == [
        h.experience.id for h in src.search("s", q, 3, model=MODEL)
    ]
    src.close()
    dst.close()


def test_stream_export_and_import_into_another_scope() -> None:
    src, dst = InMemoryStore(), InMemoryStore()
    _fill(src)
    buf = io.StringIO()
    assert export_jsonl(src, "elsewhere", buf) == 1
    buf.seek(0)
    assert import_jsonl(dst, buf, scope="renamed") == 1
    got = dst.get("renamed", "e1")
    assert got.model_copy(update={"scope": "elsewhere"}) == src.get("elsewhere", "e1")
    assert dst.count("elsewhere") == 0


def test_bad_line_names_file_and_line_and_stores_nothing(tmp_path: Path) -> None:
    src = InMemoryStore()
    _fill(src)
    path = tmp_path / "bank.jsonl"
    export_jsonl(src, "s", path)
    lines = path.read_text().splitlines()
    lines.insert(3, "")  # blank lines are allowed
    lines[6] = lines[6].replace('"query"', '"qeury"')
    path.write_text("\n".join(lines) + "\n")
    dst = InMemoryStore()
    with pytest.raises(ValueError, match=r"^bank\.jsonl:7: "):
        import_jsonl(dst, path)
    assert dst.count("s") == 0

    path.write_text("{not json\n")
    with pytest.raises(ValueError, match=r"^bank\.jsonl:1: "):
        import_jsonl(dst, path)


def test_newer_schema_version_refused(tmp_path: Path) -> None:
    src = InMemoryStore()
    src.add(make_experience(1))
    path = tmp_path / "bank.jsonl"
    export_jsonl(src, "s", path)
    data = json.loads(path.read_text())
    data["schema_version"] = DATA_MODEL_VERSION + 1
    path.write_text(json.dumps(data) + "\n")
    with pytest.raises(ValueError, match=r"bank\.jsonl:1: .*schema_version"):
        import_jsonl(InMemoryStore(), path)


def test_import_conflict_is_atomic(tmp_path: Path) -> None:
    src = InMemoryStore()
    _fill(src)
    path = tmp_path / "bank.jsonl"
    export_jsonl(src, "s", path)
    dst = SQLiteStore(tmp_path / "dst.db")
    dst.add(make_experience(5, items=0))  # e5 already present: the whole import must fail
    with pytest.raises(StoreError, match="e5"):
        import_jsonl(dst, path)
    assert dst.count("s") == 1
    dst.close()


def test_export_of_empty_scope(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    assert export_jsonl(InMemoryStore(), "none", path) == 0
    assert path.read_text() == ""
    assert import_jsonl(InMemoryStore(), path) == 0


def test_the_old_name_of_the_data_model_version_still_reads_with_a_warning() -> None:
    import reasoningbank
    from reasoningbank import models

    for module in (reasoningbank, models):
        with pytest.warns(DeprecationWarning, match="DATA_MODEL_VERSION"):
            assert module.SCHEMA_VERSION == DATA_MODEL_VERSION
    with pytest.raises(AttributeError, match="NO_SUCH_NAME"):
        _ = reasoningbank.NO_SUCH_NAME
