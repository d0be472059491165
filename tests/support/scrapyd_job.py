"""A scrapyd job run from the project's egg alone; tests/test_egg.py runs this file's text with ``python -c``.

    python -c "$(cat scrapyd_job.py)" crawl rss -a source=rss_gov -s NAME=VALUE ...
    python -c "$(cat scrapyd_job.py)" resources

As under scrapyd, the working directory holds the egg storage (``eggs/<project>/<version>.egg``)
and ``SCRAPY_PROJECT`` / ``SCRAPYD_EGG_VERSION`` name the egg. First every project checkout (a
directory with a ``scrapy.cfg``; the editable install puts one on ``sys.path``) leaves ``sys.path``,
so the project's packages can only come from the egg. ``crawl ...`` is then scrapyd's own runner
(``python -m scrapyd.runner crawl ...``, the command scrapyd's launcher starts); ``resources``
activates the egg as the runner does and reads each packaged file a crawl may read, printing what
it read as a line of JSON. At exit the job prints where the project's modules came from, as a
line of JSON after ``modules:``.
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import sys
from pathlib import Path
from typing import Any

PACKAGES = ("crawler", "detector", "indexer", "watchlists", "monitor", "replay", "tests")


def _modules() -> None:
    found = {name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())
             if name.split(".")[0] in PACKAGES}
    print("modules:", json.dumps(found), flush=True)


def _resources() -> dict[str, Any]:
    from crawler.watchlist import load_watchlist
    from detector.complaints.model import ComplaintModel
    from detector.config import model_file
    from detector.fakes.model import FakeModel
    from indexer.elastic.kibana import saved_objects
    from indexer.elastic.layout import COMPONENTS, SINGLE_INDEX, Layout

    layout = Layout()
    return {
        "watchlist": [s.id for s in load_watchlist(None).sources],
        "sectors": ComplaintModel.load(model_file("complaints.npz")).sector.classes,
        "fakes": FakeModel.load(model_file("fakes.npz")).classifier.classes,
        "templates": {name: sorted(layout.render(name)) for name in
                      ("ilm-posts", *COMPONENTS, "posts", *SINGLE_INDEX)},
        "kibana_objects": len(saved_objects("monitor").splitlines()),
    }


sys.path[:] = [p for p in sys.path if not (Path(p or ".") / "scrapy.cfg").is_file()]
atexit.register(_modules)
if sys.argv[1:2] == ["resources"]:
    from scrapyd.runner import project_environment

    with project_environment(os.environ["SCRAPY_PROJECT"]):
        print("resources:", json.dumps(_resources(), ensure_ascii=False), flush=True)
else:
    sys.argv[0] = "scrapyd.runner"
    runpy.run_module("scrapyd.runner", run_name="__main__", alter_sys=True)
