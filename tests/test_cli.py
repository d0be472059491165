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
         "-s", f"INDEXER_SPOOL_DIR={tmp_path / 'spool'}", "-s", "CRAWLER_ALLOW_NETWORKS=127.0.0.0/8"],
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


def test_search_results_show_a_reposts_original(capsys):
    from datetime import datetime, timezone

    from indexer.schema import Author, Origin, Post
    from monitor.output import print_posts

    post = Post(id="vk:10:41", platform="vk", source_id="vk_real", kind="post", text="Смотрите",
                created_at=datetime.now(timezone.utc), origin=Origin(
                    "vk:-7:70", Author("-7", "Подслушано"), None, "https://vk.com/wall-7_70", "Нет воды\nна Речной"))
    print_posts([post], 1)
    assert "  Смотрите\n  ↪ Подслушано: Нет воды на Речной  https://vk.com/wall-7_70\n" in capsys.readouterr().out


def test_commands_work_from_any_working_directory(tmp_path):
    """The installed `monitor` reads its shipped files (models, staff files, the demo watchlist)
    through the package, not relative to where it is run."""
    lines = [{"id": "1", "text": "Третий день нет горячей воды на ул. Речной, 14. Куда звонить?"},
             {"id": "2", "text": "Спасибо за новую площадку во дворе!"}]
    scored = subprocess.run([sys.executable, "-m", "monitor", "score"], cwd=tmp_path, capture_output=True, text=True,
                            input="".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), timeout=120)
    assert scored.returncode == 0, scored.stderr
    first, second = (json.loads(line) for line in scored.stdout.splitlines())
    assert first["is_complaint"] and first["sector"] == "housing" and first["territory"]["street"] == "ул. Речная"
    assert not second["is_complaint"]
    searched = subprocess.run([sys.executable, "-m", "monitor", "search", "вода"], cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)
    assert searched.returncode == 0 and "0 found in sqlite:///var/monitor.db" in searched.stdout, searched.stderr
    assert (tmp_path / "var" / "monitor.db").exists()  # the default store is the working directory's own


def test_a_configured_file_that_does_not_exist_is_named_not_replaced(tmp_path):
    done = subprocess.run([sys.executable, "-m", "monitor", "score", "-s", "DETECTOR_ROUTING=nowhere.yml"],
                          cwd=tmp_path, capture_output=True, text=True, input='{"id": "1", "text": "т"}\n', timeout=120)
    assert done.returncode == 2 and "DETECTOR_ROUTING=nowhere.yml: no such file" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_spider_runs_with_no_store_at_all(site, tmp_path):
    """Spiders are given their state; with the state and health components and the store pipeline
    off, a crawl reads each source's first-crawl window and hands its items to whatever pipeline or
    feed is set."""
    pipelines = '{"crawler.pipelines.validate.ValidatePipeline": 100, "crawler.pipelines.dedup.DedupPipeline": 200}'
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "rss", "-a", "source=atom_mchs", "-O", str(tmp_path / "items.jsonl"),
         "-s", f"WATCHLIST_BASE_URL={site.base}", "-s", "CRAWLER_STATE_ENABLED=False", "-s", f"ITEM_PIPELINES={pipelines}",
         "-s", "SOURCES_HEALTH_ENABLED=False", "-s", "CRAWLER_ALLOW_NETWORKS=127.0.0.0/8",
         "-s", f"INDEXER_STORE_URL=sqlite:///{tmp_path / 'never' / 'monitor.db'}"],
        capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    items = [json.loads(line) for line in (tmp_path / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(items) >= 8 and {item["source_id"] for item in items} == {"atom_mchs"}
    assert not (tmp_path / "never").exists()  # no store was opened
