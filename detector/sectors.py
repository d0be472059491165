"""The sectors of the routing queues, defined once: the ``sectors:`` list of ``sectors.yml``
(``watchlists/sectors.yml``, or the file setting ``DETECTOR_SECTORS`` names). Each has a code (what
posts and incidents carry), a Russian name (queue and crisis titles) and the groups of the ЦУР
incident taxonomy it covers. The lexicon, crisis titles, ``monitor queue --sector``, ``monitor
check --sectors`` and the Kibana routing queues all read them here.

    sectors = load_sectors(config.sectors_file())
    names = {s.code: s.name for s in sectors}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from detector.config import staff_file
from detector.files import Source, as_file
from detector.staff.sectors import SectorsFile, read_sectors


@dataclass(frozen=True)
class Sector:
    code: str
    name: str
    groups: tuple[str, ...] = ()  # ``maps_to``: groups of the ЦУР incident taxonomy
    topics: tuple[str, ...] = ()  # finer taxonomy topics taken even when their group is another sector's


def sectors_of(spec: SectorsFile) -> tuple[Sector, ...]:
    """The sectors a validated ``sectors.yml`` defines, in its order (the models' class order)."""
    return tuple(Sector(s.code, s.name, tuple(s.maps_to), tuple(s.topics)) for s in spec.sectors)


def load_sectors(source: Source | None = None) -> tuple[Sector, ...]:
    """The sectors of ``source`` (None: the shipped ``watchlists/sectors.yml``), read once per file
    and version of it (the scheduler's runs see an edited file)."""
    file = as_file(source) if source is not None else staff_file("sectors.yml")
    key = (str(file), file.stat().st_mtime_ns if isinstance(file, Path) else None)
    if key not in _LOADED:
        _LOADED[key] = sectors_of(read_sectors(file))
    return _LOADED[key]


_LOADED: dict[tuple[str, int | None], tuple[Sector, ...]] = {}
