"""Regenerate docs/screenshots/*.png from the fixed test data (not a test).

    python tests/tui/make_screenshots.py [--out docs/screenshots] [--theme dark]

Builds the same store as the snapshot tests in a temporary repository, drives the app with
Pilot, saves an SVG per screen and converts it to PNG with `rsvg-convert` (Debian:
librsvg2-bin). The SVGs name the Fira Code font (Debian: fonts-firacode); without it box lines
come out uneven. rsvg collapses runs of non-breaking spaces (right-aligned columns would move
left), so they become plain spaces under xml:space="preserve" first. (cairosvg keeps the spaces
but misplaces box-drawing corners.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.tui import scenes  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    ap.add_argument("--theme", default="dark")
    ap.add_argument("--only", nargs="*", help="scene names")
    ap.add_argument("--size", default="", help="COLSxROWS (default: the snapshots' size)")
    args = ap.parse_args()
    if not shutil.which("rsvg-convert"):
        sys.exit("rsvg-convert is missing: apt-get install librsvg2-bin fonts-firacode")
    os.environ["TZ"] = "UTC"
    time.tzset()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        os.environ["HOME"] = str(home)
        for var in ("CTX_CONFIG_DIR", "CTX_CACHE_DIR", "CTX_DATA_DIR"):
            os.environ[var] = str(home / var.lower())
        (home / ".gitconfig").write_text(
            "[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n"
        )
        model = REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2-onnx"
        if model.exists():
            os.environ["CTX_EMBED_MODEL_PATH"] = str(model)
        args.out.mkdir(parents=True, exist_ok=True)
        shots = [(name, scene, args.theme) for name, scene in scenes.DOC_SCENES.items()]
        shots.append(("transcript-light", scenes.transcript, "light"))
        for name, scene, theme in shots:
            if args.only and name not in args.only:
                continue
            size = tuple(int(x) for x in args.size.split("x")) if args.size else scenes.SIZE
            svg = asyncio.run(
                shoot(home / name, scene, theme, name == "welcome", size, name == "terminal")
            )
            svg_path = Path(tmp) / f"{name}.svg"
            svg_path.write_text(for_rsvg(svg))
            png = args.out / f"{name}.png"
            subprocess.run(["rsvg-convert", str(svg_path), "-o", str(png)], check=True)
            print(png)


def for_rsvg(svg: str) -> str:
    return svg.replace("&#160;", " ").replace("<svg ", '<svg xml:space="preserve" ', 1)


async def shoot(
    parent: Path,
    scene: Callable[..., Awaitable[None]],
    theme: str,
    empty: bool,
    size: tuple[int, ...] = scenes.SIZE,
    terminal: bool = False,
) -> str:
    from ctx.tui.app import make_app

    root = scenes.build(parent, empty=empty, terminal=terminal)
    app = make_app(root, refresh_interval=0, theme=theme)
    async with app.run_test(size=(size[0], size[1])) as pilot:
        await scene(pilot)
        return app.export_screenshot(title="ctx browse")


if __name__ == "__main__":
    main()
