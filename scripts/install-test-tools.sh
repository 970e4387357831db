#!/usr/bin/env bash
# Install the real AI CLIs that the test-suite drives, into a cache OUTSIDE the repository.
#
#   scripts/install-test-tools.sh            # everything the tests drive: claude, aider, codex,
#                                            # gemini (Gemini CLI), qwen (Qwen Code), opencode,
#                                            # copilot (GitHub Copilot CLI)
#   scripts/install-test-tools.sh claude     # one of them
#
# Where: ${CTX_TEST_TOOLS:-$HOME/.cache/ctx-test-tools}/{claude-code,aider-venv,codex,gemini,qwen,
# opencode,copilot}.
# Idempotent: a quick no-op when the pinned version is already there.
#
# Claude Code: since 2.1.x the npm package ships a native (Bun-compiled) executable as an
# optional dependency per platform (@anthropic-ai/claude-code-linux-x64, ...). npm fetches it
# from the same registry as the package, and the postinstall step only copies it in place,
# so the install needs nothing but npm (no other download). The package's "engines" asks for
# node >= 22, but node only runs the postinstall copy; node 20 works (npm prints an EBADENGINE
# warning). Bump the pin deliberately: the transcript format changes between releases.
#
# aider: aider-chat from PyPI in its own virtualenv (about 70 s the first time; it pulls
# litellm and tree-sitter wheels). The tests run it against a loopback fake OpenAI server.
set -euo pipefail

CLAUDE_CODE_VERSION="${CLAUDE_CODE_VERSION:-2.1.330}"
AIDER_VERSION="${AIDER_VERSION:-0.86.2}"
CODEX_VERSION="${CODEX_VERSION:-0.171.0}"
GEMINI_VERSION="${GEMINI_VERSION:-0.61.0}"
QWEN_VERSION="${QWEN_VERSION:-0.24.4}"
OPENCODE_VERSION="${OPENCODE_VERSION:-1.18.33}"
COPILOT_VERSION="${COPILOT_VERSION:-1.0.102}"
DEST="${CTX_TEST_TOOLS:-$HOME/.cache/ctx-test-tools}"

install_claude() {
    local prefix="$DEST/claude-code"
    local bin="$prefix/node_modules/.bin/claude"
    if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null | cut -d' ' -f1)" = "$CLAUDE_CODE_VERSION" ]; then
        echo "claude $CLAUDE_CODE_VERSION already installed: $bin"
        return 0
    fi
    command -v npm >/dev/null || { echo "npm is required to install Claude Code" >&2; exit 1; }
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
        "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION"
    local got
    got="$("$bin" --version | cut -d' ' -f1)"
    if [ "$got" != "$CLAUDE_CODE_VERSION" ]; then
        echo "installed claude reports version '$got', expected $CLAUDE_CODE_VERSION" >&2
        exit 1
    fi
    echo "claude $got installed: $bin"
}

install_node_cli() {
    # An npm package pinned by version (checked in its package.json). Gemini CLI and Qwen Code
    # are plain JavaScript bundles; Codex, OpenCode and the Copilot CLI ship their native binary
    # as a per-platform optional dependency, which npm fetches from the same registry.
    # usage: install_node_cli NAME PACKAGE VERSION BIN
    local name="$1" package="$2" version="$3" prefix="$DEST/$1"
    local bin="$prefix/node_modules/.bin/$4"
    if [ -x "$bin" ] && [ "$(node -p "require('$prefix/node_modules/$package/package.json').version" 2>/dev/null)" = "$version" ]; then
        echo "$name $version already installed: $bin"
        return 0
    fi
    command -v npm >/dev/null || { echo "npm is required to install $name" >&2; exit 1; }
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "$package@$version"
    echo "$name $version installed: $bin"
}

install_aider() {
    local venv="$DEST/aider-venv"
    if [ -x "$venv/bin/aider" ] && "$venv/bin/python" -c \
        "import importlib.metadata as m,sys; sys.exit(m.version('aider-chat')!='$AIDER_VERSION')" 2>/dev/null; then
        touch "$venv/.ctx-installed"
        echo "aider $AIDER_VERSION already installed: $venv/bin/aider"
        return 0
    fi
    local py="${PYTHON:-python3}"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "aider-chat==$AIDER_VERSION"
    touch "$venv/.ctx-installed"  # the test harness trusts the venv only once this exists
    echo "aider $AIDER_VERSION installed: $venv/bin/aider"
}

[ "$#" -gt 0 ] || set -- claude aider codex gemini qwen opencode copilot
for tool in "$@"; do
    case "$tool" in
        claude) install_claude ;;
        aider) install_aider ;;
        codex) install_node_cli codex @openai/codex "$CODEX_VERSION" codex ;;
        gemini) install_node_cli gemini @google/gemini-cli "$GEMINI_VERSION" gemini ;;
        qwen) install_node_cli qwen @qwen-code/qwen-code "$QWEN_VERSION" qwen ;;
        opencode) install_node_cli opencode opencode-ai "$OPENCODE_VERSION" opencode ;;
        copilot) install_node_cli copilot @github/copilot "$COPILOT_VERSION" copilot ;;
        *) echo "unknown tool '$tool' (known: claude aider codex gemini qwen opencode copilot)" >&2; exit 2 ;;
    esac
done
