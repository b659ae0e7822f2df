"""One PJSUA2 call, run as its own process (PJSIP keeps its own threads): dial a SIP URI
with digest credentials, hold the call, hang up, and print what happened as JSON.

Usage: python pjsua_call.py TARGET_URI LOCAL_IP USERNAME TRANSPORT HOLD_SECONDS
The password is read from standard input, never from the command line.
"""

from __future__ import annotations

import json
import sys
import time

import pjsua2 as pj


class Call(pj.Call):
    """Notes every state the call goes through."""

    def __init__(self, account: pj.Account) -> None:
        super().__init__(account)
        self.states: list[str] = []
        self.codes: list[int] = []

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        self.states.append(info.stateText)
        self.codes.append(info.lastStatusCode)

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        pass


def main() -> int:
    target, local_ip, username, transport, hold = sys.argv[1:6]
    password = sys.stdin.readline().rstrip("\n")
    ep = pj.Endpoint()
    ep.libCreate()
    config = pj.EpConfig()
    config.logConfig.level = 0
    config.logConfig.consoleLevel = 0
    config.uaConfig.threadCnt = 0
    config.uaConfig.mainThreadOnly = True
    ep.libInit(config)
    tcfg = pj.TransportConfig()
    tcfg.boundAddress = local_ip
    tcfg.publicAddress = local_ip
    kind = pj.PJSIP_TRANSPORT_TCP if transport == "tcp" else pj.PJSIP_TRANSPORT_UDP
    ep.transportCreate(kind, tcfg)
    ep.libStart()
    ep.audDevManager().setNullDev()
    acfg = pj.AccountConfig()
    acfg.idUri = f"sip:{username}@{local_ip}"
    acfg.mediaConfig.transportConfig.boundAddress = local_ip
    acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", username, 0, password))
    account = pj.Account()
    account.create(acfg)
    call = Call(account)
    call.makeCall(target, pj.CallOpParam(True))
    deadline = time.monotonic() + 15
    confirmed_at = None
    while time.monotonic() < deadline:
        ep.libHandleEvents(20)
        if "CONFIRMED" in call.states and confirmed_at is None:
            confirmed_at = time.monotonic()
        if confirmed_at is not None and time.monotonic() - confirmed_at >= float(hold):
            call.hangup(pj.CallOpParam(True))
            confirmed_at = float("inf")
        if "DISCONNECTED" in call.states:
            break
    for _ in range(20):
        ep.libHandleEvents(20)
    print(json.dumps({"states": call.states, "codes": call.codes}), flush=True)
    del call
    account.shutdown()
    ep.libDestroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
