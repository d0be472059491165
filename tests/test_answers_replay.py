"""A crawl of the replay site finds its official answers: VK comments by the administration's and
the bodies' accounts, the Telegram discussion's replies by the administration's representative, and
the OK group's Госпаблик replies; each on the incident of the post it answers, timely, late or an
отписка, and the threads nobody answered stay unanswered."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from indexer.store import IncidentQuery
from tests.conftest import ROOT


def test_a_crawl_of_the_replay_site_finds_its_official_answers(crawl) -> None:
    result = crawl("vk_podslushano", "tg_chp", "ok_prirechensk", "vk_admin")
    assert result.returncode == 0, result.output
    detected = subprocess.run([sys.executable, "-m", "monitor", "detect", "--store", f"sqlite:///{result.store_path}"],
                              capture_output=True, text=True, cwd=ROOT, timeout=300,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert detected.returncode == 0, detected.stderr
    assert "official answers:" in detected.stdout
    store = result.store()
    try:
        incidents = store.find_incidents(IncidentQuery(queue="routing", limit=10_000))
    finally:
        store.close()
    answered = [i for i in incidents if i.answered_at is not None]
    platforms = {a["post_id"].split(":")[0] for i in answered for a in i.answers}
    assert platforms == {"vk", "telegram", "ok"}
    assert {i.answer_quality for i in answered} == {"substantive", "otpiska"}
    waits = [i.answered_at - i.opened_at for i in answered if i.answered_at]
    assert min(waits) < timedelta(hours=24) < max(waits)  # timely and late ones
    assert all(wait >= timedelta(0) for wait in waits)
    assert any(i.answered_at is None for i in incidents)  # and threads never answered
    pothole = next(i for i in answered if "vk:-210001:25101" in i.post_ids or any(
        a["to"] == "vk:-210001:25101" for a in i.answers))
    assert pothole.answers[0]["body"] == "Администрация города Приреченска"
