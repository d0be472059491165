"""Item pipelines, in order: validate and normalise → de-duplicate → language → store.

The detector stage will sit between language and store (the detector issue); nothing stands in
for it here.
"""
