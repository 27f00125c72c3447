"""The secrets corpus (``reasoningbank.testing.secrets_corpus``): every value is redacted with
its kind, and every look-alike text is left as it is."""

from __future__ import annotations

from collections import Counter

import pytest

from reasoningbank.testing.secrets_corpus import CORPUS, NEGATIVES, Case, all_secrets
from reasoningbank.text.redact import Redactor

R = Redactor()


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: f"{c.kind}:{c.text[:40]}")
def test_every_secret_value_is_gone_and_named_by_its_kind(case: Case) -> None:
    counts: Counter[str] = Counter()
    out = R.redact(case.text, counts)
    assert [s for s in case.secrets if s in out] == []
    assert f"[REDACTED:{case.kind}]" in out
    assert counts[case.kind] >= 1


@pytest.mark.parametrize("text", NEGATIVES)
def test_look_alikes_are_left_alone(text: str) -> None:
    counts: Counter[str] = Counter()
    assert R.redact(text, counts) == text
    assert counts == {}


def test_the_corpus_values_are_distinct_and_none_is_redacted_twice() -> None:
    assert len(all_secrets()) >= 30
    joined = "\n".join(case.text for case in CORPUS)
    once = R.redact(joined)
    assert [s for s in all_secrets() if s in once] == []
    again: Counter[str] = Counter()
    assert R.redact(once, again) == once and again == {}
