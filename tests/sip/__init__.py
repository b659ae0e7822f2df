"""Tests of wizard.sip: the SIP protocol layer."""
