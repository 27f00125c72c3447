"""Helpers for testing code built on reasoningbank (and for testing new backends).

* :mod:`reasoningbank.testing.fakes` gathers the fakes (a scripted LLM, a hash
  embedder, an in-memory store);
* :mod:`reasoningbank.testing.store_conformance` holds the suite every store must
  pass; it needs pytest.
"""
