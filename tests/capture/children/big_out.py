"""Write argv[1] bytes of pseudo-random data through a raw tty; sha256 and size to argv[2]."""

import hashlib
import os
import random
import sys
import tty

if os.isatty(1):
    tty.setraw(1)
total = int(sys.argv[1])
block = random.Random(7).randbytes(1 << 20)
digest = hashlib.sha256()
written = 0
while written < total:
    chunk = block[: min(len(block), total - written)]
    view = memoryview(chunk)
    while view:
        view = view[os.write(1, view) :]
    digest.update(chunk)
    written += len(chunk)
with open(sys.argv[2], "w") as f:
    f.write(f"{written} {digest.hexdigest()}")
