"""Say so on SIGTSTP (Ctrl-Z), then exit."""

import signal
import sys


def on_tstp(*_):
    print("GOT SIGTSTP", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTSTP, on_tstp)
print("READY", flush=True)
signal.pause()
