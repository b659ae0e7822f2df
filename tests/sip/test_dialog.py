"""Dialogs from both sides: route sets from Record-Route, targets from Contact, tags, CSeq."""

from __future__ import annotations

from wizard.sip.dialog import Dialog
from wizard.sip.message import Headers, SipRequest, make_response
from wizard.sip.transport import Target


def _invite():
    headers = Headers(
        [
            ("Via", "SIP/2.0/UDP 127.0.0.9:5080;branch=z9hG4bKp1"),
            ("Via", "SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bKa1"),
            ("Record-Route", "<sip:127.0.0.9:5080;lr>"),
            ("Record-Route", "<sip:127.0.0.8;transport=tcp;lr>"),
            ("From", "<sip:alice@example.com>;tag=caller"),
            ("To", "<sip:app@app.plivo.com>"),
            ("Call-ID", "c1"),
            ("CSeq", "7 INVITE"),
            ("Contact", "<sip:alice@127.0.0.2:5070>"),
        ]
    )
    return SipRequest("INVITE", "sip:app@app.plivo.com", headers)


def _ok(invite):
    return make_response(
        invite, 200, to_tag="callee", headers={"Contact": "<sip:uas@127.0.0.1:5060;transport=tcp>"}
    )


def test_callee_dialog_routes_its_bye_through_the_record_route_in_order():
    invite = _invite()
    dialog = Dialog.from_uas(invite, _ok(invite))
    bye = dialog.request("BYE")
    assert bye.uri == "sip:alice@127.0.0.2:5070"
    assert bye.headers.get_all("Route") == [
        "<sip:127.0.0.9:5080;lr>",
        "<sip:127.0.0.8;transport=tcp;lr>",
    ]
    assert bye.from_addr.tag == "callee" and bye.to_addr.tag == "caller"
    assert bye.cseq == (1, "BYE") and dialog.request("INFO").cseq == (2, "INFO")
    assert dialog.target() == Target("127.0.0.9", 5080, "UDP")


def test_caller_dialog_reverses_the_route_set_and_acks_with_the_invite_cseq():
    invite = _invite()
    ok = _ok(invite)
    dialog = Dialog.from_uac(invite, ok)
    ack = dialog.ack(7)
    assert ack.uri == "sip:uas@127.0.0.1:5060;transport=tcp" and ack.cseq == (7, "ACK")
    assert ack.headers.get_all("Route")[0] == "<sip:127.0.0.8;transport=tcp;lr>"
    assert dialog.target() == Target("127.0.0.8", 5060, "TCP")
    assert dialog.request("BYE").cseq == (8, "BYE")
    assert dialog.matches(ok) and not dialog.matches(make_response(invite, 200, to_tag="other"))


def test_without_routes_the_contact_is_the_next_hop():
    invite = _invite()
    invite.headers.remove("Record-Route")
    ok = _ok(invite)
    ok.headers.remove("Record-Route")
    assert Dialog.from_uac(invite, ok).target() == Target("127.0.0.1", 5060, "TCP")
    assert Dialog.from_uas(invite, ok).destination() == Target("127.0.0.2", 5070, "UDP")
