"""Test doubles of the services the product talks to: Elasticsearch, Kibana, any HTTP receiver.

They behave like the real services where the product depends on it, and live here, not in the
product: nothing outside ``tests/`` and ``bench/`` imports them.
"""
