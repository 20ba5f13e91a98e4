"""One workflow engine for every stateful record (hazards, tips, and the
accidents, enforcement cases and reports to come).

An app declares its workflow once, in its ``workflow.py``: the state choices,
the parties (who a user *is* for one record: "the owning department's staff",
"the responsible unit" …) with their labels, a ``parties(user, obj)`` function
deciding them, and the table of :class:`Transition` rows. Everything else is
derived from that table:

* services ask :meth:`Workflow.check` before changing a record (state, right,
  guard — in that order, with the codes ``invalid_transition``,
  ``permission_denied`` and ``guard_failed``);
* pages show only :meth:`Workflow.allowed` and post the transition's name to
  one view (``zhiben.web.toolkit.workflow``);
* the API has one POST endpoint per transition (``zhiben.api.workflow``);
* the docs draw :meth:`Workflow.mermaid` and :meth:`Workflow.markdown_table`,
  kept in sync by a test.

This module is generic: it knows nothing of organizations or apps (the
parties function is the app's, written with ``zhiben.org.access``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Guard = Callable[[Any, set, Any], "str | None"]
"""``guard(user, user_parties, obj)``: None when the transition may go ahead,
else the reason (Chinese, shown to the user) why not."""


@dataclass(frozen=True)
class Transition:
    """One row of a workflow table."""

    name: str
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: back to the state before (e.g. a 移交 accepted or returned)
    who: frozenset[str]
    guard: Guard | None = None
    needs_reason: bool = False
    description: str = ""


def transition(
    name: str,
    label: str,
    sources: Iterable[str],
    target: str | None,
    who: Iterable[str],
    guard: Guard | None = None,
    needs_reason: bool = False,
    description: str = "",
) -> Transition:
    """A table row, with sources and parties given as any iterables."""
    return Transition(name, label, tuple(sources), target, frozenset(who), guard, needs_reason, description)


@dataclass
class Workflow:
    """A declared workflow: states, parties and the transition table.

    ``noun`` names the record in refusals ("您无权对该{noun}执行…");
    ``previous_label`` names the state a ``target=None`` transition returns to;
    ``start``/``ends`` are the diagram's entry edge label and final states;
    ``notes_header`` and ``reason_note`` word the markdown table's last column.
    """

    states: Any  # a Django TextChoices class
    party_labels: Mapping[str, str]
    parties: Callable[[Any, Any], set]
    transitions: list[Transition]
    noun: str
    state_field: str = "status"
    previous_label: str = "移交前状态"
    start: tuple[str, str] | None = None  # (initial state, label of the edge into it)
    ends: tuple[str, ...] = ()
    notes_header: str = "说明"
    reason_note: str = "（须填写原因）"
    by_name: dict[str, Transition] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name = {t.name: t for t in self.transitions}
        if len(self.by_name) != len(self.transitions):
            raise ValueError("transition names must be unique")

    def __getitem__(self, name: str) -> Transition:
        return self.by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def get(self, name: str | Transition) -> Transition:
        return name if isinstance(name, Transition) else self.by_name[name]

    # --- Deciding ------------------------------------------------------------------------------

    def state_label(self, value: str | None) -> str:
        return self.states(value).label if value else self.previous_label

    def check(self, name: str | Transition, user, obj) -> tuple[bool, str, str]:
        """(allowed, code, message) for ``user`` making the transition on ``obj`` now."""
        t = self.get(name)
        state = getattr(obj, self.state_field)
        if state not in t.sources:
            return False, "invalid_transition", f"当前状态为“{self.states(state).label}”，不能{t.label}"
        user_parties = self.parties(user, obj)
        if not user_parties & t.who:
            return False, "permission_denied", f"您无权对该{self.noun}执行“{t.label}”"
        problem = t.guard(user, user_parties, obj) if t.guard is not None else None
        if problem:
            return False, "guard_failed", problem
        return True, "", ""

    def allowed(self, user, obj) -> list[Transition]:
        """The transitions ``user`` may make on ``obj`` now, in table order."""
        return [t for t in self.transitions if self.check(t, user, obj)[0]]

    def blocked(self, user, obj, *, skip: Iterable[str] = ()) -> list[tuple[Transition, str]]:
        """Transitions the user is a party to but whose guard holds them back,
        with the reason (pages show them so that people know what is missing)."""
        skipped = set(skip)
        found = []
        for t in self.transitions:
            if t.name in skipped:
                continue
            ok, code, message = self.check(t, user, obj)
            if not ok and code == "guard_failed":
                found.append((t, message))
        return found

    # --- Drawing -------------------------------------------------------------------------------

    def _who(self, t: Transition, *, by_label: bool) -> str:
        if by_label:
            return "、".join(sorted(self.party_labels[p] for p in t.who))
        return "、".join(self.party_labels[p] for p in sorted(t.who))

    def mermaid(self) -> str:
        """The state diagram (Mermaid) drawn from the table."""
        lines = ["stateDiagram-v2"]
        if self.start is not None:
            lines.append(f"    [*] --> {self.start[0]}: {self.start[1]}")
        returns = False
        for t in self.transitions:
            who = self._who(t, by_label=True)
            returns = returns or t.target is None
            for source in t.sources:
                lines.append(f"    {source} --> {t.target or 'previous'}: {t.label}（{who}）")
        if returns:
            lines.append(f"    previous: {self.previous_label}")
        for state in self.states:
            lines.append(f"    {state.value}: {state.label}")
        for end in self.ends:
            lines.append(f"    {end} --> [*]")
        return "\n".join(lines)

    def markdown_table(self) -> str:
        """The table as Markdown: action, from, to, who, notes."""
        rows = [f"| 操作 | 从 | 到 | 谁可以 | {self.notes_header} |", "| --- | --- | --- | --- | --- |"]
        for t in self.transitions:
            sources = "、".join(self.states(s).label for s in t.sources)
            rows.append(
                f"| {t.label} (`{t.name}`) | {sources} | {self.state_label(t.target)} | "
                f"{self._who(t, by_label=False)} | {t.description}{self.reason_note if t.needs_reason else ''} |"
            )
        return "\n".join(rows)


__all__ = ["Guard", "Transition", "Workflow", "transition"]
