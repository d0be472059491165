"""What every request works with: the store, the accounts file, the settings, the staff's files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from detector.reports.config import ReportConfig
from indexer.schema import utcnow

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection

    from detector.config import DetectorConfig
    from indexer.store import Store
    from web.accounts import Accounts
    from web.config import WebConfig


@dataclass
class Workspace:
    """Handed to the app once (``create_app``), read by handlers through :func:`workspace`."""

    store: Store
    accounts: Accounts
    config: WebConfig
    detector: DetectorConfig
    towns: frozenset[str] = frozenset()  # the region's towns: a territory filter is a town or a district
    sectors: tuple[str, ...] = ()  # the sector codes of sectors.yml, for the filters
    clock: Callable[[], datetime] = field(default=utcnow)
    report: ReportConfig = field(default_factory=ReportConfig)  # where the weekly reports are, how they are made


def workspace(connection: ASGIConnection[Any, Any, Any, Any]) -> Workspace:
    found: Workspace = connection.app.state.workspace
    return found
