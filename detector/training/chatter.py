"""Real everyday chatter: the posts a monitor mostly reads, and must not flag.

RuSentiTweet's train split (real Russian tweets labelled for sentiment only) is read as real
negatives for complaints, fakes and threats. Every model and every report cuts it the same way, by
a stable hash of each tweet's id: 60% may be learnt from, 10% tunes thresholds, 30% is only ever
scored (:func:`chatter_split`). About 2% name a civic topic (``civic_words``); some of those are
real complaints, so the report gives the share flagged with and without them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from detector.training.data import name_of, read_jsonl

if TYPE_CHECKING:
    from detector.files import Source
    from detector.scoring import Detector

SPLITS = {"train": range(0, 6), "dev": range(6, 7), "test": range(7, 10)}  # tenths of the hash
# Tweets of the train split that name a civic topic and could be read as a problem a public body
# can act on (read by hand: toilets in a school, heating still on in flats, hospitals with no free
# beds). Too vague to label a complaint, too near to teach "not a complaint": left out.
POSSIBLE_COMPLAINTS = frozenset({"rstw1300640710006386688", "rstw1253963248698826752", "rstw1310043286837620737"})
CHATTER_SOURCE = ("RuSentiTweet (Smetanin 2022, PeerJ CS 8:e1039), the train split of sismetanin/rusentitweet: "
                  "real general-domain Russian tweets")


def split_of(item_id: str) -> str:
    """``train``, ``dev`` or ``test``: where an item of the chatter falls, the same on every machine."""
    tenth = int(hashlib.sha256(item_id.encode("utf-8")).hexdigest()[:8], 16) % 10
    return next(name for name, tenths in SPLITS.items() if tenth in tenths)


def chatter_split(rows: Sequence[dict[str, Any]], split: str) -> list[dict[str, Any]]:
    """The rows of one split, in file order."""
    if split not in SPLITS:
        raise ValueError(f"no chatter split {split!r}: {', '.join(SPLITS)}")
    return [row for row in rows if split_of(str(row["id"])) == split]


def chatter_record(row: dict[str, Any]) -> dict[str, Any]:
    """What the detector reads of a tweet: a post in a city group, as chatter reaches a monitor."""
    return {"id": row["id"], "text": row["text"], "platform": "vk", "kind": "post", "source_kind": "city_group"}


def chatter_negatives(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The train split as the complaint model learns it: every tweet not a complaint, but for the
    few that might be one (:data:`POSSIBLE_COMPLAINTS`)."""
    return [chatter_record(row) for row in chatter_split(rows, "train") if str(row["id"]) not in POSSIBLE_COMPLAINTS]


@dataclass
class ChatterReport:
    """How many real everyday posts the detector flags: each a false alarm in a staff queue."""

    name: str
    items: int
    complaints: int
    fakes: int
    threats: int
    civic: int  # items that name a civic topic (may be real complaints)
    complaints_not_civic: int

    def share(self, count: int, items: int | None = None) -> float:
        total = self.items if items is None else items
        return count / total if total else 0.0

    def lines(self) -> list[str]:
        plain = self.items - self.civic
        return [f"{self.name}: {self.items} items ({self.civic} name a civic topic)",
                f"  flagged      complaint {self.share(self.complaints):.1%} ({self.complaints})  "
                f"fake suspect {self.share(self.fakes):.1%} ({self.fakes})  "
                f"threat {self.share(self.threats):.1%} ({self.threats})",
                f"  without the civic ones: complaint "
                f"{self.share(self.complaints_not_civic, plain):.1%} ({self.complaints_not_civic} of {plain})"]

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "complaint_share": self.share(self.complaints),
                "fake_share": self.share(self.fakes), "threat_share": self.share(self.threats)}


def flagged_on_chatter(detector: Detector, path: Source, split: str = "test") -> ChatterReport:
    """Score one split of the chatter and count what the detector flags."""
    rows = chatter_split(read_jsonl(path), split)
    scored = detector.score_many([chatter_record(row) for row in rows])
    civic = [bool(row.get("civic_words")) for row in rows]
    return ChatterReport(
        name=f"{name_of(path)} ({split} split by id hash, real chatter)",
        items=len(rows),
        complaints=sum(bool(s.get("is_complaint")) for s in scored),
        fakes=sum(bool(s.get("is_fake_suspect")) for s in scored),
        threats=sum(bool(s.get("threat")) for s in scored),
        civic=sum(civic),
        complaints_not_civic=sum(bool(s.get("is_complaint")) and not c for s, c in zip(scored, civic, strict=True)))
