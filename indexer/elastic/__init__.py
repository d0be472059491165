"""The Elasticsearch backend: the store, the index layout and its templates, the Kibana objects."""

from indexer.elastic.layout import MAPPING_VERSION, Layout, install
from indexer.elastic.store import ElasticsearchStore

__all__ = ["MAPPING_VERSION", "ElasticsearchStore", "Layout", "install"]
