"""Sharing through git: `ctx sync`, compaction (`ctx gc`), what is not yet shared, lost-edit
reports, and the work the git hooks do after a merge. The merge itself is the CRDT's: each
clone appends only to its own log, so git never has two sides of one file (docs/sharing.md).
"""
