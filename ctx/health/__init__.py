"""The project seen as a whole: `ctx status` and `ctx doctor` (they read every layer below)."""
