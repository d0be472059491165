"""Posts shaped like the ones a monitor stores after ``monitor detect``, for benchmarks that need
many of them: real texts, real series, a cluster id on every post.

- Texts are real where real ones exist: complaints from the St Petersburg portal appeals of 2020
  and the corpus' complaints (by sector); everything else from RuSentiTweet's train split and the
  corpus' ordinary posts; stories that spread from the corpus' fakes and longer complaints, copied
  the ways stories spread (a forwarding prefix, another town, a typo, shortened, pasted inside a
  comment). Each real text is used once; when a pool runs out, further texts are word salad drawn
  from that pool's words with its lengths (``PostMaker.salad`` counts them), so no two singletons
  are copies of each other.
- Times and series: a complaint takes the sector, the district and the time of day of a real
  appeal (``spb_series_autumn2020.jsonl``) made on the same weekday, on a day drawn with that
  weekday's real weight: the real daily and weekly rhythm and the real sparse sector × district
  mix (~100 series), scaled to the size asked for. Other posts follow the same clock.
- Clusters as ``monitor detect`` names them (``cluster_id_for``): a post of its own is a cluster of
  its own, named after it; ``story_share`` of the posts are copies of stories (sizes from a power
  law: most stories a few copies, a few hundreds), spread over a few hours from many sources; half
  the stories are complaints (one sector and district), half rumours.

Left out: the clusters are assigned, not found by the Clusterer (bench/cluster.py times that);
the complaint flags and sectors are given, not scored (bench/score.py times that); comments are not
threaded under posts; real data missing from ../shared/data is replaced by the corpus alone and a
synthetic clock (``PostMaker.notes`` says which).
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from detector.incidents.clusters import cluster_id_for

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "detector" / "training" / "corpus"
CITY = "Санкт-Петербург"
LOCAL = timezone(timedelta(hours=3))  # the real series' offset
PREFIXES = ["Перешлите всем!!! ", "Из чата дома: ", "Скопировано. ", "Пишут в родительском чате: ", ""]
TOWNS = ["Приреченске", "Светлоярске", "Твери", "Перми"]
SYNTHETIC_SECTORS = ("housing", "amenities", "waste", "other", "roads", "transport")
SYNTHETIC_DISTRICTS = tuple(f"Район {n}" for n in range(1, 19))


def shared_file(name: str) -> Path | None:
    """A file of the real data kept beside the project (``../shared/data``), or None."""
    for base in (ROOT.parent, ROOT.parent.parent):
        path = base / "shared" / "data" / name
        if path.exists():
            return path
    return None


def read_lines(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@dataclass(frozen=True)
class Shape:
    """The mix of a generated store."""

    complaint_share: float = 0.2  # the detector's complaints among everything crawled
    story_share: float = 0.1  # posts that are copies of a story
    days: int = 30  # SPIKES_HISTORY_DAYS (28) + the gap (1) + the day reported
    sources: int = 1000  # watched pages; a few post most (Zipf)
    comments: float = 0.7  # share of comments among posts and comments


class _Pool:
    """Real texts, each handed out once, then word salad in the same words and lengths."""

    def __init__(self, texts: list[str], rng: random.Random) -> None:
        self.texts = list(dict.fromkeys(t for t in texts if t.strip()))
        rng.shuffle(self.texts)
        self.words = [w for t in self.texts for w in t.split()]
        self.lengths = [len(t.split()) for t in self.texts]
        self.used = 0
        self.salad = 0

    def take(self, rng: random.Random) -> str:
        if self.used < len(self.texts):
            self.used += 1
            return self.texts[self.used - 1]
        self.salad += 1
        return " ".join(rng.choices(self.words, k=rng.choice(self.lengths)))


class PostMaker:
    """Builds records shaped like ``Post.to_dict()`` after detection; see the module docstring."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.notes: list[str] = []
        self._clock()
        self._texts()

    def _clock(self) -> None:
        series = shared_file("spb_series_autumn2020.jsonl")
        rows: list[tuple[int, float, str, str | None]] = []  # weekday, seconds into the day, sector, district
        days = set()
        if series is not None:
            for row in read_lines(series):
                when = datetime.fromisoformat(row["created_at"]).astimezone(LOCAL)
                days.add(when.date())
                rows.append((when.weekday(), when.hour * 3600 + when.minute * 60 + when.second, row["sector"],
                             (row.get("territory") or {}).get("district")))
            self.notes.append(f"series: {len(rows):,} real appeals' weekday, time, sector and district "
                              f"({series.name})")
        else:
            rng = self.rng
            hours = [0.2] * 7 + [1.0] * 12 + [0.6] * 5
            first = datetime(2020, 10, 19).date()
            days = {first + timedelta(days=n) for n in range(42)}
            for day in days:
                for _ in range(330 if day.weekday() < 5 else 200):
                    hour = rng.choices(range(24), hours)[0]
                    rows.append((day.weekday(), hour * 3600 + rng.randrange(3600), rng.choice(SYNTHETIC_SECTORS),
                                 rng.choice(SYNTHETIC_DISTRICTS)))
            self.notes.append("series: synthetic clock and series (spb_series_autumn2020.jsonl not found)")
        self.by_weekday: dict[int, list[tuple[float, str, str | None]]] = defaultdict(list)
        for weekday, seconds, sector, district in rows:
            self.by_weekday[weekday].append((seconds, sector, district))
        per_day = {d: len(v) / max(1, sum(1 for day in days if day.weekday() == d))
                   for d, v in self.by_weekday.items()}
        self.weekday_weight = [per_day.get(d, 0.0) for d in range(7)]

    def _texts(self) -> None:
        complaints: dict[str, list[str]] = defaultdict(list)
        ordinary: list[str] = []
        stories: list[str] = []
        for split in ("train", "dev", "test", "extra"):
            for n, row in enumerate(read_lines(CORPUS / "complaints" / f"{split}.jsonl")):
                if not (row.get("is_complaint") and row.get("sector")):
                    ordinary.append(row["text"])
                elif len(row["text"]) >= 60 and n % 2:  # every other long complaint spreads as a story
                    stories.append(row["text"])
                else:
                    complaints[row["sector"]].append(row["text"])
        for split in ("train", "dev", "test"):
            for row in read_lines(CORPUS / "fakes" / f"{split}.jsonl"):
                (stories if row["label"] == "fake" else ordinary).append(row["text"])
        appeals, tweets = shared_file("spb_appeals_2020.jsonl"), shared_file("rusentitweet_train.jsonl")
        if appeals is not None:
            for row in read_lines(appeals):
                if row.get("sector"):
                    complaints[row["sector"]].append(row["text"])
        if tweets is not None:
            ordinary += [row["text"] for row in read_lines(tweets)]
        self.notes.append(f"texts: complaints from the corpus{' and ' + appeals.name if appeals else ''}, "
                          f"the rest from the corpus{' and ' + tweets.name if tweets else ''}"
                          + ("" if appeals and tweets else " (the real files not found: corpus only)"))
        self.complaints = {sector: _Pool(texts, self.rng) for sector, texts in complaints.items()}
        self.any_complaint = _Pool([t for texts in complaints.values() for t in texts], self.rng)
        self.ordinary = _Pool(ordinary, self.rng)
        self.stories = _Pool(stories, self.rng)

    @property
    def salad(self) -> int:
        """Texts made up so far because the real ones ran out."""
        pools = [*self.complaints.values(), self.any_complaint, self.ordinary, self.stories]
        return sum(pool.salad for pool in pools)

    def moment(self, start: datetime, cum_weights: list[float],
               until: datetime) -> tuple[datetime, str, str | None]:
        """A time on one of the days from ``start`` on the real clock (``cum_weights``: the days'
        weights, added up), with the sector and district of a real appeal made at that time."""
        day = self.rng.choices(range(len(cum_weights)), cum_weights=cum_weights)[0]
        midnight = start + timedelta(days=day)
        seconds, sector, district = self.rng.choice(self.by_weekday[midnight.weekday()])
        return min(midnight + timedelta(seconds=seconds), until - timedelta(seconds=1)), sector, district

    def records(self, count: int, until: datetime, shape: Shape = Shape()) -> Iterator[dict[str, Any]]:
        """``count`` records over the ``shape.days`` before ``until``, oldest first."""
        start = (until - timedelta(days=shape.days)).astimezone(LOCAL).replace(hour=0, minute=0, second=0)
        days = math.ceil((until - start) / timedelta(days=1))
        cum_weights = list(itertools.accumulate(self.weekday_weight[(start + timedelta(days=d)).weekday()]
                                                for d in range(days)))
        plan = self._stories(count, shape, start, cum_weights, until) + self._singles(count, shape, start,
                                                                                    cum_weights, until)
        plan.sort(key=lambda p: p[0])
        sources = self._sources(len(plan), shape)
        first_of: dict[int, str] = {}
        for n, ((when, sector, district, complaint, story), source) in enumerate(zip(plan, sources, strict=True)):
            post_id = f"vk:-{source}_{n}"
            if story is None:
                pool = (self.complaints.get(sector) or self.any_complaint) if complaint else self.ordinary
                text = pool.take(self.rng)
                cluster = post_id
            else:
                text = self._copy(story[1])
                cluster = first_of.setdefault(story[0], post_id)
            yield self._record(post_id, source, when, text, complaint, sector, district, cluster, shape)

    def _singles(self, count: int, shape: Shape, start: datetime, cum_weights: list[float],
                 until: datetime) -> list[tuple[Any, ...]]:
        singles = count - round(count * shape.story_share)
        out = []
        for _ in range(singles):
            when, sector, district = self.moment(start, cum_weights, until)
            complaint = self.rng.random() < shape.complaint_share
            out.append((when, sector, district, complaint, None))
        return out

    def _stories(self, count: int, shape: Shape, start: datetime, cum_weights: list[float],
                 until: datetime) -> list[tuple[Any, ...]]:
        copies = round(count * shape.story_share)
        largest = max(2, count // 100)
        out: list[tuple[Any, ...]] = []
        story = 0
        while len(out) < copies:
            size = min(int(self.np.zipf(1.8)) + 1, largest, copies - len(out))
            when, sector, district = self.moment(start, cum_weights, until)
            complaint = self.rng.random() < 0.5
            text = self.stories.take(self.rng)
            for _ in range(size):
                at = min(when + timedelta(hours=self.rng.expovariate(1 / 4)), until - timedelta(seconds=1))
                out.append((at, sector, district, complaint, (story, text)))
            story += 1
        return out

    def _sources(self, count: int, shape: Shape) -> list[int]:
        weights = 1 / np.arange(1, shape.sources + 1) ** 0.8
        return list(self.np.choice(np.arange(100_000, 100_000 + shape.sources), size=count,
                                   p=weights / weights.sum()))

    def _copy(self, text: str) -> str:
        rng = self.rng
        change = rng.random()
        if change < 0.3:
            return rng.choice(PREFIXES) + text
        if change < 0.4:
            return text.replace("Приреченске", rng.choice(TOWNS))
        if change < 0.5 and len(text) > 20:
            cut = rng.randrange(len(text) - 5)
            return text[:cut] + text[cut + 1:]  # a typo
        if change < 0.6:
            return text[: max(40, len(text) * 2 // 3)]
        if change < 0.7:
            return "Ну вот, опять. " + text + " Кто-нибудь знает, правда это?"
        return text

    def _record(self, post_id: str, source: int, when: datetime, text: str, complaint: bool, sector: str,
                district: str | None, cluster: str, shape: Shape) -> dict[str, Any]:
        kind = "comment" if self.rng.random() < shape.comments else "post"
        return {
            "id": post_id, "platform": "vk", "source_id": f"vk:-{source}", "kind": kind, "text": text,
            "created_at": when.astimezone(LOCAL).isoformat(), "crawled_at": when.astimezone(LOCAL).isoformat(),
            "author": {"id": str(self.rng.randrange(10**6)), "name": "Житель", "official": False},
            "metrics": {"likes": self.rng.randrange(20), "reposts": 0, "views": self.rng.randrange(5000),
                        "comments": 0},
            "language": "ru", "source_kind": "city_group",
            "complaint": round(0.5 + self.rng.random() / 2 if complaint else self.rng.random() / 2, 3),
            "is_complaint": complaint, "sector": sector if complaint else None,
            "territory": {"municipality": CITY, "district": district, "street": None, "house": None,
                          "address": None, "geo": None, "source": "source_default"},
            "cluster_id": cluster_id_for(cluster),
        }
