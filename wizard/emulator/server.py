"""aiohttp application of the emulator. INTERFACE SKELETON (being implemented)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEMO_AUTH_ID = "MADEMO00000000000001"  # 20 chars starting "MA", as the plivo SDK checks
DEMO_AUTH_TOKEN = "demo-token-not-a-secret-0000000000000000"


class Emulator:
    """In-process Plivo emulator.

    ``await emu.start(host, port)`` serves REST at ``emu.api_url`` with
    ``emu.auth_id``/``emu.auth_token``; ``await emu.stop()`` ends it.
    The control surface (/__emulator__/...) is also reachable in-process via
    ``inbound``, ``register_provider``, ``advance``, ``add_fault``, ``reset``,
    ``dump_state``.
    """

    def __init__(
        self,
        *,
        seed: str | None = None,  # None (empty account) or "demo"
        state_file: str | Path | None = None,
        auth_id: str | None = None,  # default: DEMO_* when seed="demo", else random
        auth_token: str | None = None,
    ) -> None:
        raise NotImplementedError

    api_url: str  # e.g. "http://127.0.0.1:43117" (no trailing slash; no /v1)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def inbound(
        self,
        *,
        request_uri: str,
        source_ip: str,
        from_: str,
        to: str | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> dict[str, Any]:
        raise NotImplementedError

    def register_provider(self, route: dict[str, Any]) -> None:
        raise NotImplementedError

    def advance(self, seconds: float) -> None:
        raise NotImplementedError

    def add_fault(self, fault: dict[str, Any]) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError

    def dump_state(self) -> dict[str, Any]:
        raise NotImplementedError
