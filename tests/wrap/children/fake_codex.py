"""A stand-in for the Codex CLI: writes a rollout (the adapters' fixture, re-dated, for this
directory, under a new session id) where Codex does, ``$CODEX_HOME/sessions/YYYY/MM/DD/``."""

import json
import os
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

FIXTURE = next(
    (Path(__file__).resolve().parents[2] / "adapters" / "fixtures" / "codex").rglob("*.jsonl")
)
now = datetime.now(timezone.utc)
stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
sid = str(uuid.uuid4())
folder = Path(os.environ["CODEX_HOME"], "sessions", now.strftime("%Y/%m/%d"))
folder.mkdir(parents=True, exist_ok=True)
out = folder / f"rollout-{now.strftime('%Y-%m-%dT%H-%M-%S')}-{sid}.jsonl"
with out.open("w") as fh:
    for line in FIXTURE.read_text().splitlines():
        rec = json.loads(line)
        rec["timestamp"] = stamp
        if rec.get("type") == "session_meta":
            rec["payload"].update({"id": sid, "cwd": os.getcwd(), "timestamp": stamp})
        fh.write(json.dumps(rec) + "\n")
print("codex done:", " ".join(sys.argv[1:]), flush=True)
