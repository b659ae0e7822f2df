"""Reachability: a signed probe sent to the public URL must arrive at this listener."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from wizard.errors import ByonError
from wizard.verify.events import PROBE_PARAM


async def preflight(listener: Any, public_url: str | None = None, *, timeout: float = 5.0):
    """Send a signed probe to ``<public_url>/answer`` and wait for it to reach ``listener``.

    Returns the round trip in seconds; raises ByonError saying what broke."""
    from aiohttp import (
        ClientConnectorCertificateError,
        ClientConnectorDNSError,
        ClientConnectorError,
        ClientError,
        ClientSession,
        ClientSSLError,
        ClientTimeout,
    )

    base = (public_url or listener.public_url or listener.local_url).rstrip("/")
    url = f"{base}/answer"
    probe_id = uuid.uuid4().hex
    params = {PROBE_PARAM: probe_id, "CallUUID": f"probe-{probe_id}"}
    headers = listener.signed("POST", url, params)
    fut = listener.expect_probe(probe_id)
    hint = f"Make sure {base} forwards to this listener at {listener.local_url}."
    start = time.monotonic()
    try:
        async with (
            ClientSession(timeout=ClientTimeout(total=timeout)) as session,
            session.post(url, data=params, headers=headers) as resp,
        ):
            status = resp.status
            await resp.read()
        try:
            event = await asyncio.wait_for(
                asyncio.shield(fut), max(0.5, timeout - (time.monotonic() - start))
            )
        except TimeoutError:
            raise ByonError(
                f"{url} answered HTTP {status}, but the probe never reached this "
                "listener: the public URL leads to another server.",
                hint=hint,
            ) from None
        if not event.signature_valid:
            raise ByonError(
                f"The probe reached the listener, but its signature did not match "
                f"{event.url}: the tunnel or proxy changes the URL on the way "
                "(host, scheme or path), so real callbacks would be refused too.",
                hint="Give the public URL exactly as Plivo will call it, path prefix included.",
            )
        return time.monotonic() - start
    except ClientConnectorDNSError as exc:
        raise ByonError(
            f"The host in {base} does not resolve (DNS): {exc.os_error or exc}.", hint=hint
        ) from None
    except (ClientConnectorCertificateError, ClientSSLError) as exc:
        raise ByonError(
            f"TLS failed for {url}: {exc}. Plivo needs a valid certificate too.", hint=hint
        ) from None
    except ClientConnectorError as exc:
        raise ByonError(
            f"Nothing accepts connections at {base} ({exc.os_error or exc}): the tunnel "
            "or server is not running or points elsewhere.",
            hint=hint,
        ) from None
    except TimeoutError:
        raise ByonError(
            f"No answer from {url} within {timeout:g} s: a firewall or a stalled tunnel "
            "is in the way.",
            hint=hint,
        ) from None
    except ClientError as exc:
        raise ByonError(
            f"The probe to {url} failed: {exc or type(exc).__name__}.", hint=hint
        ) from None
    finally:
        listener.forget_probe(probe_id)
