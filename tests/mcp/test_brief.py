"""ctx.integrations.brief.build_brief: what MCP `context` and the SessionStart hook inject."""

from __future__ import annotations

from ctx.core.models import Memory, TranscriptHeader, TranscriptTurn
from ctx.integrations.brief import build_brief, memory_score
from ctx.store.project import Project
from tests.conftest import git


def _on_branch(project: Project, branch: str) -> None:
    """Check out `branch` for real (creating it), so new records carry it."""
    existing = git(project.root, "branch", "--list", branch).strip()
    git(project.root, "checkout", "-q", *([] if existing else ["-b"]), branch)
    project.refresh_git()


def _session(project: Project, ext: str, branch: str, started: str, title: str) -> str:
    res = project.import_session(
        TranscriptHeader(
            tool="claude", external_id=ext, branch=branch, started_at=started, title=title
        ),
        [TranscriptTurn(role="user", text="hi"), TranscriptTurn(role="assistant", text="hello")],
    )
    assert res.session is not None
    return res.session.id


def test_empty_store(project: Project) -> None:
    brief = build_brief(project)
    assert brief.empty and brief.items == [] and brief.branch == "main"
    assert "No memories or sessions stored" in brief.text


def test_ranks_by_type_branch_and_recency_and_lists_sessions(project: Project) -> None:
    _on_branch(project, "other")
    fact = project.add_memory("A fact from another branch", "fact").id
    episode = project.add_memory("An episode summary", "episode").id
    _on_branch(project, "main")
    decision = project.add_memory("We chose RS256", "decision").id
    s_other = _session(project, "a", "other", "2026-11-20T10:00:00Z", "newest but other branch")
    s_main = _session(project, "b", "main", "2026-11-01T10:00:00Z", "older on main")
    open_sid = project.start_session("manual", "still open").id

    brief = build_brief(project)
    ids = [i.id for i in brief.items]
    assert ids[:3] == [decision, fact, episode]
    sessions = [i.id for i in brief.items if i.kind == "session"]
    assert sessions == [s_main, s_other]  # the current branch first
    assert open_sid not in ids and episode in ids
    text = brief.text
    assert text.index("Decisions:") < text.index("Facts:") < text.index("Recent sessions:")
    assert f"[{decision}] We chose RS256" in text and "branch other" in text
    assert brief.total_memories == 3 and brief.total_sessions == 2 and brief.omitted == 0

    other = build_brief(project, branch="other")  # ranked for another branch
    assert next(i.id for i in other.items if i.kind == "session") == s_other


def test_score_prefers_decisions_the_branch_and_recent_ones() -> None:
    def mem(mtype: str, branch: str, when: str) -> Memory:
        return Memory("m-x", mtype, "c", branch=branch, created_at=when, updated_at=when)

    now = "2026-11-21T00:00:00Z"
    assert memory_score(mem("decision", "b", now), "b") > memory_score(mem("fact", "b", now), "b")
    assert memory_score(mem("fact", "b", now), "b") > memory_score(mem("fact", "c", now), "b")
    old = mem("fact", "b", "2020-01-01T00:00:00Z")
    assert memory_score(mem("fact", "b", now), "b") > memory_score(old, "b") > 0


def test_never_exceeds_the_budget_and_counts_what_it_left_out(project: Project) -> None:
    for i in range(60):
        project.add_memory(f"Fact number {i}: " + "detail " * (i % 7 + 1), "fact")
    for i in range(3):
        _session(project, f"s{i}", "main", f"2026-11-0{i + 1}T00:00:00Z", f"session {i}")
    for budget in (200, 333, 500, 1000, 2500, 4000, 9000):
        brief = build_brief(project, budget_chars=budget)
        assert len(brief.text) <= budget
        assert brief.omitted == 63 - len(brief.items)
        for item in brief.items:
            assert item.line in brief.text
        if brief.omitted:
            assert f"({brief.omitted} more not shown" in brief.text
    big = build_brief(project, budget_chars=4000)
    assert any(i.kind == "session" for i in big.items)  # sessions get their share
    assert build_brief(project, budget_chars=50_000).omitted == 0


def test_long_memories_are_cut_to_one_line(project: Project) -> None:
    project.add_memory("line one\nline two " + "x" * 2000, "fact")
    brief = build_brief(project)
    line = brief.items[0].line
    assert "\n" not in line and len(line) < 420 and "…" in line
