"""The Plivo emulator (shared/contracts/emulator.md): REST surface + simulated SIP edge.

Modules: ``server`` (the ``Emulator`` object), ``app`` (aiohttp routes, faults, log,
control surface), ``rest`` (Plivo's resources), ``sip`` (inbound rules and the signed
answer_url request), ``calls`` (provider routes), ``xmlcheck``, ``faults``, ``clock``,
``state`` (the account and ``--state`` files), ``seed`` (demo data), ``cli``.
Behaviour beyond shared/reference/plivo-api.md is marked ``# Guess:`` in the code.
"""

from wizard.emulator.server import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Emulator

__all__ = ["DEMO_AUTH_ID", "DEMO_AUTH_TOKEN", "Emulator"]
