"""Login throttling with `limits` on Redis, shared by every gateway replica.

Two fixed-window counters of failed attempts, each with its own maximum:

- per account: the username, whatever the address (a new address, real or a forged
  ``X-Forwarded-For``, does not start a new count);
- per address: the client address, whatever the usernames (spraying one password over many
  accounts).

An attempt is reserved with an atomic ``hit`` on both counters *before* its password is
checked, so concurrent guesses cannot all pass before the first failure is counted, and a
refused attempt costs no password hash. A success clears the account's count and gives the
address its attempt back; an attempt that was never judged (hashing pool full, database
down) gives both back.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import FixedWindowRateLimiter

from gateway_service.users.models import canonical_username

ACCOUNT = "account"
ADDRESS = "address"


class LoginThrottledError(Exception):
    """The account or the address is over its limit: refused before any password check."""

    def __init__(self, counter: str, retry_after: int) -> None:
        super().__init__(counter, retry_after)
        self.counter = counter
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        minutes = max(1, round(self.retry_after / 60))
        source = "for this username" if self.counter == ACCOUNT else "from your address"
        return (
            f"Too many failed login attempts {source}. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )


class LoginThrottle:
    def __init__(
        self,
        redis_url: str,
        *,
        account_max_failures: int,
        address_max_failures: int,
        window_seconds: int,
    ) -> None:
        self.storage = RedisStorage(
            f"async+{redis_url}", implementation="redispy", key_prefix="gateway-login"
        )
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.items: dict[str, RateLimitItem] = {
            ACCOUNT: RateLimitItemPerSecond(account_max_failures, window_seconds),
            ADDRESS: RateLimitItemPerSecond(address_max_failures, window_seconds),
        }

    @staticmethod
    def _identifiers(username: str, address: str) -> dict[str, str]:
        # The form the user lookup matches: letter-case or Unicode variants share one count.
        return {ACCOUNT: canonical_username(username.strip())[:150], ADDRESS: address}

    async def reserve(self, username: str, address: str) -> None:
        """Count this attempt as a failure until it succeeds; raise when over a limit.

        The address is hit first: attempts from an address over its limit do not touch the
        account's count. An attempt on a locked account gives the address its hit back (no
        password was tried).
        """
        ids = self._identifiers(username, address)
        if not await self.limiter.hit(self.items[ADDRESS], ADDRESS, ids[ADDRESS]):
            raise await self._throttled(ADDRESS, ids[ADDRESS])
        if not await self.limiter.hit(self.items[ACCOUNT], ACCOUNT, ids[ACCOUNT]):
            await self._give_back(ADDRESS, ids[ADDRESS])
            raise await self._throttled(ACCOUNT, ids[ACCOUNT])

    async def succeeded(self, username: str, address: str) -> None:
        ids = self._identifiers(username, address)
        await self.limiter.clear(self.items[ACCOUNT], ACCOUNT, ids[ACCOUNT])
        await self._give_back(ADDRESS, ids[ADDRESS])

    async def release(self, username: str, address: str) -> None:
        """Give a reserved attempt back to both counters: it was never judged."""
        ids = self._identifiers(username, address)
        for counter, identifier in ids.items():
            await self._give_back(counter, identifier)

    async def _give_back(self, counter: str, identifier: str) -> None:
        # `limits` has no refund; a fixed window's count is a plain Redis counter.
        item = self.items[counter]
        await self.storage.incr(item.key_for(counter, identifier), item.get_expiry(), amount=-1)

    async def _throttled(self, counter: str, identifier: str) -> LoginThrottledError:
        stats = await self.limiter.get_window_stats(self.items[counter], counter, identifier)
        return LoginThrottledError(counter, max(1, math.ceil(stats.reset_time - time.time())))
