"""Which addresses and URLs a crawl may reach: the pure part of the crawl scope.

A public crawler must never be turned against the network it runs in: a page that links to
``http://10.0.0.5/``, a name that resolves to ``127.0.0.1`` or a redirect into
``169.254.169.254`` (the cloud's metadata service, which hands out credentials) must read nothing.
Everything that is not a global unicast address is refused, judged on the address an answer
carries (an IPv4 address inside IPv6 — mapped, 6to4, NAT64 — is judged as that IPv4 address),
unless ``CRAWLER_ALLOW_NETWORKS`` names its network. Metadata addresses are refused even then.

Settings: ``CRAWLER_ALLOW_NETWORKS``, ``CRAWLER_HOSTS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import TYPE_CHECKING, Union
from urllib.parse import urlsplit

from crawler.exceptions import SettingError

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

Address = Union[IPv4Address, IPv6Address]
Network = Union[IPv4Network, IPv6Network]

SCHEMES = frozenset({"http", "https"})
# Cloud metadata services (AWS, GCP, Azure, OpenStack; AWS over IPv6; Alibaba; AWS ECS tasks).
METADATA = frozenset(ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200",
                                             "169.254.170.2"))
_NAT64 = ip_network("64:ff9b::/96")
_CGNAT = ip_network("100.64.0.0/10")


def host_of(url: str) -> str:
    """The lower-case host of ``url`` without port or brackets ("" when it has none)."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:  # an unclosed IPv6 bracket
        return ""


def origin_of(url: str) -> str:
    """``scheme://host:port`` of ``url``, the port made explicit: what a credential is bound to."""
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    except ValueError:
        port = -1
    return f"{parts.scheme}://{host_of(url)}:{port}"


def parse_address(text: str) -> Address | None:
    """``text`` as an IP address (an IPv6 zone dropped), or None when it is a name."""
    try:
        return ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def _embedded(address: Address) -> Address:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), else the address itself."""
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return IPv4Address(int(address) & 0xFFFFFFFF)
    return address


@dataclass(frozen=True)
class AddressPolicy:
    """Refuses every address that is not global unicast, except in ``allowed`` networks.

    >>> AddressPolicy().refusal("10.1.2.3")
    'private'
    >>> AddressPolicy((ip_network("127.0.0.0/8"),)).refusal("::ffff:127.0.0.1") is None
    True
    """

    allowed: tuple[Network, ...] = ()

    def refusal(self, text: str) -> str | None:
        """Why ``text`` (an IP address) may not be reached, or None when it may."""
        address = parse_address(text)
        if address is None:
            return "not_an_address"
        inner = _embedded(address)
        if inner in METADATA or address in METADATA:
            return "metadata"
        if any(inner in net or address in net for net in self.allowed):
            return None
        return _kind(inner) or _kind(address)


def _kind(address: Address) -> str | None:
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link_local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, IPv4Address) and address in _CGNAT:
        return "cgnat"
    if address.is_private:
        return "private"
    if address.is_reserved or not address.is_global:
        return "reserved"
    return None


@dataclass(frozen=True)
class ScopeConfig:
    """The crawl scope's settings, read and checked once.

    ``policy`` judges addresses; ``hosts`` pins names to addresses (``CRAWLER_HOSTS``: no DNS
    asked for them, in the crawler and in the browser alike), judged by the same policy.
    """

    policy: AddressPolicy = field(default_factory=AddressPolicy)
    hosts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ScopeConfig:
        networks = []
        for text in settings.getlist("CRAWLER_ALLOW_NETWORKS"):
            try:
                networks.append(ip_network(text.strip(), strict=False))
            except ValueError as exc:
                raise SettingError(f"CRAWLER_ALLOW_NETWORKS: expected networks such as 127.0.0.0/8, "
                                   f"got {text!r}") from exc
        hosts = {}
        for name, text in settings.getdict("CRAWLER_HOSTS").items():
            if parse_address(str(text)) is None:
                raise SettingError(f"CRAWLER_HOSTS: {name!r} must map to an IP address, got {text!r}")
            hosts[str(name).lower().rstrip(".")] = str(text)
        return cls(AddressPolicy(tuple(networks)), hosts)

    def refusal(self, host: str) -> str | None:
        """Why ``host`` is refused before any lookup: an address literal, or a pinned name whose
        address is refused; None when it may go on (a name is judged again on its DNS answers)."""
        pinned = self.hosts.get(host, host)
        return self.policy.refusal(pinned) if parse_address(pinned) is not None else None
