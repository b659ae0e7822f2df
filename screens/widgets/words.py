"""How the wizard shows Plivo's prices to a person (auth types: wizard/providers/words.py)."""

from __future__ import annotations


def money(rate: object, per: str = "") -> str:
    """Plivo's rate strings ("0.80000", US dollars) as "$0.80", with "/month" etc. when given.

    Sub-cent parts keep their digits ("$0.0085/min"); a missing rate says so."""
    from wizard.text import plain

    try:
        value = float(str(rate))
    except (TypeError, ValueError):
        return plain(rate, 20) if rate else "price not given"
    text = f"${value:.2f}"
    if 0 < value < 1 and round(value, 2) != value:  # per-minute rates: keep their digits
        text = f"${value:.4f}".rstrip("0")
    return f"{text}/{per}" if per else text
