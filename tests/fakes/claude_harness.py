"""Find the real Claude Code CLI and prepare a throw-away HOME in which it starts with no dialog.

Why a harness: tests run the real ``claude`` binary (DESIGN.md §6) against the fake API server
in :mod:`fakes.anthropic_server`. The CLI is installed once per machine by
``scripts/install-test-tools.sh`` into a cache OUTSIDE the repository:
``${CTX_TEST_TOOLS:-$HOME/.cache/ctx-test-tools}/claude-code``.

Tests run with HOME pointed at a temp dir (tests/conftest.py), so the real cache location is
resolved HERE, AT IMPORT TIME (test modules are imported during collection, before any fixture
patches HOME). ``CTX_CLAUDE_BIN`` names a binary to use instead of the cached one.

If the CLI is missing, :func:`find_or_install_claude` runs the install script once (npm is all it
needs); set ``CTX_TEST_AUTO_INSTALL=0`` to forbid that. It never skips: a missing CLI is a
failure whose message says which command installs it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = REPO_ROOT / "scripts" / "install-test-tools.sh"

# Resolved once, before tests patch HOME.
REAL_HOME = os.path.expanduser("~")
TOOLS_DIR = Path(
    os.environ.get("CTX_TEST_TOOLS") or os.path.join(REAL_HOME, ".cache", "ctx-test-tools")
)
CLAUDE_BIN_OVERRIDE = os.environ.get("CTX_CLAUDE_BIN") or None
_REAL_ENV = dict(os.environ)

# A key that is obviously not a secret (no vendor prefix, so secret scanners stay quiet).
FAKE_API_KEY = "ctx-test-fake-key-0000000000"


class ToolNotInstalled(RuntimeError):
    """A pinned CLI is not where the install script puts it (and could not be installed)."""


class ClaudeNotInstalled(ToolNotInstalled):
    """The Claude Code CLI is not where the install script puts it (and could not be installed)."""


def require(find: Callable[..., T], *args: Any) -> T:
    """``find(*args)``, or a test failure (never a skip) naming the command that installs it."""
    try:
        return find(*args)
    except ToolNotInstalled as exc:
        import pytest

        pytest.fail(str(exc), pytrace=False)


def _pin(var: str) -> str:
    m = re.search(rf'^{var}="\$\{{{var}:-([^}}]+)\}}"', INSTALL_SCRIPT.read_text(), re.MULTILINE)
    if not m:
        raise ClaudeNotInstalled(f"no {var} pin found in {INSTALL_SCRIPT}")
    return m.group(1)


def pinned_claude_version() -> str:
    """The Claude Code version the install script pins (single source of truth: the script)."""
    return _pin("CLAUDE_CODE_VERSION")


def pinned_aider_version() -> str:
    return _pin("AIDER_VERSION")


def claude_install_dir() -> Path:
    return TOOLS_DIR / "claude-code"


def cached_claude_bin() -> Path:
    return claude_install_dir() / "node_modules" / ".bin" / "claude"


def claude_version(binary: Path) -> str:
    """``claude --version`` prints e.g. ``2.1.330 (Claude Code)``; return the number."""
    out = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    return out.stdout.strip().split(" ", 1)[0]


def _install_hint() -> str:
    return (
        f"run `{INSTALL_SCRIPT.relative_to(REPO_ROOT)}` (needs npm; installs into {TOOLS_DIR}, "
        "override with CTX_TEST_TOOLS) or point CTX_CLAUDE_BIN at a claude binary"
    )


def _run_install_script(tool: str = "claude") -> None:
    """Run the (idempotent) install script, one process at a time (pytest-xdist workers)."""
    import fcntl

    env = dict(_REAL_ENV)  # the real HOME: npm and pip need their own config and cache
    env["CTX_TEST_TOOLS"] = str(TOOLS_DIR)
    TOOLS_DIR.mkdir(parents=True, exist_ok=True)
    with open(TOOLS_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run(
            ["bash", str(INSTALL_SCRIPT), tool],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if proc.returncode != 0:
        raise ClaudeNotInstalled(
            f"installing {tool} failed (exit {proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()[-2000:]}\n{_install_hint()}"
        )


def npm_tool_bin(tool: str) -> Path:
    """Where scripts/install-test-tools.sh puts an npm-installed CLI."""
    return TOOLS_DIR / tool / "node_modules" / ".bin" / tool


def find_or_install_tool(
    tool: str,
    pin_var: str,
    version_of: Callable[[str], str],
    error: type[Exception],
    label: str,
    installed: Callable[[], str | None] | None = None,
) -> Path:
    """The pinned CLI `tool`, installed by the install script on first use (unless
    CTX_TEST_AUTO_INSTALL=0): `version_of` reads the version out of `tool --version`, or
    `installed` says which version is there without running it."""
    binary = npm_tool_bin(tool)
    pin = _pin(pin_var)

    def version() -> str | None:
        if installed is not None:
            return installed()
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=60, check=False
        )
        return version_of(out.stdout)

    if not os.access(binary, os.X_OK) or version() != pin:
        if _REAL_ENV.get("CTX_TEST_AUTO_INSTALL", "1") == "0":
            raise error(
                f"{label} {pin} is not installed at {binary}; run "
                f"`{INSTALL_SCRIPT.relative_to(REPO_ROOT)} {tool}` (needs npm)"
            )
        _run_install_script(tool)
    if not os.access(binary, os.X_OK):
        raise error(f"no {tool} binary at {binary} after install")
    return binary


_found: Path | None = None


def find_or_install_claude() -> Path:
    """Path of the pinned Claude Code CLI; installs it on first use unless told not to."""
    global _found
    if _found is not None:
        return _found
    if CLAUDE_BIN_OVERRIDE:
        path = Path(CLAUDE_BIN_OVERRIDE)
        if not os.access(path, os.X_OK):
            raise ClaudeNotInstalled(f"CTX_CLAUDE_BIN={path} is not an executable file")
        _found = path
        return path
    binary = cached_claude_bin()
    pin = pinned_claude_version()
    if not os.access(binary, os.X_OK) or claude_version(binary) != pin:
        if _REAL_ENV.get("CTX_TEST_AUTO_INSTALL", "1") == "0":
            raise ClaudeNotInstalled(
                f"Claude Code {pin} is not installed at {binary}; {_install_hint()}"
            )
        _run_install_script()
    if not os.access(binary, os.X_OK):
        raise ClaudeNotInstalled(f"no claude binary at {binary} after install; {_install_hint()}")
    _found = binary
    return binary


# -- HOME preparation ------------------------------------------------------------------------


def _merge_json(path: Path, update: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if path.exists():
        data = json.loads(path.read_text() or "{}")
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return data


def prepare_claude_home(
    home: Path, project_dir: Path, api_key: str = FAKE_API_KEY, version: str | None = None
) -> Path:
    """Write ``home/.claude.json`` so the TUI opens straight to the prompt (no dialog at all).

    Each key silences one first-run screen, found by running 2.1.330 in a pty:
    onboarding (theme picker, login), the folder-trust dialog, the "use this API key?"
    dialog (Claude Code stores the last 20 characters of approved keys), the
    auto-mode notice, and the release notes.
    """
    version = version or _pin_or_none()
    project_entry = {
        "hasTrustDialogAccepted": True,
        "hasCompletedProjectOnboarding": True,
        "projectOnboardingSeenCount": 1,
        "allowedTools": [],
    }
    paths = {str(project_dir), os.path.realpath(project_dir)}
    config: dict[str, Any] = {
        "hasCompletedOnboarding": True,
        "numStartups": 1,
        "theme": "dark",
        "autoUpdates": False,
        "customApiKeyResponses": {"approved": [api_key[-20:]], "rejected": []},
        "hasSeenAutoDefaultNotice": True,
        "tipsHistory": {"new-user-warmup": 1},
        "projects": {p: project_entry for p in paths},
    }
    if version:
        config["lastReleaseNotesSeen"] = version
    path = home / ".claude.json"
    _merge_json(path, config)
    return path


def _pin_or_none() -> str | None:
    try:
        return pinned_claude_version()
    except (OSError, ClaudeNotInstalled):
        return None


def write_claude_settings(home: Path, settings: Mapping[str, Any]) -> Path:
    """Merge ``settings`` into ``home/.claude/settings.json`` (user settings: hooks, env, ...)."""
    path = home / ".claude" / "settings.json"
    _merge_json(path, settings)
    return path


def tool_env(
    home: Path, drop: tuple[str, ...], bin_dir: Path | None = None, **extra: str
) -> dict[str, str]:
    """The test's environment minus variables starting with ``drop`` (the developer's own keys
    and settings), with ``home`` as HOME, ``bin_dir`` first on PATH, and ``extra`` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["HOME"] = str(home)
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    env.update(extra)
    return env


