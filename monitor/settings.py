"""The project's settings for the commands that do not crawl: ``crawler/settings.py``'s defaults,
then ``-s NAME=VALUE``, ``--store`` and ``--watchlist``.

Scrapy's own ``Settings`` would cost every command ~0.7 s of imports before it does anything, so
the commands that only read a store or run the detector use this mapping, which reads values the
way Scrapy's ``get*`` methods do; ``monitor crawl`` and the scheduler's runs use Scrapy's.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Mapping


class ProjectSettings(Mapping[str, Any]):
    """Settings by name, with Scrapy's ``getbool``/``getint``/``getfloat``/``getlist``/``getdict``."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def getbool(self, name: str, default: bool = False) -> bool:
        value = self.get(name, default)
        if isinstance(value, str):
            if value.lower() in ("true", "1", "yes", "on"):
                return True
            if value.lower() in ("false", "0", "no", "off", ""):
                return False
            raise ValueError(f"{name}={value!r}: expected true or false")
        return bool(value)

    def getint(self, name: str, default: int = 0) -> int:
        return int(self.get(name, default))

    def getfloat(self, name: str, default: float = 0.0) -> float:
        return float(self.get(name, default))

    def getlist(self, name: str, default: list[Any] | None = None) -> list[Any]:
        value = self.get(name, default or [])
        if isinstance(value, str):
            return [part for part in value.split(",") if part]
        return list(value or [])

    def getdict(self, name: str, default: dict[str, Any] | None = None) -> dict[str, Any]:
        value = self.get(name, default or {})
        if isinstance(value, str):
            value = json.loads(value)
        return dict(value)


def load_settings(overrides: Mapping[str, Any] | None = None) -> ProjectSettings:
    """The defaults of ``crawler/settings.py`` with ``overrides`` on top."""
    import crawler.settings as defaults

    values = {name: getattr(defaults, name) for name in dir(defaults) if name.isupper()}
    values.update(overrides or {})
    return ProjectSettings(values)
