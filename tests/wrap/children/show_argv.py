#!/usr/bin/env python3
"""Stands in for a tool on PATH (named claude, aider, ...): prints the argv it got as JSON."""

import json
import sys

print("ARGV " + json.dumps(sys.argv[1:]), flush=True)
sys.exit(int(__import__("os").environ.get("SHOW_ARGV_EXIT", "0")))
