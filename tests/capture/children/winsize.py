"""Report the terminal size at start and after every SIGWINCH; exit on a line "quit"."""

import os
import signal
import sys


def report(*_):
    cols, rows = os.get_terminal_size(0)
    sys.stdout.write(f"SIZE {cols} {rows}\n")
    sys.stdout.flush()


signal.signal(signal.SIGWINCH, report)
report()
for line in sys.stdin:
    if line.strip() == "quit":
        break
print("BYE", flush=True)
