"""The seed's cost comparison for a 5-minute inbound call, with the account's own rates.

Plivo's API gives a rented number's inbound rate (``voice_rate``, per minute) and its
rent; it gives no SIP termination rate and nothing about the other provider's prices,
so those parts are named, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MINUTES = 5
WHEN_TO_USE = (
    "Your numbers are with carriers that don't support porting",
    "Geographic numbers in countries where Plivo doesn't offer numbers",
    "Toll-free or vanity numbers you've owned for years and can't move",
    "PBX or contact-center extensions to connect to Plivo AI agents",
    "Testing AI voice agents on existing numbers without porting them",
)


@dataclass(frozen=True)
class Rates:
    """The account's own figures, as Plivo's strings ("" when the API gave none)."""

    inbound_per_min: str = ""  # a rented number's voice_rate
    number: str = ""  # whose rate it is (digits, as Plivo returns them)
    monthly: str = ""  # that number's rent


async def account_rates(client: Any) -> Rates:
    """The first voice number of the account with an inbound rate (one list request)."""
    for n in await client.list_numbers():
        rate = str((n.raw or {}).get("voice_rate") or "")
        if n.voice_enabled and _number(rate) is not None:
            return Rates(rate, n.number, n.monthly_rental_rate)
    return Rates()


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _dollars(value: float) -> str:
    text = f"${value:.4f}".rstrip("0")
    return text + "0" if text.endswith(".") or len(text.split(".")[1]) < 2 else text


def inbound_part(rates: Rates) -> str:
    """ "5 min × $0.0085/min = $0.0425" with the account's rate, else the rate's name."""
    rate = _number(rates.inbound_per_min)
    if rate is None:
        return f"{MINUTES} min × Plivo's inbound rate per minute"
    return f"{MINUTES} min × {_dollars(rate)}/min = {_dollars(rate * MINUTES)}"


def cost_lines(rates: Rates) -> list[tuple[str, str]]:
    """(part, figure) lines of the comparison: DID forwarding's three legs, Direct SIP's one."""
    lines = [
        ("DID forwarding", "3 legs: caller → provider → Plivo number (out, then in)"),
        ("  provider's forward", f"{MINUTES} min × your provider's outbound rate"),
        ("  Plivo inbound", inbound_part(rates)),
    ]
    rent = _number(rates.monthly)
    if rent is not None:
        lines.append(("  Plivo number rent", f"{_dollars(rent)}/month, call or no call"))
    lines += [
        ("Direct SIP", "1 leg: caller → Plivo via SIP"),
        ("  Plivo SIP termination", f"{MINUTES} min × Plivo's SIP rate (plivo.com/pricing)"),
        ("  nothing else", "no forward, no inbound leg, no number to rent"),
    ]
    return lines


def rate_source(rates: Rates) -> str:
    """Where the figures came from, said once under the comparison."""
    if not rates.inbound_per_min:
        return "Rates: none read from the account yet; Plivo's pricing page has them."
    from wizard.numbers import with_plus

    return f"Plivo inbound rate: your number {with_plus(rates.number)}, from the account."
