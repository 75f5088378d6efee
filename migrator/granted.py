"""`granted.yaml`: what the user has already assigned to each OAuth client.

The report compares it with the plan to split "done" from "still to assign". Format::

    clients:
      billing-scripts:                     # the client name the report uses
        scopes: [audit.log:read, integration.data-pools]
        permissions:
          - permission: Audit Log API      # as the Celonis admin UI names it
            resource: {type: team}
          - permission: USE PACKAGE
            resource: {type: package, id: acme-p2p}
          - permission: Data Push API
            resource: {type: data_pool, id: aaaaaaaa-0000-4000-8000-000000000001}

`scopes` may also be one space- or comma-separated string. Scopes are normalised to their
canonical spelling (`audit.log` -> `audit.log:read`). Structural errors raise `GrantedFileError`
with a breadcrumb to the bad value; unknown scopes are kept and warned about.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

from migrator.apitable import RESOURCE_TYPES
from migrator.errors import MigratorError
from migrator.scopes import normalise_scope, parse_scopes

_CLIENT_KEYS = ("scopes", "permissions")
_PERMISSION_KEYS = ("permission", "resource")
_RESOURCE_KEYS = ("type", "id")


class GrantedFileError(MigratorError):
    """granted.yaml is invalid; the one-line message carries a breadcrumb to the bad value."""

    def __init__(self, file: str, where: str, problem: str) -> None:
        self.file = file
        self.where = where
        self.problem = problem
        super().__init__(f"{file}: at {where}: {problem}" if where else f"{file}: {problem}")


@dataclass(frozen=True)
class GrantedPermission:
    permission: str
    resource_type: str = "team"
    resource_id: Optional[str] = None


@dataclass(frozen=True)
class GrantedClient:
    name: str
    #: Canonical scopes (unknown spellings kept as written).
    scopes: tuple[str, ...] = ()
    permissions: tuple[GrantedPermission, ...] = ()
    #: Where this came from: the granted.yaml path, or "live check of <token URL>".
    source: str = ""
    #: False when only scopes are known (a live check cannot see permissions).
    permissions_known: bool = True


@dataclass(frozen=True)
class Granted:
    clients: tuple[GrantedClient, ...] = ()
    warnings: tuple[str, ...] = ()

    def client(self, name: str) -> Optional[GrantedClient]:
        return next((c for c in self.clients if c.name == name), None)


def normalise_permission(name: str) -> str:
    """Compare permission names as the admin UI shows them: case and spacing do not matter."""
    return " ".join(name.split()).casefold()


def normalise_resource_type(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").split())


def _mapping(value: Any, file: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise GrantedFileError(file, where, f"expected a mapping, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {str: "a string", list: "a list", dict: "a mapping", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _unknown_keys(value: dict[str, Any], allowed: tuple[str, ...], file: str, where: str) -> None:
    extra = sorted(str(k) for k in value if k not in allowed)
    if extra:
        prefix = f"{where}." if where else ""
        raise GrantedFileError(
            file, f"{prefix}{extra[0]}", f"unknown key; expected one of: {', '.join(allowed)}"
        )


def _text(value: Any, file: str, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or not str(value).strip():
        raise GrantedFileError(file, where, f"expected a non-empty string, got {_kind(value)}")
    return str(value).strip()


def _scopes(value: Any, file: str, where: str, warnings: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        raw = list(parse_scopes(value))
    elif isinstance(value, list):
        raw = [_text(v, file, f"{where}[{i}]") for i, v in enumerate(value)]
    else:
        raise GrantedFileError(file, where, f"expected a list of scopes or one string, got {_kind(value)}")
    out: list[str] = []
    for i, text in enumerate(raw):
        canonical, warning = normalise_scope(text)
        if warning:
            warnings.append(f"{file}: at {where}[{i}]: {warning}")
        scope = canonical or text
        if scope not in out:
            out.append(scope)
    return tuple(out)


def _permission(value: Any, file: str, where: str) -> GrantedPermission:
    entry = _mapping(value, file, where)
    _unknown_keys(entry, _PERMISSION_KEYS, file, where)
    if "permission" not in entry:
        raise GrantedFileError(file, where, "missing key 'permission'")
    name = _text(entry["permission"], file, f"{where}.permission")
    resource = entry.get("resource")
    if resource is None:
        return GrantedPermission(name)
    res = _mapping(resource, file, f"{where}.resource")
    _unknown_keys(res, _RESOURCE_KEYS, file, f"{where}.resource")
    rtype = normalise_resource_type(_text(res.get("type", "team"), file, f"{where}.resource.type"))
    if rtype not in RESOURCE_TYPES:
        raise GrantedFileError(
            file,
            f"{where}.resource.type",
            f"unknown resource type {rtype!r}; expected one of: {', '.join(RESOURCE_TYPES)}",
        )
    rid = res.get("id")
    rid_text = None if rid is None else _text(rid, file, f"{where}.resource.id")
    return GrantedPermission(name, rtype, None if rtype == "team" else rid_text)


def parse_granted(data: Any, file: str = "granted.yaml") -> Granted:
    """Validate parsed YAML; raise GrantedFileError naming the bad value's path."""
    if data is None:
        return Granted()
    top = _mapping(data, file, "")
    _unknown_keys(top, ("version", "clients"), file, "")
    if top.get("version", 1) != 1:
        raise GrantedFileError(file, "version", f"unsupported version {top.get('version')!r}; expected 1")
    clients_raw = top.get("clients")
    clients_map = _mapping({} if clients_raw is None else clients_raw, file, "clients")
    warnings: list[str] = []
    clients: list[GrantedClient] = []
    for name, body in clients_map.items():
        cname = _text(name, file, "clients")
        where = f"clients.{cname}"
        entry = _mapping(body if body is not None else {}, file, where)
        _unknown_keys(entry, _CLIENT_KEYS, file, where)
        scopes = _scopes(entry.get("scopes"), file, f"{where}.scopes", warnings)
        perms_raw = entry.get("permissions")
        perms_raw = [] if perms_raw is None else perms_raw
        if not isinstance(perms_raw, list):
            raise GrantedFileError(file, f"{where}.permissions", f"expected a list, got {_kind(perms_raw)}")
        perms = tuple(_permission(p, file, f"{where}.permissions[{i}]") for i, p in enumerate(perms_raw))
        clients.append(GrantedClient(cname, scopes, perms, source=file))
    return Granted(tuple(clients), tuple(warnings))


def load_granted(path: str) -> Granted:
    """Read and validate a granted.yaml file (always safe-loaded)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise MigratorError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise MigratorError(f"cannot read {path}: not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise GrantedFileError(path, where, f"invalid YAML: {problem}") from None
    except RecursionError:
        raise GrantedFileError(path, "", "invalid granted file: nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a value YAML cannot build, e.g. 2001-02-30
        raise GrantedFileError(path, "", f"invalid YAML value ({' '.join(str(exc).split())[:80]})") from None
    try:
        return parse_granted(data, path)
    except RecursionError:
        raise GrantedFileError(path, "", "invalid granted file: nested too deeply") from None


def with_live_scopes(granted: Granted, name: str, scopes: tuple[str, ...], source: str) -> Granted:
    """Replace client `name`'s scopes with those a live token request proved; keep its permissions."""
    current = granted.client(name)
    live = GrantedClient(
        name,
        scopes,
        current.permissions if current else (),
        source=source,
        permissions_known=current is not None,
    )
    others = tuple(c for c in granted.clients if c.name != name)
    return Granted((*others, live), granted.warnings)
