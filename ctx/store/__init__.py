"""The `.contextfs/` store: committed truth (text files git can merge) and machine-local state."""


def _pycrdt_version_from_its_folder() -> None:
    """pycrdt looks its own version up with importlib.metadata when imported (~30 ms of every
    store command: importlib.metadata, email, zipfile...), a version ctx never reads. Give it
    the version its installed dist-info folder is named with instead. Anything unexpected (no
    such folder, two of them, pycrdt already loaded) leaves pycrdt's own code to run."""
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
