"""``byon audit --probe``: the unauthenticated INVITE of ``byon sip-probe`` against every
application the audit lists, so an open SIP URI is proven, not inferred from its fields."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# One probe at a time: each INVITE holds a slot of the lockout guard (3 per target) until
# its answer shows it did not fail, and every app of an account shares Plivo's edge.
PARALLEL = 1


async def probe_apps(
    app_ids: Iterable[str],
    *,
    host: str | None = None,
    port: int | None = None,
    timeout: float = 5.0,
    local_host: str | None = None,
    guard_folder: Path | None = None,
) -> dict[str, Any]:
    """app_id -> the probe's ``unauthenticated`` CheckResult (or its ``dns`` one when the
    name did not resolve). ``host``/``port`` aim at another edge (e.g. the emulator's)."""
    from wizard.plivo.facts import sip_uri
    from wizard.sip.probe import ProbeOptions, run_probe

    gate = asyncio.Semaphore(PARALLEL)

    async def one(app_id: str) -> tuple[str, Any]:
        opts = ProbeOptions(
            request_uri=sip_uri(app_id),
            host=host,
            port=port,
            transport="udp",
            timeout=timeout,
            local_host=local_host,
            guard_folder=guard_folder,
        )
        async with gate:
            results = await run_probe(opts)
        wanted = [r for r in results if r.check == "unauthenticated"]
        return app_id, (wanted or results)[-1]

    unique = list(dict.fromkeys(a for a in app_ids if a.isdigit()))
    return dict(await asyncio.gather(*(one(a) for a in unique)))


def proof_sentence(row: Any) -> str:
    """How the probe's answer bears on an ``open_sip_uri`` finding, in one sentence."""
    if row.result == "open":
        return f"proven open: {row.detail}"
    if row.result in ("challenge_407", "forbidden_403"):
        return f"not confirmed, the probe was refused: {row.detail}"
    return f"not proven ({row.result}): {row.detail}"
