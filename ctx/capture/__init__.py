"""Capture of AI-tool sessions.

- :mod:`.pty_proxy`: runs a command in a pseudo-terminal, transparently (``ctx wrap``), and
  hands every byte that passes to a sink.
- :mod:`.journal`: the crash-safe, append-only recording of a wrapped session (a sink).
- :mod:`.asciicast`: the recording as asciicast v2, which ``asciinema play`` replays.
- :mod:`.terminal_render`: a recording rendered through a terminal emulator into clean text
  and user/assistant turns, for tools without a structured transcript of their own.
- :mod:`.terminal_screen`: the emulated screen behind it (pyte, text only, with a document
  of every row it showed).
- :mod:`.adapters`: parsers of the structured transcripts some tools write.

Nothing is imported here, so ``import ctx.capture.<module>`` stays as cheap as that module.
"""
