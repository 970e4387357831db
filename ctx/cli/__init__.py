"""The `ctx` command line: one module per command group, all thin adapters over the core."""
