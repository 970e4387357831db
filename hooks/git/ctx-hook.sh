#!/bin/sh
# ctx-managed-hook v2 (@HOOK@)
# Written by `ctx hooks install`; `ctx hooks uninstall` removes it. Template: hooks/git/ctx-hook.sh
# in the ctx sources. A hook that was here before ctx was kept as "@HOOK@.legacy" and still runs.
#
# pre-commit:    refuse to commit files under .contextfs/ that still contain a secret.
# post-merge, post-checkout, post-rewrite: report edits a merge replaced, drop files of sessions
#                forgotten elsewhere, refresh the search index -- in the background, so git is
#                not delayed, and never failing git.
# post-commit:   where `ctx why` is used (its kept inputs exist), bring its cached blames up to
#                the new commit -- in the background, so the commit is not delayed.
# prepare-commit-msg, commit-msg (only with `ctx hooks install --session-trailer`): while a
#                `ctx wrap` session runs (CTX_SESSION set), add a `Ctx-Session:` trailer naming
#                it; nothing otherwise, and never failing git.
CTX_HOOK='@HOOK@'
CTX_PYTHON='@PYTHON@'
# `python -m ctx` would import a `ctx/` folder at the repository's root (git runs hooks there),
# which any pulled commit can add: this drops the current directory from the path first.
CTX_MAIN="@MAIN@"
HOOK_DIR=$(dirname "$0")

if [ "$CTX_HOOK" = post-rewrite ]; then
    CTX_STDIN=$(cat)  # the rewritten commits: both the legacy hook and ctx read them
fi

if [ -x "$HOOK_DIR/$CTX_HOOK.legacy" ]; then
    if [ "$CTX_HOOK" = post-rewrite ]; then
        printf '%s\n' "$CTX_STDIN" | "$HOOK_DIR/$CTX_HOOK.legacy" "$@"
    else
        "$HOOK_DIR/$CTX_HOOK.legacy" "$@"
    fi
    status=$?
    case "$CTX_HOOK" in
    pre-commit|prepare-commit-msg|commit-msg)  # their refusal stops the commit, as without ctx
        if [ $status -ne 0 ]; then
            exit $status
        fi
        ;;
    esac
fi

case "$CTX_HOOK" in
prepare-commit-msg|commit-msg)
    # only inside a captured session; fails open (no trailer) whatever happens
    if [ -n "${CTX_SESSION:-}" ] && [ -x "$CTX_PYTHON" ]; then
        "$CTX_PYTHON" -c "$CTX_MAIN" hooks run "$CTX_HOOK" "$@" || true
    fi
    exit 0
    ;;
esac

if [ "$CTX_HOOK" = post-commit ]; then
    # nothing to start unless `ctx why` is used here (a linked worktree: ctx checks)
    if [ "${CTX_WHY_WARM:-1}" = 0 ]; then
        exit 0
    fi
    if [ -d .git ] && [ ! -e .contextfs/local/cache/why-inputs.json ]; then
        exit 0
    fi
fi

if [ ! -x "$CTX_PYTHON" ]; then
    if [ "$CTX_HOOK" = pre-commit ]; then
        echo "ctx: secret check skipped: $CTX_PYTHON is gone (run \`ctx hooks install\` again)" >&2
    fi
    exit 0
fi

if [ "$CTX_HOOK" = pre-commit ]; then
    "$CTX_PYTHON" -c "$CTX_MAIN" hooks run pre-commit "$@"
    status=$?
    if [ $status -eq 3 ]; then
        exit 1  # a secret: the hook already said which and how to get out
    elif [ $status -ne 0 ]; then
        echo "ctx: the secret check could not run (exit $status); commit not blocked" >&2
    fi
    exit 0
fi

case "$CTX_HOOK" in
post-merge|post-rewrite)  # remember what was merged now: the background run starts later
    CTX_ORIG_HEAD=$(git rev-parse -q --verify ORIG_HEAD 2>/dev/null)
    CTX_UPSTREAM=$(git rev-parse -q --verify '@{upstream}' 2>/dev/null)
    export CTX_ORIG_HEAD CTX_UPSTREAM
    ;;
esac

if [ -n "$CTX_HOOKS_FOREGROUND" ]; then
    printf '%s\n' "${CTX_STDIN:-}" | "$CTX_PYTHON" -c "$CTX_MAIN" hooks run "$CTX_HOOK" "$@" >&2
    exit 0
fi
# detached: git returns at once; output goes nowhere, so git never waits on our pipes
CTX_NICE=
if [ "$CTX_HOOK" = post-commit ] && command -v nice >/dev/null 2>&1; then
    CTX_NICE="nice -n 10"  # only a speed-up for later: never in the way of what comes next
fi
( printf '%s\n' "${CTX_STDIN:-}" | $CTX_NICE "$CTX_PYTHON" -c "$CTX_MAIN" hooks run "$CTX_HOOK" "$@" >/dev/null 2>&1 & ) </dev/null >/dev/null 2>&1
exit 0
