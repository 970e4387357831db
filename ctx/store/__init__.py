"""The `.contextfs/` store: committed truth (text files git can merge) and machine-local state."""

# pycrdt/_version.py as the stub replaces it (any other content: no stub)
_PYCRDT_VERSION_PY = """from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pycrdt")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "uninstalled"
"""


def _pycrdt_version_from_its_folder() -> None:
    """pycrdt looks its own version up with importlib.metadata when imported (~30 ms of every
    store command: importlib.metadata, email, zipfile...), a version ctx never reads. Give it
    the version its installed dist-info folder is named with instead. Anything unexpected (no
    such folder, two of them, a `_version.py` other than the one replaced, pycrdt already
    loaded) leaves pycrdt's own code to run."""
    import sys

    if "pycrdt" in sys.modules or "pycrdt._version" in sys.modules:
        return
    try:
        import os
        import types

        # where the import system will find it: the first sys.path entry holding the package
        # (importlib.util.find_spec would cost more than it saves on a cached `ctx why`)
        dirs = [p or "." for p in sys.path]
        site = next((d for d in dirs if os.path.isfile(f"{d}/pycrdt/__init__.py")), None)
        if site is None:
            return
        with open(f"{site}/pycrdt/_version.py", encoding="utf-8") as fh:
            if fh.read() != _PYCRDT_VERSION_PY:
                return  # another pycrdt: its module may define more than the version
        found = [
            n[len("pycrdt-") : -len(".dist-info")]
            for n in os.listdir(site)
            if n.startswith("pycrdt-") and n.endswith(".dist-info")
        ]
        if len(found) != 1 or not found[0]:
            return
        stub = types.ModuleType("pycrdt._version")
        stub.__version__ = found[0]  # type: ignore[attr-defined]
        sys.modules["pycrdt._version"] = stub
    except Exception:  # never a reason to fail: pycrdt then reads it itself
        return


_pycrdt_version_from_its_folder()
