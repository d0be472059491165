"""``monitor web``: the staff workspace in the browser, served by uvicorn at ``WEB_HOST:WEB_PORT``.

The web framework and the server are imported only when the command runs, so ``monitor --help``
and the other commands start without them.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from monitor.common import UsageError, add_settings, add_store, open_store, settings, store_name

if TYPE_CHECKING:
    from monitor.settings import ProjectSettings
    from web.state import Workspace


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    web = sub.add_parser("web", help="serve the staff workspace (queues, incidents, fact-checks, search) in the browser")
    web.add_argument("--host", help="address to bind (setting WEB_HOST, default 127.0.0.1: this machine only)")
    web.add_argument("--port", type=int, help="port (setting WEB_PORT, default 8080)")
    add_store(web)
    add_settings(web)
    web.set_defaults(run=run_web)


def run_web(args: argparse.Namespace) -> int:
    import uvicorn

    from web import create_app

    config = settings(args)
    if args.host:
        config = _with(config, WEB_HOST=args.host)
    if args.port is not None:
        config = _with(config, WEB_PORT=args.port)
    ws = workspace(config)
    try:
        if not ws.accounts.users():
            print(f"no accounts in {ws.config.users_file} yet: `monitor users add NAME --role admin` makes one")
        print(f"workspace: http://{ws.config.host}:{ws.config.port}/ over {store_name(config)}", flush=True)
        uvicorn.run(create_app(ws), host=ws.config.host, port=ws.config.port, log_level="warning")
    finally:
        ws.store.close()
        ws.accounts.close()
    return 0


def workspace(config: ProjectSettings) -> Workspace:
    """The store, the accounts file and the staff's files the app works over."""
    from detector.config import DetectorConfig
    from detector.reports.config import ReportConfig
    from detector.sectors import load_sectors
    from detector.staff.territories import municipality_names
    from web import Accounts, WebConfig, WebError, Workspace

    try:
        web_config = WebConfig.from_settings(config)
        accounts = Accounts(web_config.users_file)
    except WebError as exc:
        raise UsageError(str(exc)) from exc
    detector = DetectorConfig.from_settings(config)
    towns = frozenset(municipality_names(detector.territories_dir()))
    sectors = tuple(sector.code for sector in load_sectors(detector.sectors_file()))
    return Workspace(open_store(config), accounts, web_config, detector, towns, sectors,
                     report=ReportConfig.from_settings(config))


def _with(config: ProjectSettings, **values: object) -> ProjectSettings:
    from monitor.settings import ProjectSettings

    return ProjectSettings({**config, **values})
