"""Integrations with other tools' own configuration (Claude Code hooks, ...): thin, removable."""
