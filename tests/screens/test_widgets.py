"""The shared widgets of screens/widgets/, each driven alone with Pilot in a tiny app."""

from __future__ import annotations

import os

import pytest
from rich.syntax import Syntax
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from screens.widgets.acl import AclEntries
from screens.widgets.block import CopyableBlock
from screens.widgets.copyable import CopyableValue, copy_value
from screens.widgets.fields import problem
from screens.widgets.password import PasswordField
from screens.widgets.path_prompt import PathPrompt
from screens.widgets.question import Question
from screens.widgets.quit import QuitScreen
from screens.widgets.steps import indicator_markup

SECRET = "Xk7pQ2mN9vB4tR8w"


def shown(widget) -> str:
    """The text a Static-like widget draws now."""
    return str(widget.render()) if not isinstance(widget, Static) else str(widget.content)


class Host(App):
    """A bare app holding one widget under test; ``keys`` bind test keys to its methods."""

    def __init__(self, widget, bindings=()) -> None:
        super().__init__()
        self.widget = widget
        for key, action in bindings:
            self.bind(key, action)

    def compose(self) -> ComposeResult:
        yield self.widget

    def action_call(self, name: str) -> None:
        getattr(self.widget, name)()


async def test_password_field_masks_reveals_and_copies():
    field = PasswordField("never saved")
    app = Host(field, [("ctrl+r", "call('toggle')"), ("ctrl+y", "call('copy')")])
    async with app.run_test(notifications=True) as pilot:
        field.show(SECRET, "SIP password for trunk01")
        await pilot.pause()
        assert SECRET not in shown(field) and "•" * len(SECRET) in shown(field)
        assert "never saved" in shown(field)
        await pilot.press("ctrl+y")
        assert app.clipboard == SECRET
        assert all(SECRET not in n.message for n in app._notifications)
        await pilot.press("ctrl+r")
        assert f"SIP password for trunk01: {SECRET}" in shown(field)
        field.show("")
        await pilot.press("ctrl+y")  # nothing to copy: the clipboard keeps what it had
        assert "Nothing to copy" in list(app._notifications)[-1].message


async def test_acl_entries_add_remove_validate_and_limit():
    kind = {"type": "ip_acl"}
    acl = AclEntries(["203.0.113.10"], auth_type=lambda: kind["type"], limit=2)
    async with Host(acl).run_test() as pilot:
        await pilot.pause()
        assert acl.values == ["203.0.113.10"]
        await pilot.click("#add-entry")
        await pilot.pause()
        assert len(acl.inputs()) == 2 and app_focused(pilot) is acl.inputs()[1]
        await pilot.press(*"100.64.0.1")  # CGNAT: only with ACL and credential
        await pilot.pause()
        assert any("100.64.0.1" in p for p in acl.problems())
        assert acl.inputs()[1].has_class("-invalid")
        kind["type"] = "ip_acl_and_credential"
        acl.revalidate()
        await pilot.pause()
        assert acl.problems() == [] and not acl.inputs()[1].has_class("-invalid")
        assert "at most 2" in acl.add_entry()  # full: refused with the reason
        await pilot.click("#remove-1")
        await pilot.pause()
        assert acl.values == ["100.64.0.1"]
        acl.replace([])
        await pilot.pause()
        assert acl.values == [] and acl.problems() == ["Add at least one IP address or CIDR range."]


def app_focused(pilot):
    return pilot.app.focused


async def test_copyable_value_copies_and_refuses_a_placeholder():
    value = CopyableValue("SIP URI", "sip:{app_id}@app.plivo.com")
    app = Host(value)
    async with app.run_test(notifications=True) as pilot:
        value.focus()
        await pilot.pause()
        assert "‹known once the plan is applied›" in shown(value)
        assert "{app_id}" not in shown(value)
        await pilot.press("c")
        assert app.clipboard == ""
        value.set_value("sip:20468599130939380@app.plivo.com")
        await pilot.press("c")
        assert app.clipboard == "sip:20468599130939380@app.plivo.com"
        await pilot.click(CopyableValue)
        assert "Copied the SIP URI" in list(app._notifications)[-1].message


