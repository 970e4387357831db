"""A toy line-mode REPL with coloured output and a spinner, like a chat tool."""

import sys
import time

print("\x1b[1mToy REPL\x1b[0m 1.0", flush=True)
while True:
    sys.stdout.write("> ")
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line or line.strip() == "quit":
        print("bye", flush=True)
        break
    for frame in "|/-\\":
        sys.stdout.write(f"\rthinking {frame}")
        sys.stdout.flush()
        time.sleep(0.01)
    sys.stdout.write("\r\x1b[2K")
    print(f"\x1b[32myou said:\x1b[0m {line.strip()}", flush=True)
