"""Starting ctx in a child Python that imports nothing from the directory it starts in.

`python -m ctx` puts the current directory first on `sys.path`, and git runs its hooks (and
an agent its hooks, and `ctx resume --exec` its wrap) in the repository: a `ctx/` package that
a pulled commit puts at the repository's root would be imported instead of the installed ctx,
and run on the next `git pull`. `python -c` puts `''` (the current directory) first instead,
and these commands drop it before importing ctx. (`python -P` does the same, from 3.11 only;
`-I` also drops the user's site-packages, where a `pip install --user` put ctx.)

Standard library only: the hooks' fast paths import this.
"""

from __future__ import annotations

import sys

#: Python source that removes the current directory from the path (when `-c` put it there).
DROP_CWD = "import sys; sys.path[:1] == [''] and sys.path.pop(0)"

#: `python -c MAIN ARGS` runs `ctx ARGS`.
MAIN = DROP_CWD + "; from ctx.launch import main; sys.exit(main())"


def module_main(module: str) -> str:
    """`python -c module_main(M) ARGS` runs `M.main(ARGS)` and exits with its status."""
    return DROP_CWD + f"; from {module} import main; sys.exit(main(sys.argv[1:]))"


def ctx_argv(*args: str) -> list[str]:
    """The argv that runs `ctx ARGS` with this Python."""
    return [sys.executable, "-c", MAIN, *args]
