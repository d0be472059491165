"""Turns in Redis, for crawl nodes on several machines (``REDIS_URL``).

A turn is a key set with ``NX`` and a ``PX`` expiry of one interval, in one Lua script that also
answers the time left (``PTTL``) when the key is busy: one round trip, atomic, and timed by the
Redis server's clock alone, so the nodes' clocks need not agree. A node that dies leaves keys that
expire by themselves.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import redis.asyncio

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

PREFIX = "social-monitor:limits:"
TAKE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return tonumber(ARGV[1])
end
return math.max(left, 1)
"""  # PTTL answers 0 in a key's last millisecond: 1 makes the caller ask again, never take a busy key


class RedisLimiter:
    """Turns as ``social-monitor:limits:<key>`` keys; a key without an expiry gets one interval."""

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self.client = client
        self._take: AsyncScript = client.register_script(TAKE)

    @classmethod
    def from_url(cls, url: str) -> RedisLimiter:
        return cls(redis.asyncio.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=10))

    async def take(self, key: str, interval: float) -> float:
        milliseconds = max(math.ceil(interval * 1000), 1)
        left = await self._take(keys=[PREFIX + key], args=[milliseconds])
        return int(left) / 1000

    async def close(self) -> None:
        await self.client.aclose()
