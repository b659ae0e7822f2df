"""Verification: the signed-callback listener, diagnosis, the answer_url takeover, simulated calls.

May import: ``wizard.plivo``, ``wizard.plans``, ``wizard.stream``, ``wizard.sip`` and the
shared helpers. Never ``wizard.commands``.
"""
