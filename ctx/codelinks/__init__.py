"""Context linked to code: which sessions touched a file, which turn wrote a line, which
decisions cite it (`ctx why`), and the context history of paths (`ctx log`)."""
