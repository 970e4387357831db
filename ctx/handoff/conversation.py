"""A ctx session as the alternating user / assistant exchange an agent's API takes.

Agents take only their own tool calls back (ids, schemas, results in pairs), so tool calls and
results from a session are rendered as text on the assistant's side: the assistant made the call
and saw its result. System and synthetic turns are context, not speech, and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from ctx.core.models import Session, Turn

RESULT_CLIP = 4000  # characters of a tool result kept in the rebuilt context


@dataclass
class Message:
    role: str  # "user" | "assistant"
    text: str
    ts: str | None = None


def _side(turn: Turn) -> str | None:
    if turn.meta.get("synthetic"):
        return None
    if turn.role == "user":
        return "user"
    if turn.role in ("assistant", "tool"):
        return "assistant"
    return None


def _text(turn: Turn) -> str:
    text = turn.text.strip()
    if turn.role != "tool":
        return text
    if turn.meta.get("kind") == "tool_result":
        if len(text) > RESULT_CLIP:
            text = text[:RESULT_CLIP] + f"\n[… {len(text) - RESULT_CLIP} more characters]"
        return f"[tool result]\n{text}"
    return f"[tool call] {text}"


def exchange(session: Session, *, target: str) -> list[Message]:
    """Alternating messages, starting with the user and ending with the assistant."""
    out: list[Message] = []
    for turn in session.turns or []:
        side = _side(turn)
        text = _text(turn)
        if side is None or not text:
            continue
        if out and out[-1].role == side:
            out[-1].text += "\n\n" + text
        else:
            out.append(Message(side, text, turn.ts))
    preamble = _preamble(session, target)
    if preamble:
        if out and out[0].role == "user":
            out[0].text = preamble + "\n\n" + out[0].text
        else:
            out.insert(0, Message("user", preamble, session.started_at or None))
    if not out:
        out.append(Message("user", _preamble(session, target, always=True), session.started_at))
    if out[-1].role == "user":
        out.append(Message("assistant", "(no reply was recorded)", out[-1].ts))
    return out


def _preamble(session: Session, target: str, always: bool = False) -> str:
    """Say where the context comes from when it is not the target agent's own session."""
    if session.tool == target and not always:
        return ""
    who = f" by {session.author}" if session.author else ""
    when = f" on {session.started_at[:10]}" if session.started_at else ""
    title = f' "{session.title}"' if session.title else ""
    return (
        f"[Earlier conversation{title}, captured with {session.tool}{who}{when} and resumed "
        f"with ctx (session {session.id}). Tool calls and results are shown as text.]"
    )
