"""Check tool arguments against the advertised schema, with messages a model can act on.

Why our own checker: the schemas use a small subset of JSON Schema (object, string, integer,
boolean, array, enum, anyOf, bounds), and the errors must name the parameter and the fix.
Models often send numbers as strings ("10"); those are accepted. A number where a string is
expected, or one string where a list is expected, is refused (it is usually a mistake that
would search or tag the wrong thing). Size limits (`limit`, `chars`, `max_chars`) above the
maximum are clamped with a notice instead of failing: asking for too much is not worth a
failed call; zero or a negative size is refused.
"""

from __future__ import annotations

from typing import Any

from ctx.core.errors import CtxError

CLAMPED = ("limit", "chars", "max_chars")


def bad_args(message: str, advice: str = "") -> CtxError:
    return CtxError(message, advice or "see the tool's input schema", code="invalid_arguments")


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def _check(name: str, value: Any, schema: dict[str, Any], notices: list[str]) -> Any:
    if "anyOf" in schema:
        errors: list[str] = []
        for alt in schema["anyOf"]:
            try:
                return _check(name, value, alt, notices)
            except CtxError as exc:
                errors.append(exc.message)
        raise bad_args(
            errors[0]
            if len(errors) == 1
            else f"'{name}': " + "; or ".join(e.split(": ", 1)[-1] for e in errors)
        )
    kind = schema.get("type")
    if kind == "string":
        if not isinstance(value, str):
            raise bad_args(f"'{name}' must be a string, not {_type_name(value)}")
        if len(value) < schema.get("minLength", 0) or (
            schema.get("minLength") and not value.strip()
        ):
            raise bad_args(f"'{name}' must not be empty")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise bad_args(
                f"'{name}' is {len(value):,} characters, more than {schema['maxLength']:,}"
            )
        if "enum" in schema and value not in schema["enum"]:
            low = value.strip().lower()
            if low in schema["enum"]:
                return low
            raise bad_args(f"'{name}' must be one of {', '.join(schema['enum'])}, not '{value}'")
        return value
    if kind == "integer":
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_args(f"'{name}' must be an integer, not {_type_name(value)}")
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if name in CLAMPED and hi is not None and value > hi:
            notices.append(f"{name} {value} is more than the maximum {hi}: used {hi}")
            return hi
        if name in CLAMPED and lo is not None and 1 <= value < lo:
            notices.append(f"{name} {value} is less than the minimum {lo}: used {lo}")
            return lo
        if lo is not None and value < lo:
            raise bad_args(f"'{name}' must be at least {lo}, not {value}")
        if hi is not None and value > hi:
            raise bad_args(f"'{name}' must be at most {hi}, not {value}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise bad_args(f"'{name}' must be true or false, not {_type_name(value)}")
        return value
    if kind == "array":
        if not isinstance(value, list):
            of = schema.get("items", {}).get("type")
            raise bad_args(
                f"'{name}' must be a list{f' of {of}s' if of else ''}, not {_type_name(value)}",
                f'e.g. ["{value}"]' if isinstance(value, str) else "",
            )
        if len(value) < schema.get("minItems", 0):
            raise bad_args(f"'{name}' must not be an empty list")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise bad_args(f"'{name}' has {len(value)} items, more than {schema['maxItems']}")
        items = schema.get("items", {})
        return [_check(f"{name}[{i}]", v, items, notices) for i, v in enumerate(value)]
    return value


def check_arguments(schema: dict[str, Any], arguments: Any) -> tuple[dict[str, Any], list[str]]:
    """Validated arguments with defaults filled in, and notices about what was adjusted."""
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise bad_args(f"arguments must be an object, not {_type_name(arguments)}")
    props: dict[str, Any] = schema.get("properties", {})
    unknown = sorted(set(arguments) - set(props))
    if unknown:
        raise bad_args(
            f"unknown argument{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            f"this tool takes: {', '.join(props)}",
        )
    missing = [k for k in schema.get("required", []) if arguments.get(k) in (None, "")]
    if missing:
        raise bad_args(
            f"missing required argument{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
        )
    out: dict[str, Any] = {}
    notices: list[str] = []
    for key, sub in props.items():
        if key in arguments and arguments[key] is not None:
            out[key] = _check(key, arguments[key], sub, notices)
        elif "default" in sub:
            out[key] = sub["default"]
        else:
            out[key] = None
    return out, notices
