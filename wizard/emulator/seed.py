"""Sample data, as plain values, so the wizard's screens can refer to it.

Every number is fictional: US 555-01xx, Ofcom's drama ranges for GB, ACMA's
drama ranges for AU, and an unallocated-looking block for IN.
"""

from __future__ import annotations

from typing import Any

DEMO_AUTH_ID = "MADEMO00000000000001"  # 20 chars starting "MA", as the plivo SDK checks
DEMO_AUTH_TOKEN = "demo-token-not-a-secret-0000000000000000"
DEMO_ACCOUNT_NAME = "Demo Account"
DEMO_RANDOM_SEED = "byon-demo"  # seeds the id generator: the same ids on every demo run

DEMO_CREDENTIAL_USERNAME = "legacy_trunk"
# Only its digest is stored; the value is here so the demo can place a call that authenticates.
DEMO_CREDENTIAL_PASSWORD = "LegacyTrunk2019pw"

DEMO_SUPPORT_APP = {
    "app_name": "support-bot",
    "answer_url": "https://support-bot.example.com/answer",
    "answer_method": "POST",
}
DEMO_SALES_APP = {
    "app_name": "sales-agent",
    "answer_url": "https://sales-agent.example.com/answer",
    "answer_method": "POST",
}

# The SIP edge's loopback sources in the demo: 127.0.0.2 is the provider, calling from the
# address its IP ACL allows; 127.0.0.3 is an address outside every demo ACL (documentation ranges).
DEMO_PROVIDER_IP = "203.0.113.10"
DEMO_OUTSIDE_IP = "198.51.100.200"
DEMO_SOURCE_MAP = {"127.0.0.2": DEMO_PROVIDER_IP, "127.0.0.3": DEMO_OUTSIDE_IP}

DEMO_NUMBER_ASSIGNED = "14155550150"  # rented, assigned to support-bot
DEMO_NUMBER_FREE = "14155550151"  # rented, no application
DEMO_NUMBERS_ADDED_ON = "2024-03-18"

# country_iso -> (calling code, country name, local blocks, toll-free blocks)
# each block: (national prefix, city, region, rate_center, lata)
_COUNTRIES: dict[str, dict[str, Any]] = {
    "US": {
        "code": "1",
        "country": "UNITED STATES",
        "local": [
            ("415555", "San Francisco", "California, UNITED STATES", "SNFC CA", 722),
            ("212555", "New York", "New York, UNITED STATES", "NWYRCYZN01", 132),
            ("312555", "Chicago", "Illinois, UNITED STATES", "CHICAGO", 358),
            ("512555", "Austin", "Texas, UNITED STATES", "AUSTIN", 558),
            ("206555", "Seattle", "Washington, UNITED STATES", "SEATTLE", 674),
        ],
        "tollfree": [
            ("800555", "", "UNITED STATES", "", None),
            ("888555", "", "UNITED STATES", "", None),
        ],
        "rates": ("0.00000", "0.50000", "0.80000", "0.00850", "0.00550"),
    },
    "GB": {
        "code": "44",
        "country": "UNITED KINGDOM",
        "local": [
            ("2079460", "London", "London, UNITED KINGDOM", "", None),
            ("1614960", "Manchester", "Manchester, UNITED KINGDOM", "", None),
            ("1174960", "Bristol", "Bristol, UNITED KINGDOM", "", None),
        ],
        "tollfree": [("8081570", "", "UNITED KINGDOM", "", None)],
        "rates": ("0.00000", "1.00000", "1.00000", "0.01500", "0.00000"),
    },
    "IN": {
        "code": "91",
        "country": "INDIA",
        "local": [
            ("8055501", "Bengaluru", "Karnataka, INDIA", "", None),
            ("2255501", "Mumbai", "Maharashtra, INDIA", "", None),
        ],
        "tollfree": [("18005550", "", "INDIA", "", None)],
        "rates": ("0.00000", "3.00000", "3.00000", "0.01000", "0.00000"),
    },
    "AU": {
        "code": "61",
        "country": "AUSTRALIA",
        "local": [
            ("25550", "Sydney", "New South Wales, AUSTRALIA", "", None),
            ("35550", "Melbourne", "Victoria, AUSTRALIA", "", None),
        ],
        "tollfree": [("1800160", "", "AUSTRALIA", "", None)],
        "rates": ("0.00000", "4.00000", "4.00000", "0.02000", "0.00000"),
    },
}

INVENTORY_PER_TYPE = 10


def _suffixes(prefix: str, country: str, count: int) -> list[str]:
    """National-number tails that keep US numbers inside the fictional 555-01xx block."""
    if country == "US":
        return [f"01{n:02d}" for n in range(60, 60 + count)]
    width = {"GB": 3, "IN": 2, "AU": 4}[country]
    start = {"GB": 100, "IN": 10, "AU": 100}[country]
    if country == "AU" and prefix.startswith("1800"):
        width, start = 3, 401  # ACMA's drama block 1800 160 401-499
    return [f"{start + n:0{width}d}" for n in range(count)]


def purchasable_inventory() -> list[dict[str, Any]]:
    """Numbers anyone can buy: US, GB, IN, AU; local and toll-free; about ten of each."""
    items: list[dict[str, Any]] = []
    for iso, spec in _COUNTRIES.items():
        setup, rent_local, rent_tf, voice_rate, sms_rate = spec["rates"]
        for kind in ("local", "tollfree"):
            blocks = spec[kind]
            per_block = -(-INVENTORY_PER_TYPE // len(blocks))
            made = 0
            for prefix, city, region, rate_center, lata in blocks:
                for tail in _suffixes(prefix, iso, per_block):
                    if made >= INVENTORY_PER_TYPE:
                        break
                    national = prefix + tail
                    number = spec["code"] + national
                    if number in (DEMO_NUMBER_ASSIGNED, DEMO_NUMBER_FREE):
                        continue
                    made += 1
                    items.append(
                        {
                            "number": number,
                            "prefix": national[:3],
                            "country_iso": iso,
                            "country_code": spec["code"],
                            "country": spec["country"],
                            "city": city,
                            "region": region,
                            "rate_center": rate_center,
                            "lata": lata,
                            "type": kind,
                            "sub_type": kind if kind == "tollfree" else "local",
                            "setup_rate": setup,
                            "monthly_rental_rate": rent_tf if kind == "tollfree" else rent_local,
                            "sms_enabled": iso == "US" and kind == "local",
                            "sms_rate": sms_rate,
                            "mms_enabled": False,
                            "mms_rate": "0.00000",
                            "voice_enabled": True,
                            "voice_rate": voice_rate,
                            "restriction": None,
                            "restriction_text": None,
                        }
                    )
    return items


def demo_number_details(number: str) -> dict[str, Any]:
    """Inventory-style details for the demo's two rented US numbers."""
    return {
        "number": number,
        "prefix": "415",
        "country_iso": "US",
        "country_code": "1",
        "country": "UNITED STATES",
        "city": "San Francisco",
        "region": "California, UNITED STATES",
        "rate_center": "SNFC CA",
        "lata": 722,
        "type": "local",
        "sub_type": "local",
        "setup_rate": "0.00000",
        "monthly_rental_rate": "0.80000",
        "sms_enabled": True,
        "sms_rate": "0.00550",
        "mms_enabled": False,
        "mms_rate": "0.00000",
        "voice_enabled": True,
        "voice_rate": "0.00850",
        "restriction": None,
        "restriction_text": None,
    }
