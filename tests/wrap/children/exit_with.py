"""Print a line, then exit with the status given as the first argument (or die by a signal)."""

import os
import signal
import sys

print("about to exit", flush=True)
arg = sys.argv[1]
if arg.startswith("SIG"):
    os.kill(os.getpid(), getattr(signal, arg))
sys.exit(int(arg))