async def test_copy_value_never_shows_a_secret():
    app = Host(Static())
    async with app.run_test(notifications=True) as pilot:
        assert copy_value(app, SECRET, "the password", secret=True)
        await pilot.pause()
        assert app.clipboard == SECRET
        assert SECRET not in list(app._notifications)[-1].message


async def test_copyable_block_copies_whole_and_writes_a_file(tmp_path):
    block = CopyableBlock(what="the answer XML", filename=str(tmp_path / "a.xml"), language="xml")
    app = Host(block)
    xml = '<Response>\n  <Stream bidirectional="true">wss://a.example.com/m</Stream>\n</Response>'
    async with app.run_test(notifications=True) as pilot:
        block.show(xml)
        block.focus()
        await pilot.press("c")
        assert app.clipboard == xml
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, PathPrompt)
        await pilot.press("enter")
        await pilot.pause()
        assert (tmp_path / "a.xml").read_text() == xml + "\n"
        # a folder is refused in the prompt, and nothing is written
        await pilot.press("w")
        await pilot.pause()
        prompt = app.screen
        prompt.query_one(Input).value = str(tmp_path)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PathPrompt) and "is a folder" in shown(prompt.problem)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not prompt
        block.show("")
        await pilot.press("c")
        assert app.clipboard == xml  # an empty block copies nothing


async def test_copyable_block_refuses_to_write_through_a_symlink(tmp_path):
    target = tmp_path / "elsewhere.conf"
    target.write_text("keep\n")
    link = tmp_path / "pjsip.conf"
    os.symlink(target, link)
    block = CopyableBlock(what="the snippet", filename=str(link))
    app = Host(block)
    async with app.run_test(notifications=True) as pilot:
        block.show("[plivo]\ntype=endpoint")
        block.focus()
        await pilot.press("w")
        await pilot.pause()
        assert "symbolic link" in shown(app.screen.problem)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PathPrompt)
    assert target.read_text() == "keep\n"


def test_step_indicator_numbers_the_step_from_the_route():
    direct = ["option", "auth", "application", "review", "provider", "verify"]
    did = ["option", "application", "number", "review", "provider", "verify"]
    line = indicator_markup(direct, "application", ["option", "auth"]).plain
    assert line.startswith("Step 3 of 6 · App │ ✓ Route ✓ Auth ● App ○ Review")
    line = indicator_markup(did, "application", ["option"]).plain
    assert line.startswith("Step 2 of 6 · App │ ✓ Route ● App ○ Number")
    assert indicator_markup(did, "done", did).plain.startswith("Done · all 6 steps")


class QuitHost(App):
    """Pushes the quit guard and records the choice."""

    BINDINGS = [Binding("ctrl+s", "saved", "Save")]

    def __init__(self, **state) -> None:
        super().__init__()
        self.state, self.choice, self.app_saves = state, None, 0

    def on_mount(self) -> None:
        self.push_screen(QuitScreen("plan.toml", **self.state), self._done)

    def _done(self, choice: str | None) -> None:
        self.choice = choice

    def action_saved(self) -> None:
        self.app_saves += 1


async def test_quit_guard_ctrl_s_inside_the_dialog_saves():
    app = QuitHost(unsaved=True, unapplied=True)
    async with app.run_test() as pilot:
        await pilot.pause()
        body = str(app.screen.query_one(".body", Static).content)
        assert "not in plan.toml" in body and "does not have" in body
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.choice == "save" and app.app_saves == 0  # the dialog's own key answered


