"""The Plivo emulator (shared/contracts/emulator.md): REST surface + simulated SIP edge.

INTERFACE SKELETON: ``Emulator`` below is the contract for tests, the demo and
``byon emulator``; the implementation lives in the modules of this package.
"""

from wizard.emulator.server import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Emulator

__all__ = ["DEMO_AUTH_ID", "DEMO_AUTH_TOKEN", "Emulator"]
