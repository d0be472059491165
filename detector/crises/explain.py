"""Why a series jumped: the counts and the baseline, the words and phrases that are new against
the baseline period, the top streets, example posts and the sources.

Words are lemmas (``detector.text.Lemmatizer``), so "пыль", "пыли", "пылью" are one; phrases are
pairs of neighbouring content lemmas ("набережная ремонт"). A term is new when the share of the
burst's posts that use it is far above its share in the baseline period (smoothed ratio), and at
least two posts use it; terms are ranked by posts × log(ratio).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

from detector.crises.detect import Alert
from detector.text.lemmas import STOP_LEMMAS, Lemmatizer

# The shared stop lemmas, plus words that fill every complaint whatever its subject.
STOP = STOP_LEMMAS | {"когда", "только", "кто", "где", "мой", "который", "очень", "сегодня", "день", "просто",
                      "даже", "при", "без", "под", "над", "про", "можно", "нужно", "есть", "сказать", "мочь",
                      "год", "час"}
EXAMPLES = 3
MAX_POSTS = 500  # of the burst's and of the baseline's posts (evenly spread) read for new terms


class Explainer:
    """Builds the ``explanation`` of an alert from its posts and the baseline period's posts
    (plain dicts: ``id``, ``text``, ``source_id``, ``territory``, ``created_at``, ``url``, ``metrics``)."""

    def __init__(self, lemmatizer: Lemmatizer | None = None, *, top_terms: int = 8) -> None:
        self.lemmatizer = lemmatizer
        self.top_terms = top_terms
        self._seen: dict[str, set[str]] = {}  # text → terms: alerts of one run share their baseline posts

    def explain(self, alert: Alert, posts: Sequence[Mapping[str, Any]], baseline: Sequence[Mapping[str, Any]],
                hours: float) -> dict[str, Any]:
        words, phrases = self.new_terms(posts, baseline)
        return {
            "why": (f"{alert.count} posts in {_hours(hours)} against {alert.expected:g} expected "
                    f"(significance {alert.significance})"),
            "count": alert.count, "baseline": alert.expected, "window_hours": hours,
            "new_words": words, "new_phrases": phrases,
            "top_streets": _top((_street(p) for p in posts), 5),
            "sources": _top((p.get("source_id") for p in posts), 5),
            "examples": [_example(p) for p in _examples(posts)],
        }

    def new_terms(self, posts: Sequence[Mapping[str, Any]],
                  baseline: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
        if self.lemmatizer is None or not any(p.get("text") for p in posts):
            return [], []
        burst = [self._terms(str(p.get("text") or "")) for p in posts[:MAX_POSTS]]
        before = [self._terms(str(p.get("text") or "")) for p in baseline[::max(1, len(baseline) // MAX_POSTS)]]
        scored = _rank(burst, before)
        words = [t for t in scored if " " not in t][:self.top_terms]
        phrases = [t for t in scored if " " in t][:max(3, self.top_terms // 2)]
        return words, phrases

    def _terms(self, text: str) -> set[str]:
        if (known := self._seen.get(text)) is not None:
            return known
        if len(self._seen) >= 50_000:
            self._seen.clear()
        self._seen[text] = found = self._lemma_terms(text)
        return found

    def _lemma_terms(self, text: str) -> set[str]:
        assert self.lemmatizer is not None
        content = [lemma if lemma not in STOP and len(lemma) > 2 and not lemma.isdigit() else None
                   for lemma in self.lemmatizer.lemmas(text)]
        words = {lemma for lemma in content if lemma}
        pairs = {f"{a} {b}" for a, b in zip(content, content[1:], strict=False) if a and b and a != b}
        return words | pairs


def _rank(burst: list[set[str]], before: list[set[str]]) -> list[str]:
    inside, outside = Counter(t for terms in burst for t in terms), Counter(t for terms in before for t in terms)
    scores = {}
    for term, n in inside.items():
        if n < 2:
            continue
        ratio = ((n + 0.5) / (len(burst) + 1)) / ((outside[term] + 0.5) / (len(before) + 1))
        if ratio > 2:
            scores[term] = n * math.log(ratio)
    return sorted(scores, key=lambda t: (-scores[t], t))


def _street(post: Mapping[str, Any]) -> str | None:
    territory = post.get("territory")
    return territory.get("street") if isinstance(territory, Mapping) else None


def _top(values: Iterable[Any], n: int) -> list[list[Any]]:
    return [[value, count] for value, count in Counter(v for v in values if v).most_common(n)]


def _examples(posts: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The first post, then the most reacted-to ones."""
    if not posts:
        return []
    ordered = sorted(posts, key=lambda p: str(p.get("created_at") or ""))
    first, rest = ordered[0], ordered[1:]
    rest.sort(key=lambda p: -sum(v or 0 for v in (p.get("metrics") or {}).values()))
    return [first, *rest[:EXAMPLES - 1]]


def _example(post: Mapping[str, Any]) -> dict[str, Any]:
    text = " ".join(str(post.get("text") or "").split())
    return {"id": post.get("id"), "created_at": post.get("created_at"), "source_id": post.get("source_id"),
            "url": post.get("url"), "text": text[:197] + "…" if len(text) > 200 else text}


def _hours(hours: float) -> str:
    return f"{hours:g} h" if hours < 48 else f"{hours / 24:g} days"
