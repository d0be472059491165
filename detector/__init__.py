"""The incident detector: complaints, fakes and threats, incidents and crises. A library: it
imports nothing of Scrapy, of the crawler or of the CLI.

    from detector import Detector, DetectorConfig, run_detect
    from indexer import open_store

    config = DetectorConfig.from_settings({"DETECTOR_THRESHOLD": 0.6})
    store = open_store("sqlite:///var/monitor.db")
    print(run_detect(store, config).summary())

The names below are imported when first used, so importing one part of the package (the
lemmatiser, the gazetteer) does not load scikit-learn and the models.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from detector.exceptions import (
    ConfigError,
    DataError,
    DetectorError,
    IncompatibleModel,
    MissingFileError,
    ModelError,
    ReportError,
    ReviewError,
    StaffFileError,
)

if TYPE_CHECKING:
    from detector.config import DetectorConfig
    from detector.incidents.lifecycle import Change
    from detector.jobs.detect import DetectReport, run_detect
    from detector.jobs.queues import change_incident, export_reviews, list_queue, record_verdict, set_status
    from detector.jobs.score import score_stream
    from detector.jobs.spikes import SpikesReport, run_spikes, spikes_in_records
    from detector.scoring import Detector

__all__ = ["Change", "ConfigError", "DataError", "DetectReport", "Detector", "DetectorConfig", "DetectorError",
           "IncompatibleModel", "MissingFileError", "ModelError", "ReportError", "ReviewError", "SpikesReport",
           "StaffFileError",
           "change_incident", "export_reviews", "list_queue", "record_verdict", "run_detect", "run_spikes",
           "score_stream", "set_status", "spikes_in_records"]

_LAZY = {"Detector": "detector.scoring", "DetectorConfig": "detector.config",
         "DetectReport": "detector.jobs.detect", "run_detect": "detector.jobs.detect",
         "SpikesReport": "detector.jobs.spikes", "run_spikes": "detector.jobs.spikes",
         "spikes_in_records": "detector.jobs.spikes", "score_stream": "detector.jobs.score",
         "list_queue": "detector.jobs.queues", "set_status": "detector.jobs.queues",
         "record_verdict": "detector.jobs.queues", "export_reviews": "detector.jobs.queues",
         "change_incident": "detector.jobs.queues", "Change": "detector.incidents.lifecycle"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'detector' has no attribute {name!r}")
