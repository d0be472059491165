"""Item pipelines, in order: validate and normalise → drop the excluded (``exclude``: what
``monitor forget`` erased) → de-duplicate → language → (detect, when
``DETECTOR_ENABLED``) → store. Each is a Scrapy item pipeline with ``process_item``; the detector
scores batches off the reactor (``batching``), the store writes batches on its own thread."""
