"""Emerging crises: spikes of posts per sector × territory (or per cluster), explained.

``series`` counts and keys, ``baseline`` (rhythm and level), ``detect`` (the detector and its
settings), ``explain`` (why: words, streets, posts, sources), ``rules`` (the vendors' rules),
``synthetic`` and ``evaluation`` (``monitor eval spikes``), ``crises`` (alerts → incidents).
"""

from detector.crises.detect import Alert, SpikeConfig, SpikeDetector
from detector.crises.series import Counts, SeriesKey

__all__ = ["Alert", "Counts", "SeriesKey", "SpikeConfig", "SpikeDetector"]
