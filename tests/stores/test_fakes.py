"""reasoningbank.testing.fakes: the fakes users need for their own tests, in one place."""

from __future__ import annotations

import numpy as np

from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import ScriptedLLM
from reasoningbank.models import EmbeddingRef, Experience
from reasoningbank.stores import InMemoryStore
from reasoningbank.testing import fakes


def test_fakes_are_the_library_classes() -> None:
    assert fakes.ScriptedLLM is ScriptedLLM
    assert fakes.HashEmbedder is HashEmbedder
    assert fakes.InMemoryStore is InMemoryStore
    assert sorted(fakes.__all__) == ["HashEmbedder", "InMemoryStore", "ScriptedLLM"]


def test_the_benchmark_environment_stays_in_bench() -> None:
    # testing is below bench in the layers (tests/test_architecture.py); the docstring says where it is
    assert not hasattr(fakes, "ScriptedEnvironment")
    assert fakes.__doc__ is not None and "reasoningbank.bench.envs.scripted" in fakes.__doc__


def test_the_fakes_work_together() -> None:
    llm = fakes.ScriptedLLM(["Use the search box."])
    assert llm.complete([{"role": "user", "content": "Any lesson?"}]).text == "Use the search box."
    assert len(llm.calls) == 1
    embedder = fakes.HashEmbedder(dim=16)
    vec = embedder.embed_query("find the cheapest flight")
    ref = EmbeddingRef(model=embedder.name, dim=16, vector=[float(x) for x in vec])
    with fakes.InMemoryStore() as store:
        store.add(Experience(id="e1", task_id="t1", query="find the cheapest flight", query_embedding=ref))
        hits = store.search("default", np.asarray(vec), 1, model=embedder.name)
        assert [(h.experience.id, round(h.score, 5)) for h in hits] == [("e1", 1.0)]
