"""Exit with the status given as argv[1]; "TERM" kills itself with SIGTERM instead."""

import os
import signal
import sys

print(f"exiting {sys.argv[1]}", flush=True)
if sys.argv[1] == "TERM":
    os.kill(os.getpid(), signal.SIGTERM)
    signal.pause()
sys.exit(int(sys.argv[1]))
