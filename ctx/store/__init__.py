"""The `.contextfs/` store: committed truth (text files git can merge) and machine-local state."""
