"""The detector's jobs over a store: what ``monitor``, the scheduler and the tests run.

``detect`` (score new posts, cluster, fact-check, group into incidents), ``spikes`` (emerging
crises), ``queues`` (what staff do with the queues) and ``score`` (JSON Lines in, scores out).
Each takes an open store and a :class:`~detector.config.DetectorConfig` and returns a report;
none prints.
"""
