"""Print the arguments it received as JSON (ASCII-escaped), then its argv[0] as given."""

import json
import sys

print(json.dumps(sys.argv[1:]))
print(json.dumps(sys.orig_argv[0]))
