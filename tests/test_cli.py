"""`monitor search` on a crawled store, and `scrapy crawl` as Scrapy users run it."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def monitor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_search_finds_russian_word_forms_in_a_crawled_store(crawl):
    result = crawl("vk_admin", "rss_gov")
    store = f"sqlite:///{result.store_path}"
    forms = monitor("search", "водой", "--json", "--limit", "500", "--store", store)
    assert forms.returncode == 0, forms.stderr
    texts = [json.loads(line)["text"].lower() for line in forms.stdout.splitlines()]
    assert texts and all("вод" in t for t in texts)
    assert {"вода", "воды"} & {w.strip(".,!?:;»«()") for t in texts for w in t.split()}


def test_search_narrows_by_source_platform_and_age(crawl):
    result = crawl("vk_admin", "rss_gov")
    store = f"sqlite:///{result.store_path}"
    rss = monitor("search", "--platform", "rss", "--since", "30d", "--json", "--limit", "100", "--store", store)
    assert {json.loads(line)["platform"] for line in rss.stdout.splitlines()} == {"rss"}
    table = monitor("search", "вода", "--source", "vk_admin", "--store", store)
    assert table.returncode == 0 and "found" in table.stdout.splitlines()[0]
    assert "vk_admin" in table.stdout and "rss_gov" not in table.stdout


def test_a_bad_since_is_a_usage_error():
    proc = monitor("search", "вода", "--since", "вчера")
    assert proc.returncode == 2 and "expected an ISO date" in proc.stderr


def test_scrapy_crawl_runs_a_spider_for_one_source(site, tmp_path):
    store = tmp_path / "scrapy.db"
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "rss", "-a", "source=atom_mchs",
         "-s", f"WATCHLIST_BASE_URL={site.base}", "-s", f"INDEXER_STORE_URL=sqlite:///{store}",
         "-s", f"INDEXER_SPOOL_DIR={tmp_path / 'spool'}"],
        capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "'source/atom_mchs/posts'" in proc.stderr
    found = monitor("search", "--source", "atom_mchs", "--json", "--store", f"sqlite:///{store}")
    assert len(found.stdout.splitlines()) >= 8


def test_search_results_show_a_titled_post_with_its_text(capsys):
    from datetime import datetime, timezone

    from indexer.schema import Post
    from monitor.output import print_posts

    post = Post(id="rss:rss_gov:1", platform="rss", source_id="rss_gov", kind="post",
                title="Авария на водоводе", text="Подвоз воды организован", created_at=datetime.now(timezone.utc))
    print_posts([post], 1)
    assert "Авария на водоводе. Подвоз воды организован" in capsys.readouterr().out
