"""The crawler's name resolver: DNS answers the crawl scope refuses never reach a connection.

Twisted connects to what the reactor's name resolver hands to ``HostnameEndpoint`` (address
literals included), so an address judged here is the address connected to: a name that answers
a public address when checked and ``127.0.0.1`` when connected (DNS rebinding) has no second
lookup to play. Refused answers are dropped; a name left with none fails as a DNS error, and the
:class:`~crawler.scope.middleware.ScopeMiddleware` asks :meth:`ScopedResolver.refusal` to count it
as a refusal. It wraps whichever resolver was installed before it.

Settings: ``TWISTED_DNS_RESOLVER`` names it; ``CRAWLER_ALLOW_NETWORKS``, ``CRAWLER_HOSTS``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.utils.datatypes import LocalCache
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer, provider  # type: ignore[import-untyped]

from crawler.scope.policy import ScopeConfig, parse_address

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scrapy.crawler import Crawler
    from twisted.internet.interfaces import IAddress

    from crawler.scope.policy import AddressPolicy

logger = logging.getLogger(__name__)


@implementer(IHostResolution)
class _Pinned:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        """Nothing to cancel: a pinned name answers at once."""


@provider(IResolutionReceiver)
class _Screen:
    """Passes on the answers the policy allows; notes the refused ones for the middleware."""

    def __init__(self, receiver: Any, name: str, resolver: ScopedResolver) -> None:
        self.receiver = receiver
        self.name = name
        self.resolver = resolver

    def resolutionBegan(self, resolution: Any) -> None:  # noqa: N802 (Twisted's name)
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: Any) -> None:  # noqa: N802
        host = str(getattr(address, "host", ""))
        reason = self.resolver.policy.refusal(host)
        if reason is None:
            self.receiver.addressResolved(address)
        else:
            self.resolver.refused(self.name, host, reason)

    def resolutionComplete(self) -> None:  # noqa: N802
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class ScopedResolver:
    """Resolves through the resolver installed before it (or ``CRAWLER_HOSTS``) and drops every
    answer the :class:`AddressPolicy` refuses."""

    def __init__(self, reactor: Any, policy: AddressPolicy, hosts: dict[str, str]) -> None:
        self.reactor = reactor
        self.policy = policy
        self.hosts = hosts
        inner = reactor.nameResolver
        self.inner: Any = inner.inner if isinstance(inner, ScopedResolver) else inner
        self._refused: LocalCache[str, tuple[str, str]] = LocalCache(1000)

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> ScopedResolver:
        config = ScopeConfig.from_settings(crawler.settings)
        return cls(reactor, config.policy, config.hosts)

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(self, resolutionReceiver: Any, hostName: str,  # noqa: N802, N803
                        portNumber: int = 0, addressTypes: Sequence[type[IAddress]] | None = None,  # noqa: N803
                        transportSemantics: str = "TCP") -> Any:  # noqa: N803
        screen = _Screen(resolutionReceiver, hostName, self)
        pinned = self.hosts.get(hostName.lower().rstrip("."))
        if pinned is None and parse_address(hostName) is not None:
            pinned = hostName  # an address answers itself at once: no trip through a DNS thread
        if pinned is None:
            return self.inner.resolveHostName(screen, hostName, portNumber, addressTypes,
                                              transportSemantics)
        resolution = _Pinned(hostName)
        screen.resolutionBegan(resolution)
        kind = IPv6Address if parse_address(pinned).version == 6 else IPv4Address  # type: ignore[union-attr]
        screen.addressResolved(kind("TCP", pinned, portNumber))
        screen.resolutionComplete()
        return resolution

    def refused(self, name: str, address: str, reason: str) -> None:
        self._refused[name.lower().rstrip(".")] = (address, reason)
        logger.warning("crawl scope: %s resolves to %s (%s): refused", name, address, reason)

    def refusal(self, host: str) -> tuple[str, str] | None:
        """The address and reason the last lookup of ``host`` was refused for, if it was."""
        return self._refused.get(host.lower().rstrip("."))


def installed(reactor: Any) -> ScopedResolver | None:
    """The reactor's :class:`ScopedResolver`, if it has one."""
    resolver = getattr(reactor, "nameResolver", None)
    return resolver if isinstance(resolver, ScopedResolver) else None
