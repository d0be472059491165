"""A scripted staff member: works the routing and fact-check queues through the library functions
``monitor incident`` and ``monitor review`` call (``change_incident``, ``record_verdict``), picking
incidents and moves with a seeded random generator, and remembers what it set on each incident
(:class:`Done`) for the invariants to check.

Two staff members with one seed, on two stores holding the same incidents, make the same moves:
the queues are read in id order, not in the store's order of equal deadlines.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Collection

from detector import Change, ReviewError, change_incident, list_queue, record_verdict
from indexer.schema import INCIDENT_STATUSES

if TYPE_CHECKING:
    from detector import DetectorConfig
    from indexer.schema import Incident
    from indexer.store import Store

ASSIGNEES = ("Дорожный отдел", "ЖКХ Заречного района", "Водоканал", "Отдел благоустройства")
ANSWERS = ("Работы запланированы на эту неделю", "Передано в управляющую компанию", "https://vk.com/wall-210004_77")
REASONS = ("жители пишут, что не сделано", "ответ не по существу", "закрыто по ошибке")
NOTES = ("созвонились с УК", "ждём ответ подрядчика", "уточнить адрес")
EVERY = 100_000
HEAD = 20  # the incidents at the head of the queue a staff member picks from
# What staff may do with an incident, by its status (a move twice as likely when listed twice).
MOVES = {
    "new": ("assign", "assign", "answer", "close", "note"),
    "assigned": ("answer", "answer", "close", "note", "assign"),
    "answered": ("close", "close", "reopen", "note", "back_without_reason"),
    "closed": ("reopen", "note", "back_without_reason"),
}


@dataclass
class Done:
    """What staff last set on one incident, when, and how long its history was right after."""

    status: str
    at: datetime
    history: int
    assignee: str | None = None
    answer: str | None = None
    verdict: str | None = None
    notes: list[str] = field(default_factory=list)


class Staff:
    """``act(now, moves)``: that many moves on the store's queues, as of the world's ``now``: a
    verdict on a fact-check item one time in five, else a move on a routing incident."""

    def __init__(self, store: Store, config: DetectorConfig, seed: int, name: str = "petrova") -> None:
        self.store = store
        self.config = config
        self.random = random.Random(seed)
        self.name = name
        self.done: dict[str, Done] = {}
        self.moves: Counter[str] = Counter()

    def act(self, now: datetime, moves: int, among: Collection[str] | None = None) -> None:
        """``among``: only these incidents (those detection is about to write back, say)."""
        if not moves:
            return
        routing = sorted(list_queue(self.store, self.config, "routing", status=INCIDENT_STATUSES, limit=EVERY),
                         key=lambda i: i.id)
        routing = [i for i in routing if i.kind != "crisis" and (among is None or i.id in among)]
        factcheck = sorted(list_queue(self.store, self.config, "factcheck", limit=EVERY), key=lambda i: i.id)
        factcheck = [i for i in factcheck if among is None or i.id in among]
        for _ in range(moves):
            if factcheck and self.random.random() < 0.2:
                self._verdict(self.random.choice(factcheck), now)
            elif routing:
                chosen = self.random.choice(self._pile(routing))
                incident = self.store.get_incident(chosen.id)  # as it is now: an earlier move may have changed it
                assert incident is not None
                getattr(self, "_" + self.random.choice(MOVES[incident.status]))(incident, now)

    def _pile(self, routing: list[Incident]) -> list[Incident]:
        """Where the next move comes from: the incidents this staff member moved before (half the
        time: people follow up their own), the head of the queue (nearest deadline), or anywhere."""
        mine = [i for i in routing if i.id in self.done]
        roll = self.random.random()
        if mine and roll < 0.5:
            return mine
        if roll < 0.8:
            undone = [i for i in routing if i.status in ("new", "assigned")]
            return sorted(undone, key=lambda i: (i.deadline or i.opened_at, i.id))[:HEAD] or routing
        return routing

    # -- the moves ------------------------------------------------------------------------------

    def _change(self, move: str, incident: Incident, now: datetime, **change: str) -> None:
        changed = change_incident(self.store, incident.id, Change(by=self.name, **change), now=now)
        self._remember(move, changed, now, change.get("note"))

    def _remember(self, move: str, changed: Incident, now: datetime, note: str | None) -> None:
        before = self.done.get(changed.id)
        self.done[changed.id] = Done(changed.status, now, len(changed.history), changed.assignee, changed.answer,
                                     changed.verdict, [*(before.notes if before else []), *([note] if note else [])])
        self.moves[move] += 1

    def _assign(self, incident: Incident, now: datetime) -> None:
        self._change("assign", incident, now, assignee=self.random.choice(ASSIGNEES))

    def _answer(self, incident: Incident, now: datetime) -> None:
        self._change("answer", incident, now, answer=self.random.choice(ANSWERS))

    def _close(self, incident: Incident, now: datetime) -> None:
        self._change("close", incident, now, status="closed")

    def _note(self, incident: Incident, now: datetime) -> None:
        self._change("note", incident, now, note=f"{self.random.choice(NOTES)} ({now:%d.%m %H:%M})")

    def _reopen(self, incident: Incident, now: datetime) -> None:
        status = self.random.choice(("new", "assigned"))
        self._change("reopen", incident, now, status=status, reason=self.random.choice(REASONS))

    def _back_without_reason(self, incident: Incident, now: datetime) -> None:
        """A move back with no reason: refused, and nothing changes."""
        try:
            change_incident(self.store, incident.id, Change(by=self.name, status="new"), now=now)
        except ReviewError:
            self.moves["refused: back without a reason"] += 1
        else:
            raise AssertionError(f"{incident.id}: moved back from {incident.status} to new with no reason")

    def _verdict(self, item: Incident, now: datetime) -> None:
        verdict = self.random.choice(("fake", "true", "unverified"))
        debunk = "https://gov.prirechye.example/news/oproverzhenie.html" if verdict == "fake" else None
        changed = record_verdict(self.store, item.id, verdict, self.name, debunk=debunk, note="проверено", now=now)
        self._remember(f"verdict {verdict}", changed, now, None)
