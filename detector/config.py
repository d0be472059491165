"""The detector's configuration, read once from settings, and where its files are.

:class:`DetectorConfig` holds every ``DETECTOR_*``, ``FAKES_*``, ``CLUSTERS_*``, ``INCIDENTS_*``, ``ANSWERS_*``
and ``FACTCHECK_*`` setting the detector and its jobs read; ``DetectorConfig.from_settings``
takes Scrapy settings or any mapping. Its defaults are ``crawler/settings.py``'s (a test keeps them
equal). A file setting left empty means the file of that name in ``DETECTOR_FILES_DIR`` when it is set
(a region's own folder of staff files), else the one shipped with the package (the demo region's
staff files in ``watchlists/``, the models in ``detector/models/``); a file setting that names a
path which does not exist is an error naming both, never a silent fallback.

    config = DetectorConfig.from_settings({"DETECTOR_THRESHOLD": 0.6})
    detector = Detector.from_config(config)
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping

from detector.exceptions import ConfigError, MissingFileError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from detector.crises.detect import SpikeConfig
    from detector.incidents.sinks import TelegramSink, WebhookSink

NONE = "none"  # DETECTOR_MODEL / FAKES_MODEL = none: no trained model, the lexicon alone


def staff_file(name: str) -> Traversable:
    """A staff file shipped with the package (``watchlists/<name>``): the demo region's."""
    return files("watchlists") / name


def model_file(name: str) -> Traversable:
    """A model shipped with the package (``detector/models/<name>``)."""
    return files("detector") / "models" / name


def locate(setting: str, value: Any, default: Traversable | None) -> Traversable | None:
    """The file a setting names: ``default`` when it is empty, None when it is ``none``, else
    the path, which must exist."""
    text = str(value or "").strip()
    if not text:
        return default
    if text.lower() == NONE:
        return None
    path = Path(text).expanduser()
    if not path.exists():
        raise MissingFileError(setting, text)
    return path


@dataclass(frozen=True)
class Webhook:
    """Where new incidents or crises are POSTed, and the outbox they wait in until accepted."""

    url: str
    outbox: str
    retries: int = 5
    backoff: float = 1.0

    def sink(self) -> WebhookSink:
        """The sink that POSTs to this webhook through its outbox."""
        from detector.incidents.sinks import WebhookSink

        return WebhookSink(self.url, self.outbox, retries=self.retries, backoff=self.backoff)


@dataclass(frozen=True)
class TelegramChat:
    """A Telegram chat that gets each new crisis from a bot; the token comes from the environment."""

    api_url: str
    token: str = field(repr=False)
    chat_id: str = ""
    outbox: str = "var/outbox/crises-telegram.jsonl"
    retries: int = 5
    backoff: float = 1.0

    def sink(self, kind: type[TelegramSink] | None = None) -> TelegramSink:
        """The sink that sends to this chat: a :class:`TelegramSink`, or ``kind`` of one."""
        from detector.incidents.sinks import TelegramSink

        return (kind or TelegramSink)(self.api_url, self.token, self.chat_id, self.outbox, retries=self.retries,
                                      backoff=self.backoff)


