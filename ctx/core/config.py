"""Configuration: built-in defaults < project `.contextfs/config.toml` < user config < environment.

The user config (platformdirs, or ``CTX_CONFIG_DIR``) wins over the committed project file
because it holds machine-specific settings such as a local model directory. Every key is
documented in `.contextfs.example`.
"""

from __future__ import annotations

import copy
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctx.core import paths
from ctx.core.errors import CtxError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

DEFAULTS: dict[str, Any] = {
    "store": {"format": 1},
    "embedding": {"model": DEFAULT_MODEL, "model_path": "", "precision": "int8", "threads": 0},
    "search": {
        "mode": "hybrid",
        "limit": 10,
        "half_life_days": 90.0,
        "min_relevance": 0.2,
        "type_weights": {
            "decision": 1.15,
            "fact": 1.1,
            "procedure": 1.1,
            "preference": 1.05,
            "episode": 1.0,
        },
    },
    "capture": {"record_input": False, "keep_recordings": True},
    "sessions": {"default_private": False},
    "import": {"all_agents": False},
    "memory": {"similar_threshold": 0.75, "similar_lexical_threshold": 0.5},
}

ENV_KEYS = {
    "CTX_EMBED_MODEL": ("embedding", "model"),
    "CTX_EMBED_MODEL_PATH": ("embedding", "model_path"),
    "CTX_EMBED_PRECISION": ("embedding", "precision"),
}


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CtxError(
            f"cannot read config file {path}: {exc}",
            "fix the TOML syntax (see .contextfs.example for every key) or move the file away",
            code="bad_config",
        ) from None
    except OSError as exc:
        raise CtxError(
            f"cannot read config file {path}: {exc.strerror}",
            "check the file's permissions",
            code="bad_config",
        ) from None


def validated(path: Path) -> dict[str, Any]:
    """A config file's settings, each known key checked (ctx.core.config_check)."""
    from ctx.core.config_check import validate

    data = read_toml(path)
    validate(data, path)
    return data


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


@dataclass
class Config:
    data: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS))
    sources: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # settings a project file may not make
    user: dict[str, Any] = field(default_factory=dict)  # what the user's own file says

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.data.get(section, {}).get(key, default)

    def user_says(self, section: str, key: str) -> Any:
        """The value the user's own config file gives (not the project's, which any pull
        may change), or None."""
        part = self.user.get(section)
        return part.get(key) if isinstance(part, dict) else None

    @property
    def embed_model(self) -> str:
        return str(self.get("embedding", "model") or DEFAULT_MODEL)

    @property
    def embed_precision(self) -> str:
        """int8 (a quantised copy, the default) or fp32; unknown values mean int8."""
        value = str(self.get("embedding", "precision") or "int8").lower()
        return value if value in ("int8", "fp32") else "int8"

    @property
    def embed_model_path(self) -> Path | None:
        p = self.get("embedding", "model_path")
        return Path(os.path.expanduser(str(p))) if p else None


#: (section, key, why): settings the project's file (which comes with every pull) may not make
USER_ONLY = (
    ("embedding", "model_path", "a folder on one machine"),
    ("capture", "record_input", "recording what you type is yours to turn on"),
)


def _machine_paths_dropped(data: dict[str, Any], path: Path, cfg: Config) -> dict[str, Any]:
    """The project file without the settings only a user makes for their machine: a teammate's
    commit could otherwise point ctx's model loader at any folder (or a model file it carries),
    or have every `ctx wrap` record what its user types."""
    for section, key, why in USER_ONLY:
        part = data.get(section)
        if isinstance(part, dict) and part.get(key):
            data = {**data, section: {k: v for k, v in part.items() if k != key}}
            cfg.ignored.append(
                f"{path}: {section}.{key} is ignored in the project's file ({why}); "
                f"set it in {paths.user_config_file()}"
            )
    return data


def load_config(project_config: Path | None = None) -> Config:
    cfg = Config()
    if project_config is not None:
        _merge(cfg.data, _machine_paths_dropped(validated(project_config), project_config, cfg))
        cfg.sources.append(str(project_config))
    user = paths.user_config_file()
    if user.exists():
        cfg.user = validated(user)
        _merge(cfg.data, copy.deepcopy(cfg.user))
        cfg.sources.append(str(user))
    for env, (section, key) in ENV_KEYS.items():
        if os.environ.get(env):
            cfg.data.setdefault(section, {})[key] = os.environ[env]
            cfg.sources.append(f"${env}")
    return cfg
