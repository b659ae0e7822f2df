"""The quit guard: asks before the plan is lost or left unapplied; dismisses a choice."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from screens.widgets.dialog import Dialog

SAVE, QUIT, STAY = "save", "quit", "stay"


class QuitScreen(Dialog[str]):
    """Quit with an unsaved or unapplied plan? Dismisses SAVE (save, then quit), QUIT or STAY.

    Offers "Save and quit" only when there is something to save, and then its key
    (ctrl+s, as everywhere in the wizard) works inside the dialog too."""

    BINDINGS = [
        Binding("ctrl+s", "choose('save')", "Save and quit", priority=True),
        Binding("s", "choose('save')", "Save and quit", show=False),
        Binding("q", "choose('quit')", "Quit"),
        Binding("escape,n", "choose('stay')", "Stay"),
    ]

    def __init__(self, plan_path: str, *, unsaved: bool, unapplied: bool) -> None:
        super().__init__(classes="-warning")
        self.plan_path, self.unsaved, self.unapplied = plan_path, unsaved, unapplied

    def text(self) -> tuple[str, str]:
        """The title and the sentence for this plan's state."""
        pending = " The account does not have its changes yet." if self.unapplied else ""
        if self.unsaved:
            return (
                "Quit without saving the plan?",
                f"The plan has changes that are not in {self.plan_path}.{pending} "
                "Save and quit keeps them for `byon apply` or `byon --plan`.",
            )
        return (
            "Quit before applying?",
            f"The account does not have the plan's changes yet. The plan is saved in "
            f"{self.plan_path}: `byon apply {self.plan_path}` applies it later.",
        )

    def compose(self) -> ComposeResult:
        """The question, then Stay, Quit and (when unsaved) Save and quit."""
        title, body = self.text()
        with Vertical():
            yield Static(title, classes="title", markup=False)
            yield Static(body, classes="body", markup=False)
            with Horizontal():
                yield Button("Stay (n)", id=STAY)
                label = "Don't save (q)" if self.unsaved else "Quit (q)"
                yield Button(label, id=QUIT, variant="error" if self.unsaved else "warning")
                if self.unsaved:
                    yield Button("Save and quit (ctrl+s)", id=SAVE, variant="primary")

    def on_mount(self) -> None:
        """Focus the choice that loses nothing."""
        self.query_one(f"#{SAVE if self.unsaved else STAY}", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Nothing to save: the save keys do nothing and leave the footer."""
        if action == "choose" and parameters and parameters[0] == SAVE:
            return self.unsaved
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """A button is its choice."""
        self.dismiss(event.button.id or STAY)

    def action_choose(self, choice: str) -> None:
        """A key is its choice."""
        self.dismiss(choice)
