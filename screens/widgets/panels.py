"""The verify step's text panels: the SIP probe's rows and the agent stream check's report.

Every outside value goes in plain (no control characters) with its markup escaped."""

from __future__ import annotations

from screens.widgets.markup import outside


def probe_panel(results, *, done: bool) -> str:
    """The probe's rows, one line each: check, ✓/✗, result token, detail (plain text)."""
    lines = ["sip-probe" + (" · p or escape closes this" if done else " · running…")]
    for r in results:
        name = r.check + (f" {r.transport.lower()}" if r.check == "reach" and r.transport else "")
        mark = "[$success]✓[/]" if r.ok else "[$error]✗[/]"
        detail = outside(r.detail, 110)
        lines.append(f"  {name:<15} {mark} {outside(r.result):<14} {detail}")
    return "\n".join(lines)


def stream_panel(report) -> str:
    """A StreamReport as the panel's lines: handshake, audio back, format, timing, verdict."""
    hs = report.handshake
    lines = [f"Agent stream check · {outside(report.url)} ({report.content_type})"]
    if hs.ok:
        tls = f"TLS {hs.tls_version or 'yes'}" if hs.tls else "no TLS"
        lines.append(
            f"  handshake   ✓ HTTP {hs.status}, {tls}, subprotocol {hs.subprotocol or 'none'}"
        )
    else:
        status = f" (HTTP {hs.status})" if hs.status else ""
        lines.append(f"  handshake   ✗ failed{status}")
    if report.audio_received:
        lines.append(
            f"  audio back  ✓ {report.frames_received} messages, "
            f"{report.audio_ms_received / 1000:.2f} s of audio for {report.frames_sent} frames sent"
        )
        lines.append(f"  first audio {report.first_audio_ms:.1f} ms after the first frame sent")
        mark = "✓" if report.format_ok else "✗"
        lines.append(f"  format      {mark} expected {report.content_type}")
    elif hs.ok:
        lines.append(f"  audio back  ✗ none for {report.frames_sent} frames sent")
    for warning in report.warnings:
        lines.append(f"  [$warning]note: {outside(warning)}[/]")
    colour = "$success" if report.ok else "$error"
    word = "PASS" if report.ok else "FAIL"
    lines.append(f"[{colour}]{word}: {outside(report.verdict)}[/]")
    return "\n".join(lines)
