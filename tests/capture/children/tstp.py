"""Ctrl-Z (SIGTSTP) handling per argv[1].

"trap": say so and exit. "suspend": restore nothing, stop itself with SIGSTOP as programs
that suspend on Ctrl-Z do, then after being continued echo one line of input and exit.
"""

import os
import signal
import sys


def on_tstp(*_):
    if sys.argv[1] == "trap":
        print("GOT SIGTSTP", flush=True)
        sys.exit(0)
    print("SUSPENDING", flush=True)
    os.kill(os.getpid(), signal.SIGSTOP)
    print("RESUMED", flush=True)


signal.signal(signal.SIGTSTP, on_tstp)
print("READY", flush=True)
if sys.argv[1] == "trap":
    signal.pause()
line = sys.stdin.readline()
print(f"ALIVE {line.strip()}", flush=True)
