"""Is the embedding model there, and its int8 copy? (`ctx doctor`, `ctx status`, git hooks.)"""

from __future__ import annotations

from ctx.core import paths
from ctx.core.checks import Check
from ctx.core.config import Config


def check_model(cfg: Config) -> Check:
    check = _check_model_source(cfg)
    if check.status == "fail" or cfg.embed_precision != "int8":
        return check
    import importlib.util

    from ctx.search import quantize

    if quantize.is_ready(quantize.int8_dir(cfg.embed_model, cfg.embed_model_path)):
        check.detail += "; int8 copy ready"
    elif importlib.util.find_spec("onnx") is None:
        return Check(
            "embedding-model",
            "warn",
            check.detail + "; the int8 copy cannot be made (the onnx package is missing), "
            "so search uses the float32 model, about half as fast to index",
            'pip install onnx, or set embedding.precision = "fp32"',
        )
    else:
        check.detail += "; int8 copy made on first use"
    return check


def _check_model_source(cfg: Config) -> Check:
    path = cfg.embed_model_path
    if path is not None:
        if (path / "model.onnx").exists() or any(path.glob("*.onnx")):
            return Check("embedding-model", "ok", f"local model directory {path}")
        return Check(
            "embedding-model",
            "fail",
            f"model directory {path} has no .onnx model",
            "point CTX_EMBED_MODEL_PATH / embedding.model_path at a fastembed model directory",
        )
    cache = paths.models_cache_dir()
    name = cfg.embed_model
    slug = name.split("/")[-1].lower()
    cached = cache.exists() and any(
        slug in p.name.lower() for p in cache.iterdir() if p.name != "int8"
    )
    if cached:
        return Check("embedding-model", "ok", f"{name} cached in {cache}")
    return Check(
        "embedding-model",
        "warn",
        f"{name} is not downloaded yet; the first search downloads it into {cache} "
        "(offline: search is keyword-only)",
        "run `ctx index` once while online, or set CTX_EMBED_MODEL_PATH to a local model directory",
    )
