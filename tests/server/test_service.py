"""The service core: tenant isolation, retrieval with why, learning jobs that run exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoningbank.server import MemoryService, NotFound, Principal
from reasoningbank.server.errors import BadRequest, Conflict, TooManyJobs
from reasoningbank.server.learn_job import job_experience_id, run_learn_job
from reasoningbank.server.schemas import LearnRequest, RetrieveRequest
from tests.server.helpers import make_service, trajectory, wait_job


@pytest.fixture
def svc(tmp_path: Path) -> MemoryService:
    service = make_service(tmp_path)
    yield service
    service.close()


def _principal(svc: MemoryService, tenant: str, *banks: str) -> Principal:
    _, token = svc.keys.create(tenant, banks)
    found = svc.authenticate(token)
    assert found is not None
    return found


def _learn(svc: MemoryService, who: Principal, bank: str, task_id: str = "t1", **kw: object) -> str:
    req = LearnRequest(trajectory=trajectory(task_id), **kw)  # type: ignore[arg-type]
    job = wait_job(svc, who, svc.submit_learn(who, bank, req).id)
    assert job.status == "done", job.error
    assert job.result is not None
    return job.result.experience_id


def test_a_learned_job_is_retrieved_with_why(svc: MemoryService) -> None:
    acme = _principal(svc, "acme", "team")
    exp_id = _learn(svc, acme, "team")
    got = svc.retrieve(acme, "team", RetrieveRequest(query="buy a blue shirt on the shop", render=True))
    assert [h.experience_id for h in got.hits] == [exp_id]
    hit = got.hits[0]
    assert hit.task_id == "t1" and hit.verdict is not None and hit.verdict.label == "success"
    assert 0 < hit.score <= 1 and hit.query == "buy a red shirt on the shop"
    assert [w.item.title for w in hit.items] == ["check the form", "submit last"]
    assert all(w.record is not None and w.record.shown == 0 for w in hit.items)
    assert got.rendered and "check the form" in got.rendered
    assert [it.id for it in got.items] == [w.item.id for w in hit.items]


def test_items_retrieved_for_a_task_are_credited_when_it_is_learned(svc: MemoryService) -> None:
    acme = _principal(svc, "acme", "team")
    _learn(svc, acme, "team", "t1")
    shown = svc.retrieve(acme, "team", RetrieveRequest(query="buy a red shirt on the shop", task_id="t2"))
    _learn(svc, acme, "team", "t2")
    item = svc.show_item(acme, "team", shown.items[0].id)
    assert item.record.shown == 1 and item.record.shown_success == 1


def test_other_tenants_banks_and_jobs_are_not_found(svc: MemoryService) -> None:
    acme, globex = _principal(svc, "acme", "team"), _principal(svc, "globex", "rival")
    exp_id = _learn(svc, acme, "team")
    job = svc.submit_learn(acme, "team", LearnRequest(trajectory=trajectory("t9")))
    calls = [
        lambda: svc.retrieve(globex, "team", RetrieveRequest(query="buy")),
        lambda: svc.submit_learn(globex, "team", LearnRequest(trajectory=trajectory())),
        lambda: svc.list_experiences(globex, "team", limit=10, offset=0),
        lambda: svc.show_experience(globex, "team", exp_id),
        lambda: svc.delete_experience(globex, "team", exp_id),
        lambda: svc.stats(globex, "team"),
        lambda: svc.export_lines(globex, "team"),
        lambda: svc.import_jsonl(globex, "team", ""),
        lambda: svc.job(globex, job.id),
        lambda: svc.stats(globex, "does-not-exist"),
    ]
    messages = set()
    for call in calls:
        with pytest.raises(NotFound) as err:
            call()
        messages.add(str(err.value).replace("'does-not-exist'", "'team'"))
    assert len(messages) == 2  # one text for banks (existing or not), one for jobs
    stats = svc.stats(globex, "rival")
    assert stats.experiences == 0 and "team" not in stats.model_dump_json()
    assert svc.stats(acme, "team").experiences >= 1


def test_a_job_interrupted_after_storing_is_not_learned_twice(svc: MemoryService, tmp_path: Path) -> None:
    acme = _principal(svc, "acme", "team")
    svc.worker.stop()
    job = svc.jobs.submit("acme", "team", LearnRequest(trajectory=trajectory()).model_dump(mode="json"))
    claimed = svc.jobs.claim()
    assert claimed is not None
    first = run_learn_job(svc.store, svc.make_bank, claimed)  # stored; then the process "dies"
    assert first["experience_id"] == job_experience_id(job.id) and not first["resumed"]
    svc.close()
    again = make_service(tmp_path)  # the restart re-queues the running job
    try:
        done = wait_job(again, acme, job.id)
        assert done.status == "done" and done.result is not None and done.result.resumed
        assert done.result.experience_id == first["experience_id"]
        assert [i.id for i in done.result.items] == [i["id"] for i in first["items"]]
        assert again.store.count("team") == 1
    finally:
        again.close()


def test_a_job_interrupted_before_storing_runs_again(svc: MemoryService, tmp_path: Path) -> None:
    acme = _principal(svc, "acme", "team")
    svc.worker.stop()
    job = svc.submit_learn(acme, "team", LearnRequest(trajectory=trajectory(), outcome="failure"))
    assert svc.jobs.claim() is not None  # running when the process "died"
    svc.close()
    again = make_service(tmp_path)
    try:
        done = wait_job(again, acme, job.id)
        assert done.status == "done" and done.attempts == 1 and done.interruptions == 1
        assert done.result is not None
        assert not done.result.resumed and done.result.verdict is not None
        assert done.result.verdict.label == "failure" and done.result.verdict.source == "outcome"
        assert again.store.count("team") == 1
    finally:
        again.close()


def test_too_many_pending_jobs_are_refused(svc: MemoryService) -> None:
    acme = _principal(svc, "acme", "team")
    svc.worker.stop()
    svc.max_pending_jobs = 2
    for n in range(2):
        svc.submit_learn(acme, "team", LearnRequest(trajectory=trajectory(f"t{n}")))
    with pytest.raises(TooManyJobs):
        svc.submit_learn(acme, "team", LearnRequest(trajectory=trajectory("t3")))


def test_export_then_import_moves_a_bank_and_bad_input_stores_nothing(svc: MemoryService) -> None:
    acme = _principal(svc, "acme", "team", "copy")
    _learn(svc, acme, "team")
    text = "".join(svc.export_lines(acme, "team"))
    assert svc.import_jsonl(acme, "copy", text).imported == 1
    with pytest.raises(Conflict, match=r"nothing imported.*already exists"):
        svc.import_jsonl(acme, "copy", text)
    with pytest.raises(BadRequest, match="body:2"):
        svc.import_jsonl(acme, "copy", text + "{not json}\n")
    assert svc.stats(acme, "copy").experiences == 1


def test_list_show_delete(svc: MemoryService) -> None:
    acme = _principal(svc, "acme", "team")
    exp_id = _learn(svc, acme, "team")
    listed = svc.list_experiences(acme, "team", limit=10, offset=0)
    assert listed.total == 1 and listed.experiences[0].id == exp_id
    shown = svc.show_experience(acme, "team", exp_id)
    assert shown.experience.query_embedding is None and shown.embedding_dim == 64
    assert len(shown.item_records) == 2
    assert svc.show_experience(acme, "team", exp_id, with_vector=True).experience.query_embedding
    items = svc.list_items(acme, "team", include_retired=False, limit=10, offset=0).items
    assert {i.experience_id for i in items} == {exp_id}
    assert svc.delete_experience(acme, "team", exp_id).items == 2
    assert svc.list_experiences(acme, "team", limit=10, offset=0).total == 0


def test_health_says_nothing_about_tenants(svc: MemoryService) -> None:
    health = svc.health()
    assert health.status == "ok" and health.worker
    svc.worker.stop()
    assert svc.health().status == "degraded"


@pytest.mark.postgres
def test_the_service_on_postgresql_learns_once_and_keeps_tenants_apart(pg_url: str, tmp_path: Path) -> None:
    svc = make_service(tmp_path, store=pg_url)
    try:
        acme, globex = _principal(svc, "acme", "team", "copy"), _principal(svc, "globex", "rival")
        exp_id = _learn(svc, acme, "team")
        got = svc.retrieve(acme, "team", RetrieveRequest(query="buy a blue shirt on the shop", task_id="t2"))
        assert got.hits[0].experience_id == exp_id and got.hits[0].items[0].record is not None
        with pytest.raises(NotFound):
            svc.retrieve(globex, "team", RetrieveRequest(query="buy a blue shirt on the shop"))
        svc.worker.stop()
        job = svc.submit_learn(acme, "team", LearnRequest(trajectory=trajectory("t2")))
        claimed = svc.jobs.claim()
        assert claimed is not None
        run_learn_job(svc.store, svc.make_bank, claimed)  # stored; then the process "dies"
    finally:
        svc.close()
    again = make_service(tmp_path, store=pg_url)
    try:
        done = wait_job(again, acme, job.id)
        assert done.result is not None and done.result.resumed
        assert again.stats(acme, "team").experiences == 2
        assert again.show_item(acme, "team", got.items[0].id).record.shown == 1
        text = "".join(again.export_lines(acme, "team"))
        assert again.import_jsonl(acme, "copy", text).imported == 2
        assert again.stats(globex, "rival").experiences == 0
    finally:
        again.close()
