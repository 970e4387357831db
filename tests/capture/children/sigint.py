"""SIGINT per argv[1]: "trap" says so and exits 0, "ignore" ignores it, "default" dies of it.

Then it echoes one line of input and exits.
"""

import signal
import sys

if sys.argv[1] == "trap":

    def on_int(*_):
        print("GOT SIGINT", flush=True)
        sys.exit(0)

    signal.signal(signal.SIGINT, on_int)
elif sys.argv[1] == "default":
    signal.signal(signal.SIGINT, signal.SIG_DFL)
else:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
print("READY", flush=True)
line = sys.stdin.readline()
print(f"ALIVE {line.strip()}", flush=True)