async def test_quit_guard_for_a_saved_plan_does_not_say_save():
    app = QuitHost(unsaved=False, unapplied=True)
    async with app.run_test() as pilot:
        await pilot.pause()
        words = " ".join(str(s.content) for s in app.screen.query(Static))
        assert "save it" not in words.lower() and "byon apply plan.toml" in words
        assert not app.screen.query("#save")
        await pilot.press("ctrl+s")  # nothing to save here: the dialog stays
        await pilot.pause()
        assert app.choice is None
        await pilot.press("q")
        await pilot.pause()
        assert app.choice == "quit"


async def test_a_table_header_follows_the_columns_its_new_rows_widen():
    """A header drawn between a row's arrival and the idle that measures it is drawn again."""
    from screens.widgets.table import Table

    table = Table()
    table.styles.height, table.styles.width = 4, 50  # a fixed size: no resize redraws it
    app = Host(table)
    async with app.run_test(size=(60, 6)) as pilot:
        table.add_columns("name", "id")
        await pilot.pause()
        table.add_row("a-much-longer-name", "x")
        table.render_line(0)  # a paint before the idle that measures the new row
        await pilot.pause()
        header, row = table.render_line(0).text, table.render_line(1).text
        assert row.index("x") == header.index("id"), (header, row)


def test_field_problem_shows_validation_errors_and_lets_bugs_through():
    from wizard.errors import ByonError

    def refuse(kind: type[Exception]):
        def check(value: str) -> None:
            raise kind(f"{value!r} is not allowed here")

        return check

    assert problem(refuse(ValueError), "x") == "'x' is not allowed here"
    assert problem(refuse(ByonError), "x") == "'x' is not allowed here"
    assert problem(lambda value: None, "x") == ""
    for bug in (KeyError, AttributeError, TypeError):
        with pytest.raises(bug):
            problem(refuse(bug), "x")


async def test_a_block_is_highlighted_for_the_themes_background():
    """ansi_dark on a light theme is unreadable: the block follows the app's theme."""
    block = CopyableBlock(what="the snippet", filename="snippet.xml", language="xml")
    app = Host(block)
    async with app.run_test() as pilot:
        for theme, wanted in (("textual-light", "ansi_light"), ("textual-dark", "ansi_dark")):
            app.theme = theme
            block.show("<Response/>")
            await pilot.pause()
            syntax = block.content
            assert syntax._theme.style_map == Syntax.get_theme(wanted).style_map, theme


def test_a_request_status_takes_the_themes_colours():
    from screens.widgets.activity import status_text

    theme = {"success": "#00ff00", "error": "#ff0000"}
    assert str(status_text(200, theme).style) == "#00ff00"
    assert str(status_text(404, theme).style) == "#ff0000"
    assert status_text("ConnectError", theme).plain == "ConnectError ✗"  # without colour too


async def test_a_question_toggles_by_space_and_click_and_reads_without_colour():
    """Space and a click each flip the answer and post one Changed; the mark says it in
    plain text; enter is left to the screen; the question is text, never markup."""
    question = Question("Is it [b]stable[/b]?", id="q")
    changes: list[bool] = []

    class Asking(Host):
        def on_question_changed(self, event: Question.Changed) -> None:
            assert event.control is question
            changes.append(event.value)

    app = Asking(question, bindings=[("enter", "bell")])
    async with app.run_test(size=(40, 3)) as pilot:
        question.focus()
        await pilot.pause()
        assert not changes  # made with its answer: nothing changed yet
        assert str(question.render()) == "[ ] Is it [b]stable[/b]? "
        await pilot.press("space")
        await pilot.pause()
        assert question.value and str(question.render()).startswith("[X] ")
        assert question.has_class("-on")
        await pilot.click("#q")
        await pilot.pause()
        assert not question.value and changes == [True, False]
        await pilot.press("enter")  # not a toggle: the screen's key
        await pilot.pause()
        assert changes == [True, False]
    yes = Question("Yes?", value=True)
    assert yes.value and yes.has_class("-on")
