"""A stand-in for Claude Code that writes a transcript where the real one does.

``-p PROMPT``: one exchange, print the reply, exit. Otherwise: read prompts after a ``> ``
prompt until ``/exit`` (``/exit N`` exits with status N). ``--resume ID`` continues that
session's file. Each exchange appends a user and an assistant record (current timestamps) to
``$HOME/.claude/projects/<encoded cwd>/<session id>.jsonl``, as Claude Code 2.1 does.
"""

import json
import os
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

from ctx.capture.adapters.claude import encode_project_dir


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


args = sys.argv[1:]
sid = args[args.index("--resume") + 1] if "--resume" in args else str(uuid.uuid4())
cwd = os.getcwd()
folder = Path(os.environ["HOME"], ".claude", "projects", encode_project_dir(cwd))
folder.mkdir(parents=True, exist_ok=True)
transcript = folder / f"{sid}.jsonl"


def exchange(prompt: str) -> str:
    reply = f"Fake Claude says: {prompt[::-1]}"
    base = {"sessionId": sid, "cwd": cwd, "gitBranch": "main", "version": "9.9.9"}
    records = [
        {
            **base,
            "type": "user",
            "uuid": str(uuid.uuid4()),
            "timestamp": now(),
            "message": {"role": "user", "content": prompt},
        },
        {
            **base,
            "type": "assistant",
            "uuid": str(uuid.uuid4()),
            "timestamp": now(),
            "message": {
                "id": f"msg_{uuid.uuid4().hex}",
                "role": "assistant",
                "model": "fake-model",
                "content": [{"type": "text", "text": reply}],
            },
        },
    ]
    with transcript.open("a") as fh:
        for rec in records:
            fh.write(json.dumps(rec) + "\n")
    return reply


if "-p" in args:
    print(exchange(args[args.index("-p") + 1]), flush=True)
    sys.exit(0)
print("Fake Claude ready", flush=True)
while True:
    sys.stdout.write("> ")
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line or line.split()[:1] == ["/exit"]:
        sys.exit(int(line.split()[1]) if len(line.split()) > 1 else 0)
    print(exchange(line.strip()), flush=True)
