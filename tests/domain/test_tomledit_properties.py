"""Property tests of the comment-keeping TOML edits: for random plans with comments
everywhere, writing ids back keeps every comment and changes only the id lines."""

from __future__ import annotations

import copy
import re
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.domain.test_plan_properties import ALNUM, NUMBERS, plans
from wizard.plans.plan import ID_KEYS, dump_plan, load_plan, loads_plan, save_plan, set_id

COMMENT_TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufeff"),
    max_size=20,
)
NEW_IDS = {
    "application": st.text(string.digits, min_size=1, max_size=20),
    "ip_acl": st.text(ALNUM + "-", min_size=1, max_size=40),
    "credential": st.text(ALNUM + "-", min_size=1, max_size=40),
    "number": st.sampled_from(NUMBERS),
}


def kinds_in(plan) -> list[str]:
    out = ["application"]
    if plan.auth and plan.auth.ip_acl:
        out.append("ip_acl")
    if plan.auth and plan.auth.credential:
        out.append("credential")
    if plan.forwarding:
        out.append("number")
    return out


def with_comments(text: str, data: st.DataObject) -> tuple[str, list[str]]:
    """The text with a unique comment after random lines and on random lines of its own."""
    out, comments = [], []
    for n, line in enumerate(text.splitlines()):
        mark = data.draw(st.sampled_from(["", "trailing", "own line"]))
        if mark == "own line":
            comments.append(f"# c{n}: {data.draw(COMMENT_TEXT)}")
            out.append(comments[-1])
        if mark == "trailing" and line.strip() and not line.lstrip().startswith("#"):
            comments.append(f"# t{n}: {data.draw(COMMENT_TEXT)}")
            line = f"{line}{' ' * data.draw(st.integers(1, 30))}{comments[-1]}"
        out.append(line)
    return "\n".join(out) + "\n", comments


def strip_comment(line: str) -> str:
    """A dumped line without its trailing comment (dumped values hold no '#')."""
    return re.sub(r"\s+# [ct]\d+: .*$", "", line)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(plans(), st.data())
def test_writing_ids_back_keeps_every_comment_and_changes_only_the_ids(plan, data):
    from wizard.plans.plan import write_back_ids

    text, comments = with_comments(dump_plan(plan), data)
    assert loads_plan(text, check=False) == plan  # the comments are valid TOML
    kinds = data.draw(st.lists(st.sampled_from(kinds_in(plan)), min_size=1, unique=True))
    ids = {k: data.draw(NEW_IDS[k]) for k in kinds}
    want = copy.deepcopy(plan)
    changed = {ID_KEYS[k] for k in kinds if set_id(want, k, ids[k])}
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "plan.toml"
        path.write_text(text, encoding="utf-8")
        assert set(write_back_ids(path, ids)) == changed
        after = path.read_text(encoding="utf-8")
        assert load_plan(path, check=False) == want
    # every comment, in the same order
    positions = [after.find(c) for c in comments]
    assert -1 not in positions and positions == sorted(positions)
    # only the lines holding a changed id differ, and only in their value
    before_lines, after_lines = text.splitlines(), after.splitlines()
    assert len(before_lines) == len(after_lines)
    leaves = {key.rpartition(".")[2] for key in changed}
    for old, new in zip(before_lines, after_lines, strict=True):
        if old == new:
            continue
        old_key = strip_comment(old).partition(" = ")[0]
        assert old_key in leaves, (old, new)
        assert strip_comment(new).partition(" = ")[0] == old_key


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), plans(), st.data())
def test_saving_edited_values_keeps_every_comment(old, other, data):
    """ctrl+s after editing values: the file loads as the new plan and keeps each comment."""
    text, comments = with_comments(dump_plan(old), data)
    new = copy.deepcopy(old)
    new.application.answer_url = other.application.answer_url
    new.application.name = other.application.name
    new.provider = other.provider
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "plan.toml"
        path.write_text(text, encoding="utf-8")
        save_plan(new, path)
        assert load_plan(path, check=False) == new
        after = path.read_text(encoding="utf-8")
    positions = [after.find(c) for c in comments]
    assert -1 not in positions and positions == sorted(positions)
