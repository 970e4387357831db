"""Capture of AI-tool sessions.

- :mod:`.pty_proxy`: runs a command transparently (``ctx wrap``) and hands every byte that
  passes to a sink.
- :mod:`.spawn`: starts it with the same kind of stdin/stdout/stderr it would have without
  ctx (a pty session of its own, a pty for its output alone, or plain pipes).
- :mod:`.journal`: the crash-safe, append-only recording of a wrapped session (a sink).
- :mod:`.asciicast`: the recording as asciicast v2, which ``asciinema play`` replays.
- :mod:`.terminal_render`: a recording rendered through a terminal emulator into clean text
  and user/assistant turns, for tools without a structured transcript of their own.
- :mod:`.terminal_screen`: the emulated screen behind it (pyte, text only, with a document
  of every row it showed).
- :mod:`.adapters`: parsers of the structured transcripts some tools write.

Nothing is imported here, so ``import ctx.capture.<module>`` stays as cheap as that module.
"""
