"""User-level locations (config, cache, data), overridable by environment variables.

Tests point every one of these at temporary directories, so nothing here may be cached at
import time: each call reads the environment afresh.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "ctx"


def _platform(kind: str) -> Path:
    import platformdirs

    fn = {
        "config": platformdirs.user_config_dir,
        "cache": platformdirs.user_cache_dir,
        "data": platformdirs.user_data_dir,
    }[kind]
    return Path(fn(APP, appauthor=False))


def config_dir() -> Path:
    env = os.environ.get("CTX_CONFIG_DIR")
    return Path(env) if env else _platform("config")


def cache_dir() -> Path:
    env = os.environ.get("CTX_CACHE_DIR")
    return Path(env) if env else _platform("cache")


def data_dir() -> Path:
    env = os.environ.get("CTX_DATA_DIR")
    return Path(env) if env else _platform("data")


def user_config_file() -> Path:
    return config_dir() / "config.toml"


def models_cache_dir() -> Path:
    """Where fastembed downloads models on first use."""
    return cache_dir() / "models"


def embeddings_cache_dir() -> Path:
    return cache_dir() / "embeddings"


def registry_file() -> Path:
    """The list of projects known on this machine (for `ctx search --all`)."""
    return data_dir() / "projects.json"
