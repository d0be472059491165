"""A name resolver for crawls in tests: test names answer the addresses a test plays, nothing else.

``TWISTED_DNS_RESOLVER = "tests.support.names.PlayedResolver"`` with ``PLAYED_NAMES`` (name ->
address): "internal" targets are played by names that answer a private address (the crawl scope
must refuse it; were it broken, the network guard stops the connect) or a loopback alias such as
127.0.0.2 that a recording server listens on, while ``CRAWLER_ALLOW_NETWORKS`` names only the
site's 127.0.0.1. Address literals answer themselves; any other name answers nothing, so no crawl
in a test asks the real DNS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution
from zope.interface import implementer

from crawler.scope.policy import parse_address

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.interfaces import IResolutionReceiver


@implementer(IHostResolution)
class _Done:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        """Answered at once."""


@implementer(IHostnameResolver)
class PlayedResolver:
    def __init__(self, reactor: Any, names: dict[str, str]) -> None:
        self.reactor = reactor
        self.names = {"localhost": "127.0.0.1", **names}

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> PlayedResolver:
        return cls(reactor, {str(k): str(v) for k, v in crawler.settings.getdict("PLAYED_NAMES").items()})

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(self, resolutionReceiver: IResolutionReceiver, hostName: str,  # noqa: N802, N803
                        portNumber: int = 0, addressTypes: Any = None,  # noqa: N803
                        transportSemantics: str = "TCP") -> IHostResolution:  # noqa: N803
        resolution = _Done(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        answer = hostName if parse_address(hostName) is not None else self.names.get(hostName.lower())
        if answer is not None:
            kind = IPv6Address if ":" in answer else IPv4Address
            resolutionReceiver.addressResolved(kind("TCP", answer, portNumber))
        resolutionReceiver.resolutionComplete()
        return resolution