@dataclass(frozen=True)
class DetectorConfig:
    """Everything the detector and its jobs are configured by (see ``crawler/settings.py``)."""

    # files: empty = shipped with the package, "none" = not used (models, the fake lexicon)
    files_dir: str = ""  # a folder of staff files by their usual names (sectors.yml, routing.yml, ...)
    sectors: str = ""
    territories: str = ""
    routing: str = ""
    model: str = ""
    vectors: str = ""
    fakes_lexicon: str = ""
    fakes_model: str = ""
    registry: str = ""
    # thresholds and windows
    threshold: float = 0.6
    fakes_threshold: float = 0.35
    fakes_spread_hours: float = 6.0
    fakes_spread_sources: int = 3
    factcheck_deadline_hours: float = 1.0
    clusters_threshold: float = 0.5
    clusters_containment: float = 0.8
    incidents_window_hours: float = 72.0
    incidents_reopen_hours: float = 0.0  # a repeat within this long of closing reopens; else a new incident, linked
    answers_target_hours: float = 24.0  # an official answer is due within this long of the citizen's post
    max_posts: int = 200_000
    # where new incidents and crises go
    incidents_webhook: Webhook | None = None
    spikes_webhook: Webhook | None = None
    spikes_telegram: TelegramChat | None = None
    spikes: Mapping[str, Any] = field(default_factory=dict)  # the SPIKES_* settings

    SETTINGS: ClassVar[dict[str, str]] = {"files_dir": "DETECTOR_FILES_DIR", "sectors": "DETECTOR_SECTORS", "territories": "DETECTOR_TERRITORIES",
                "routing": "DETECTOR_ROUTING", "model": "DETECTOR_MODEL", "vectors": "DETECTOR_VECTORS",
                "fakes_lexicon": "FAKES_LEXICON", "fakes_model": "FAKES_MODEL", "registry": "FAKES_REGISTRY",
                "threshold": "DETECTOR_THRESHOLD", "fakes_threshold": "FAKES_THRESHOLD",
                "fakes_spread_hours": "FAKES_SPREAD_HOURS", "fakes_spread_sources": "FAKES_SPREAD_SOURCES",
                "factcheck_deadline_hours": "FACTCHECK_DEADLINE_HOURS",
                "clusters_threshold": "CLUSTERS_THRESHOLD", "clusters_containment": "CLUSTERS_CONTAINMENT",
                "incidents_window_hours": "INCIDENTS_WINDOW_HOURS", "incidents_reopen_hours": "INCIDENTS_REOPEN_HOURS",
                "max_posts": "DETECTOR_MAX_POSTS", "answers_target_hours": "ANSWERS_TARGET_HOURS"}

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> DetectorConfig:
        """The configuration from Scrapy settings or a plain mapping (missing names keep the
        defaults); ``overrides`` replace single fields (``threshold=0.6``)."""
        get = _getter(settings)
        values: dict[str, Any] = {}
        types = {f.name: f.type for f in fields(cls)}
        for name, setting in cls.SETTINGS.items():
            raw = get(setting)
            if raw is None:
                continue
            values[name] = _convert(setting, raw, types[name])
        values["incidents_webhook"] = _webhook(get, "INCIDENTS_WEBHOOK_URL", "INCIDENTS_OUTBOX")
        values["spikes_webhook"] = _webhook(get, "SPIKES_WEBHOOK_URL", "SPIKES_OUTBOX")
        token, chat = get("SPIKES_TELEGRAM_TOKEN"), get("SPIKES_TELEGRAM_CHAT_ID")
        if token and chat:
            retries, backoff = _retries(get)
            values["spikes_telegram"] = TelegramChat(
                str(get("SPIKES_TELEGRAM_API_URL") or "https://api.telegram.org/"), str(token), str(chat),
                str(get("SPIKES_TELEGRAM_OUTBOX") or "var/outbox/crises-telegram.jsonl"), retries, backoff)
        values["spikes"] = {name: get(name) for name in _SPIKES if get(name) is not None}
        values.update(overrides)
        config = cls(**values)
        config.check()
        return config

    def check(self) -> None:
        """Refuse values no run could use, naming the setting."""
        for name in ("threshold", "fakes_threshold", "clusters_threshold", "clusters_containment"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ConfigError(f"{self.SETTINGS[name]}={value}: expected a number from 0 to 1")
        if self.answers_target_hours <= 0:
            raise ConfigError(f"ANSWERS_TARGET_HOURS={self.answers_target_hours}: expected a positive number of hours")
        if self.incidents_reopen_hours < 0:
            raise ConfigError(f"INCIDENTS_REOPEN_HOURS={self.incidents_reopen_hours}: expected 0 (never) or more hours")
        for name in ("fakes_spread_hours", "factcheck_deadline_hours", "incidents_window_hours"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{self.SETTINGS[name]}={getattr(self, name)}: expected a positive number of hours")
        if self.max_posts < 1 or self.fakes_spread_sources < 1:
            raise ConfigError(f"DETECTOR_MAX_POSTS and FAKES_SPREAD_SOURCES must be at least 1, got "
                              f"{self.max_posts} and {self.fakes_spread_sources}")

    # -- the files, resolved ---------------------------------------------------------------

    def staff_file(self, name: str) -> Traversable:
        """A staff file by its usual name: in ``DETECTOR_FILES_DIR`` when set, else shipped."""
        if not self.files_dir:
            return staff_file(name)
        folder = locate("DETECTOR_FILES_DIR", self.files_dir, None)
        assert folder is not None
        return folder / name

    def sectors_file(self) -> Traversable:
        return _required(locate("DETECTOR_SECTORS", self.sectors, self.staff_file("sectors.yml")), "DETECTOR_SECTORS")

    def territories_dir(self) -> Traversable:
        return _required(locate("DETECTOR_TERRITORIES", self.territories, self.staff_file("territories")),
                         "DETECTOR_TERRITORIES")

    def routing_file(self) -> Traversable:
        return _required(locate("DETECTOR_ROUTING", self.routing, self.staff_file("routing.yml")), "DETECTOR_ROUTING")

    def model_file(self) -> Traversable | None:
        return locate("DETECTOR_MODEL", self.model, model_file("complaints.npz"))

    def vectors_file(self) -> Path | None:
        """None: the word vectors inside natasha's package (navec reads a file, not a resource)."""
        found = locate("DETECTOR_VECTORS", self.vectors, None)
        return Path(str(found)) if found is not None else None

    def fakes_lexicon_file(self) -> Traversable | None:
        """None (``FAKES_LEXICON=none``): no fake score at all."""
        return locate("FAKES_LEXICON", self.fakes_lexicon, self.staff_file("fakes.yml"))

    def fakes_model_file(self) -> Traversable | None:
        return locate("FAKES_MODEL", self.fakes_model, model_file("fakes.npz"))

    def registry_file(self) -> Traversable | None:
        return locate("FAKES_REGISTRY", self.registry, self.staff_file("narratives.yml"))

    def check_files(self) -> None:
        """Resolve every file setting: a configured path that does not exist raises here."""
        self.sectors_file(), self.territories_dir(), self.routing_file(), self.model_file(), self.vectors_file()
        self.fakes_lexicon_file(), self.fakes_model_file(), self.registry_file()

    def spike_config(self, **overrides: Any) -> SpikeConfig:
        from detector.crises.detect import SpikeConfig

        return SpikeConfig.from_settings(self.spikes, **overrides)


_SPIKES = ("SPIKES_ALERTS_PER_WEEK", "SPIKES_ALPHA", "SPIKES_ALPHA_FIRST", "SPIKES_BUCKET", "SPIKES_COOLDOWN_HOURS",
           "SPIKES_HISTORY_DAYS", "SPIKES_MIN_COUNT", "SPIKES_STORIES", "SPIKES_STORY_HOURS", "SPIKES_WINDOWS")


def _required(found: Traversable | None, setting: str) -> Traversable:
    if found is None:
        raise ConfigError(f"{setting}=none: this file cannot be left out")
    return found


def _getter(settings: Any) -> Callable[[str], Any]:
    if settings is None:
        return lambda name: None
    return lambda name: settings.get(name)


def _convert(setting: str, raw: Any, kind: Any) -> Any:
    kind = str(kind)
    try:
        if kind == "float":
            return float(raw)
        if kind == "int":
            return int(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{setting}={raw!r}: expected a {'number' if kind == 'float' else 'whole number'}") from exc
    return "" if raw is None else str(raw)


def _webhook(get: Callable[[str], Any], url_setting: str, outbox_setting: str) -> Webhook | None:
    url = get(url_setting)
    if not url:
        return None
    retries, backoff = _retries(get)
    return Webhook(str(url), str(get(outbox_setting) or f"var/outbox/{outbox_setting.lower()}.jsonl"),
                   retries, backoff)


def _retries(get: Callable[[str], Any]) -> tuple[int, float]:
    """Every sink's retries and first backoff (``INCIDENTS_WEBHOOK_RETRIES``, ``_BACKOFF``)."""
    retries, backoff = get("INCIDENTS_WEBHOOK_RETRIES"), get("INCIDENTS_WEBHOOK_BACKOFF")
    return (int(retries) if retries is not None else 5, float(backoff) if backoff is not None else 1.0)
