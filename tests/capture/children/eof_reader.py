"""Read stdin to the end, then report what it got."""

import sys

print("READY", flush=True)
data = sys.stdin.buffer.read()
print(f"READ {len(data)} {data!r}", flush=True)
print("EOF", flush=True)
