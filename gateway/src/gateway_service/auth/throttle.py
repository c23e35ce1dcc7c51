"""Login throttling with `limits` on Redis: N failures per username + client IP per window.

A moving window shared by every gateway replica. A successful login clears the counter.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter


class LoginThrottle:
    def __init__(self, redis_url: str, max_failures: int, window_seconds: int) -> None:
        self.storage = RedisStorage(
            f"async+{redis_url}", implementation="redispy", key_prefix="gateway-login"
        )
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.item = RateLimitItemPerSecond(max_failures, window_seconds)

    @staticmethod
    def _identifiers(username: str, client_ip: str) -> tuple[str, str]:
        return username.strip().lower()[:150], client_ip

    async def blocked_for(self, username: str, client_ip: str) -> int:
        """Seconds until another attempt is allowed; 0 when allowed now."""
        ids = self._identifiers(username, client_ip)
        if await self.limiter.test(self.item, *ids):
            return 0
        stats = await self.limiter.get_window_stats(self.item, *ids)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def failed(self, username: str, client_ip: str) -> None:
        await self.limiter.hit(self.item, *self._identifiers(username, client_ip))

    async def succeeded(self, username: str, client_ip: str) -> None:
        await self.limiter.clear(self.item, *self._identifiers(username, client_ip))
