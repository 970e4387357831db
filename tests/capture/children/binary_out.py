"""Write every byte value, invalid UTF-8 and a character split across two writes, raw."""

import os
import sys
import time
import tty

if os.isatty(1):
    tty.setraw(1)  # no \n -> \r\n translation: the bytes must arrive exactly
payload = bytes(range(256)) + b"\xff\xfe invalid \xc3(" + "é".encode()[:1]
os.write(1, payload)
time.sleep(0.2)  # the rest of "é" arrives in another read
os.write(1, "é".encode()[1:] + b" end")
sys.exit(0)
