"""`ctx browse`: a Textual TUI over the headless core (sessions, transcripts, search, memories).

Only this package and the `browse` command function import textual; nothing else in ctx does,
so `ctx --help` and `ctx status` stay fast. Start it with :func:`ctx.tui.app.make_app`.
"""
