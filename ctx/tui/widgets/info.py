"""Key/value panels: a session's metadata, a memory's provenance."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ctx.core.models import Memory, Session
from ctx.tui.data import fmt_duration, fmt_when, seconds_between, visible


def _grid(rows: list[tuple[str, str | Text]]) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in rows:
        grid.add_row(key, visible(value) if isinstance(value, str) else value)
    return grid


def session_facts(s: Session) -> list[tuple[str, str | Text]]:
    rows: list[tuple[str, str | Text]] = [("id", s.id), ("tool", s.tool), ("status", s.status)]
    rows.append(("started", fmt_when(s.started_at)))
    if s.ended_at:
        rows.append(("ended", fmt_when(s.ended_at)))
        rows.append(("duration", fmt_duration(seconds_between(s.started_at, s.ended_at))))
    rows.append(("turns", str(s.turn_count)))
    rows.append(("branch", s.branch or "-"))
    commit = (s.commit or "-")[:10]
    if s.commit_end and s.commit_end != s.commit:
        commit += f" → {s.commit_end[:10]}"
    rows.append(("commits", commit))
    if s.exit_status is not None:
        style = "green" if s.exit_status == 0 else "red"
        rows.append(("exit", Text(str(s.exit_status), style=style)))
    if s.command:
        rows.append(("command", " ".join(s.command)))
    if s.cwd:
        rows.append(("cwd", s.cwd))
    if s.author:
        rows.append(("author", s.author))
    if s.external_id:
        rows.append(("tool id", s.external_id))
    if s.tags:
        rows.append(("tags", " ".join(f"#{t}" for t in s.tags)))
    if s.private:
        rows.append(("private", "yes (kept local)"))
    return rows


def memory_facts(m: Memory) -> list[tuple[str, str | Text]]:
    rows: list[tuple[str, str | Text]] = [("id", m.id), ("type", m.type)]
    rows.append(("tags", " ".join(f"#{t}" for t in m.tags) or "-"))
    rows.append(("author", m.author or "-"))
    rows.append(("created", fmt_when(m.created_at)))
    if m.updated_at and m.updated_at != m.created_at:
        rows.append(("updated", fmt_when(m.updated_at)))
    rows.append(("branch", m.branch or "-"))
    rows.append(("commit", (m.commit or "-")[:10]))
    if m.source_session:
        turn = f" turn {m.source_turn}" if m.source_turn is not None else ""
        rows.append(("source", f"{m.source_session}{turn}"))
    if m.private:
        rows.append(("private", "yes (kept local)"))
    if m.cites:
        rows.append(("cites", ", ".join(m.cites)))
    st = m.stale or {}
    if st.get("status") == "stale":
        shas = " ".join(str(c.get("commit", ""))[:10] for c in st.get("commits") or [])
        rows.append(("stale", f"may be stale: changed in {shas or 'later commits'}"))
    if m.supersedes:
        rows.append(("replaces", m.supersedes))
    if m.superseded_by:
        rows.append(("replaced by", ", ".join(m.superseded_by)))
    return rows


class FactsPanel(Static):
    def show_facts(self, rows: list[tuple[str, str | Text]]) -> None:
        self.update(_grid(rows))
