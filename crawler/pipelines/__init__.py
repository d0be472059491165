"""Item pipelines, in order: validate and normalise → de-duplicate → language → (detect, when
``DETECTOR_ENABLED``) → store. Each is a Scrapy item pipeline with ``process_item``; the detector
scores batches off the reactor (``batching``), the store writes batches on its own thread."""
