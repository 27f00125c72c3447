"""Helpers for testing code built on reasoningbank (and for testing new backends).

* :mod:`reasoningbank.testing.fakes` gathers the fakes (a scripted LLM, a hash
  embedder, an in-memory store);
* :mod:`reasoningbank.testing.secrets_corpus` holds fake secrets in the texts
  that carry them, for tests that nothing secret is kept or shown;
* :mod:`reasoningbank.testing.store_conformance` holds the suite every store must
  pass; it needs pytest.
"""
