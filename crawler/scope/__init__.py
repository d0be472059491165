"""The crawl's scope: which URLs, hosts and addresses a crawl may reach, checked where it connects.

``policy`` (pure: addresses and hosts), ``resolver`` (the Twisted name resolver that drops refused
answers, so the address checked is the address connected to), ``middleware`` (scheme, host and
every redirect hop, the download cap; refusals counted per source), ``browser`` (the same check on
every request a rendered page makes).
"""

from __future__ import annotations

from crawler.scope.policy import AddressPolicy, ScopeConfig, host_of

__all__ = ["AddressPolicy", "ScopeConfig", "host_of"]
