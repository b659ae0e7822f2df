"""The command palette's wizard commands: every action of the current step, by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

STEP_NAMES = {
    "welcome": "account",
    "option": "route (DID forwarding or Direct SIP)",
    "auth": "SIP authentication",
    "application": "application",
    "number": "number",
    "review": "review and apply",
    "provider": "provider settings",
    "verify": "verify",
    "done": "done",
}


@dataclass(frozen=True)
class Command:
    """One palette entry: its name, what it runs, and a line of help."""

    name: str
    run: Callable[[], Any]
    help: str


def wizard_commands(app: Any, screen: Any) -> list[Command]:
    """What the palette offers from ``screen``: only actions that make sense there."""
    commands = [
        Command("Save plan", app.action_save_plan, "Write the plan as TOML (no secrets in it)"),
        Command("Save plan as…", app.action_save_plan_as, "Choose where the plan is written (f3)"),
        Command(
            "Show or hide activity",
            app.action_toggle_activity,
            "Every REST request the wizard made to Plivo: method, path, status, time (f2)",
        ),
        Command("Keys", app.action_help, "Every key of this step, grouped (f1)"),
    ]
    for step in reversed(app.visited_steps()):
        commands.append(
            Command(
                f"Go to step: {STEP_NAMES.get(step, step)}",
                partial(app.go_to_step, step),
                "Back to an earlier step; what you typed is kept",
            )
        )
    on_verify = getattr(screen, "STEP", "") == "verify"
    if on_verify and app.session.is_demo:
        from screens.verify import demo_calls

        for key, scenario, label in demo_calls(app.plan):
            commands.append(
                Command(
                    f"Simulate call: {label}",
                    partial(screen.action_simulate, scenario),
                    f"Demo: place a simulated call through the emulator (key {key})",
                )
            )
    if app.sip_uri():
        commands.append(Command("Copy SIP URI", app.action_copy_sip_uri, f"Copy {app.sip_uri()}"))
    if on_verify:
        commands.append(
            Command(
                "Check agent stream",
                screen.action_check_stream,
                "Stream test audio to the agent's WebSocket as Plivo would (ctrl+g)",
            )
        )
        commands.append(
            Command(
                "Run SIP probe",
                screen.action_probe,
                "byon sip-probe: DNS, reach, and whether the app refuses strangers (p)",
            )
        )
    commands.append(Command("Quit byon", app.action_quit_wizard, "Leave the wizard"))
    return commands


class WizardCommands(Provider):
    """The wizard's own commands (registered on the App next to Textual's)."""

    def _commands(self) -> list[Command]:
        return wizard_commands(self.app, self.screen)

    async def discover(self) -> Hits:
        """Every command of this step, for the empty palette."""
        for command in self._commands():
            yield DiscoveryHit(command.name, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        """The commands matching what was typed, best first."""
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), command.run, help=command.help)
