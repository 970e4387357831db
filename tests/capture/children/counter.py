"""Print numbered lines as fast as the terminal takes them, forever."""

import sys

n = 0
while True:
    n += 1
    sys.stdout.write(f"line {n:07d}\n")
    if n % 50 == 0:
        sys.stdout.flush()
