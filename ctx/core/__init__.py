"""The ground every layer stands on: errors, ids, models, time, paths, configuration, git facts.

Nothing here imports from any other `ctx` package."""