def claude_env(
    home: Path,
    project_dir: Path,
    server_url: str,
    *,
    api_key: str = FAKE_API_KEY,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment for running claude against the fake server with ``home`` as HOME.

    Starts from the current environment (so the isolated HOME/XDG/CTX_* of the test and PATH
    pass through) minus anything ANTHROPIC_* / CLAUDE_* the developer may have set.
    Also writes the HOME's ``.claude.json`` (see :func:`prepare_claude_home`).
    """
    prepare_claude_home(home, project_dir, api_key)
    (home / "tmp").mkdir(exist_ok=True)
    gitconfig = home / ".gitconfig"  # a real user's HOME has a git identity
    if not gitconfig.exists():
        gitconfig.write_text("[user]\n\tname = Test User\n\temail = test@example.com\n")
    env = tool_env(
        home,
        ("ANTHROPIC_", "CLAUDE_", "CLAUDECODE"),
        # Claude Code writes under XDG dirs too (e.g. a .desktop URL handler): keep them
        # inside the throw-away HOME even when called before the test's own isolation.
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        # Bash-tool output goes to $TMPDIR/claude-<uid>/<encoded cwd>/: keep it in HOME too.
        TMPDIR=str(home / "tmp"),
        ANTHROPIC_BASE_URL=server_url,
        ANTHROPIC_API_KEY=api_key,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        DISABLE_AUTOUPDATER="1",
    )
    if env.get("TERM", "dumb") == "dumb":
        env["TERM"] = "xterm-256color"
    env.setdefault("LANG", "C.UTF-8")
    if extra:
        env.update(extra)
    return env


def run_claude_print(
    binary: Path,
    prompt: str,
    env: Mapping[str, str],
    cwd: Path,
    args: Sequence[str] = (),
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``claude -p PROMPT [args]``: one non-interactive turn; stdout is the final reply text."""
    return subprocess.run(
        [str(binary), "-p", prompt, *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def busy_or(reply: str) -> re.Pattern[str]:
    """What the screen shows once a prompt was submitted: the spinner's hint or the reply."""
    return re.compile(r"esc to interrupt|" + re.escape(reply))


class ClaudeTUI:
    """Drive an interactive program (claude, or ``ctx wrap -- claude``) through a real pty.

    Output is fed through a pyte screen so tests can wait for text as the user would see it
    (the TUI redraws constantly; raw bytes are not searchable).
    """

    READY = re.compile(r"shift\+tab|for shortcuts")

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: Path,
        rows: int = 40,
        cols: int = 120,
    ) -> None:
        import pexpect
        import pyte

        self.screen = pyte.Screen(cols, rows)
        self._stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self.child = pexpect.spawn(
            argv[0], list(argv[1:]), cwd=str(cwd), env=dict(env), dimensions=(rows, cols)
        )

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display if line.strip())

    def pump(self, timeout: float = 0.1) -> bool:
        """Read what is available; False once the child has closed the pty."""
        import pexpect

        try:
            data = self.child.read_nonblocking(65536, timeout=timeout)
        except pexpect.TIMEOUT:
            return True
        except pexpect.EOF:
            return False
        self.raw.extend(data)
        self._stream.feed(data)
        return True

    def wait_for(self, pattern: str | re.Pattern[str], timeout: float = 30) -> None:
        """Wait until the screen shows ``pattern`` (a regex or a plain string)."""
        rx = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if rx.search(self.text()):
                return
            if not self.pump():
                break
        raise AssertionError(f"timed out waiting for {rx.pattern!r}; screen:\n{self.text()}")

    def wait_ready(self, timeout: float = 30) -> None:
        self.wait_for(self.READY, timeout)

    def send_prompt(self, text: str, until: str | re.Pattern[str] | None = None) -> None:
        """Type a prompt, wait until the input box shows it, then press Enter on its own
        (text + CR in one read is taken as a paste). With ``until``, press Enter again (up to
        twice) while the screen does not show it: a busy machine can make the TUI swallow it."""
        self.child.send(text)
        tail = "".join(text.split())[-20:]
        end = time.monotonic() + 30
        while tail not in "".join(self.text().split()):
            if time.monotonic() > end or not self.pump():
                raise AssertionError(f"the TUI never showed the typed {text!r}:\n{self.text()}")
        time.sleep(0.3)
        self.child.send("\r")
        if until is None:
            return
        for _ in range(2):
            try:
                self.wait_for(until, timeout=10)
                return
            except AssertionError:
                self.child.send("\r")
        self.wait_for(until, timeout=30)

    def exit(self, how: str = "/exit", timeout: float = 20) -> int | None:
        """Quit the TUI: "/exit", "ctrl-d" (twice) or "ctrl-c" (twice); returns the exit status."""
        if how == "/exit":
            self.send_prompt("/exit")
        else:
            key = {"ctrl-d": "\x04", "ctrl-c": "\x03"}[how]
            self.child.send(key)
            time.sleep(0.3)
            self.child.send(key)
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.pump(0.2):
            pass
        if self.child.isalive():
            self.child.terminate(force=True)
            raise AssertionError(f"the TUI did not exit on {how}; screen:\n{self.text()}")
        self.child.close()
        return self.child.exitstatus

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close()


# -- aider -----------------------------------------------------------------------------------


def aider_bin() -> Path:
    return TOOLS_DIR / "aider-venv" / "bin" / "aider"


def find_or_install_aider() -> Path:
    """Path of aider (aider-chat in its own venv under the tools cache); installs on first use.

    The install takes about 70 s (litellm and friends), once per machine.
    """
    binary = aider_bin()
    if not (binary.parent.parent / ".ctx-installed").exists():
        if _REAL_ENV.get("CTX_TEST_AUTO_INSTALL", "1") == "0":
            raise ClaudeNotInstalled(
                f"aider is not installed at {binary}; run "
                f"`{INSTALL_SCRIPT.relative_to(REPO_ROOT)} aider`"
            )
        _run_install_script("aider")
    if not os.access(binary, os.X_OK):
        raise ClaudeNotInstalled(f"no aider at {binary} after install")
    return binary


def aider_argv(binary: Path, base_url: str, workdir: Path, message: str | None = None) -> list[str]:
    """aider pointed at a fake OpenAI server with no network access at all.

    ``--model-metadata-file`` gives aider the model's limits so it does not fetch litellm's
    price list from the internet; the other flags skip git, update checks, analytics, the
    release notes and every confirmation.
    """
    meta = workdir / ".aider-model-metadata.json"
    meta.write_text(
        json.dumps(
            {
                "openai/gpt-4o-mini": {
                    "max_tokens": 16384,
                    "max_input_tokens": 128000,
                    "max_output_tokens": 16384,
                    "input_cost_per_token": 0,
                    "output_cost_per_token": 0,
                    "litellm_provider": "openai",
                    "mode": "chat",
                }
            }
        )
    )
    argv = [
        str(binary),
        "--openai-api-base",
        base_url,
        "--openai-api-key",
        "x",
        "--model",
        "openai/gpt-4o-mini",
        "--model-metadata-file",
        str(meta),
        "--no-git",
        "--yes-always",
        "--no-check-update",
        "--no-show-model-warnings",
        "--no-show-release-notes",
        "--no-analytics",
        "--no-pretty",
    ]
    if message is not None:
        argv += ["--message", message]
    return argv


def aider_env(home: Path) -> dict[str, str]:
    """Environment for aider: a throw-away HOME, and litellm told to use its bundled model map."""
    return tool_env(
        home,
        ("OPENAI_", "AIDER_"),
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        TERM="dumb",
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
    )
