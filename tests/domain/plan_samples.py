"""Plan file texts shared by the plan tests: the contract example and a forwarding plan."""

from __future__ import annotations

# The example from plan-toml.md, minus [forwarding] (it is direct_sip).
EXAMPLE = """\
version = 1

[account]
auth_id = "MAXXXXXXXXXXXXXXXXXX"          # optional; the token comes from PLIVO_AUTH_TOKEN

[route]
option = "direct_sip"                     # "direct_sip" | "did_forwarding"
external_number = "+14155550100"          # the number kept at the other provider, E.164
provider = "generic"                      # key of a provider template

[application]
name = "ai-agent-inbound"
app_id = ""                               # filled in by apply/export
answer_url = "https://agent.example.com/answer"
answer_method = "POST"                    # "GET" | "POST"
hangup_url = ""                           # optional

[auth]                                    # direct_sip only
type = "ip_acl_and_credential"            # "ip_acl" | "credential" | "ip_acl_and_credential"

[auth.ip_acl]                             # required when type includes ip_acl
name = "carrier-edge"
ip_acl_uuid = ""
entries = ["203.0.113.10", "198.51.100.0/28"]

[auth.credential]                         # required when type includes credential
username = "carrier_trunk"
credential_uuid = ""
password_env = "BYON_SIP_PASSWORD"

[stream]                                  # optional
url = "wss://agent.example.com/media"
bidirectional = true
keep_call_alive = true
content_type = "audio/x-mulaw;rate=8000"
"""

FORWARDING = """\
version = 1

[route]
option = "did_forwarding"
external_number = "+14155550100"
provider = "twilio"

[application]
name = "fwd-agent"
answer_url = "https://agent.example.com/answer"

[forwarding]
plivo_number = "buy"

[forwarding.search]
country_iso = "US"
type = "local"
pattern = "415"
"""
