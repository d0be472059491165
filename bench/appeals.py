"""The real-appeals sector figure against its baseline, on the same split, in one process.

The baseline is the one the detector issue names: word + character TF-IDF and a linear SVM,
trained on the portal's own earlier months (the earlier 70% by id of
``../shared/data/spb_appeals_2020.jsonl``), scored on the later 30% (sector macro-F1 over the
six sectors the portal has). It is run twice: on the real appeals alone, and with our 550
portal-style appeals (``raw/part_f``, ``part_g``) added, so that what the data brings and what
the model brings can be told apart. Then the shipped detector on the same 30%, the figure taken
from ``evaluate_complaints`` as ``monitor eval complaints --real-appeals`` computes it (the
detector built from the project's settings as the CLI builds it), with a bootstrap 95% interval
(1,000 resamples of the appeals, fixed seed); ``--model`` scores another model file too (e.g. an
earlier one, for comparison).

    python bench/appeals.py [--appeals ../shared/data/spb_appeals_2020.jsonl] [--model F ...]

Left out: appeals of 2021 and later (held out from the project, never read here); the complaint
recall on the appeals and the figures on our own corpus (``monitor eval complaints`` prints them);
sectors the portal does not have (education, health, social, labour, energy); street accuracy
(the portal's texts rarely name the street).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.pipeline import make_pipeline, make_union  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from bench.posts import shared_file  # noqa: E402
from detector import Detector, DetectorConfig  # noqa: E402
from detector.complaints.model import ComplaintModel  # noqa: E402
from detector.training.complaints import appeal_record, evaluate_complaints, split_appeals  # noqa: E402
from detector.training.data import read_jsonl  # noqa: E402
from detector.training.evaluation import top_sector  # noqa: E402
from monitor.settings import load_settings  # noqa: E402

CORPUS = ROOT / "detector" / "training" / "corpus" / "complaints"
PORTAL_STYLE = [CORPUS / "raw" / f"{part}.jsonl" for part in ("part_f", "part_g")]


def baseline(train: list[dict], test: list[dict]) -> list[str]:
    model = make_pipeline(make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                                     TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
                          LinearSVC(C=1.0))
    model.fit([r["text"] for r in train], [r["sector"] for r in train])  # the vectorisers lower-case
    return [str(s) for s in model.predict([r["text"] for r in test])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appeals", type=Path, default=shared_file("spb_appeals_2020.jsonl"))
    parser.add_argument("--model", type=Path, nargs="*", default=[])
    args = parser.parse_args()
    if args.appeals is None or not args.appeals.exists():
        sys.exit(f"{args.appeals or 'spb_appeals_2020.jsonl'}: not found (the real appeals live in ../shared/data/)")
    earlier, later = split_appeals(read_jsonl(args.appeals))
    gold = np.array([r["sector"] for r in later])
    labels = sorted(set(gold))
    counts = {code: int((gold == code).sum()) for code in labels}
    rare = min(counts, key=counts.get)  # transport: 10 appeals, each worth ~0.02 of the macro figure
    common = [code for code in labels if code != rare]

    def figures(guess) -> str:
        return (f"{macro_of(gold, guess, labels):.3f}   without {rare} (n={counts[rare]}): "
                f"{macro_of(gold, guess, common):.3f}")

    portal_style = [r for path in PORTAL_STYLE for r in read_jsonl(path)]
    print(f"real appeals: {len(earlier):,} to train on, {len(later):,} to score (later 30% by id); "
          f"sector macro-F1 over {len(labels)} sectors")
    print(f"  baseline, the real appeals alone               {figures(baseline(earlier, later))}")
    print(f"  baseline + our {len(portal_style)} portal-style appeals        "
          f"{figures(baseline(earlier + portal_style, later))}")
    config = DetectorConfig.from_settings(load_settings())
    detector = Detector.from_config(config)
    rng = np.random.default_rng(7)
    resamples = [rng.integers(0, len(later), len(later)) for _ in range(1000)]
    for path in [config.model_file(), *args.model]:
        detector.model = ComplaintModel.load(path)
        report = evaluate_complaints(detector, [], real_appeals=args.appeals)[-1]
        scored = detector.score_many([appeal_record(r) for r in later])
        guess = np.array([top_sector(s) for s in scored])
        if abs(macro_of(gold, guess, labels) - report.sector_macro_f1) > 1e-9:
            print(f"  (the resampled guesses give {macro_of(gold, guess, labels):.3f}, monitor eval "
                  f"{report.sector_macro_f1:.3f}: the interval below is not for its figure)")
        low, high = np.percentile([macro_of(gold[i], guess[i], labels) for i in resamples], [2.5, 97.5])
        label = f"detector {path.name}, as monitor eval scores it"
        print(f"  {label:<46} {report.sector_macro_f1:.3f}   without {rare} (n={counts[rare]}): "
              f"{macro_of(gold, guess, common):.3f}   bootstrap 95%: {low:.3f}-{high:.3f}")
    print("Left out: appeals of 2021 and later (held out); complaint recall and our corpus' figures "
          "(`monitor eval complaints`); sectors the portal lacks; street accuracy.")


def macro_of(gold: np.ndarray, guess: np.ndarray, labels: list[str]) -> float:
    return float(f1_score(gold, guess, labels=labels, average="macro", zero_division=0))


if __name__ == "__main__":
    main()
