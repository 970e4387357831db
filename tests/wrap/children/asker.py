"""A toy chat program: coloured banner, an `ask>` prompt, a spinner, a coloured answer."""

import sys
import time

print("\x1b[1;34mToy assistant\x1b[0m 1.0 (type quit to leave)", flush=True)
while True:
    sys.stdout.write("\x1b[1mask>\x1b[0m ")
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
    words = line.split()
    print(f"\x1b[32mYou asked {len(words)} words.\x1b[0m", flush=True)
    print(f"Reversed: {' '.join(reversed(words))}", flush=True)
