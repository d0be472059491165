"""The demo region's watchlist and the staff files the detector reads by default (sectors, routing,
territories, narratives, fakes), shipped with the package so that every command finds them from
any working directory. A region's own files are named by settings (``WATCHLIST``,
``DETECTOR_SECTORS``, ...); see each file's header for how staff edit it.
"""
