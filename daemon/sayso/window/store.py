"""The user's config.toml, changed one key at a time, keeping everything else.

:func:`set_value` changes one dotted key in the TOML text with tomlkit (the
user's comments, order and untouched keys stay byte for byte), validates the
result with the daemon's own loader (:func:`sayso.core.config.parse_config_text`,
so a bad value gets the same ``file:line: key: problem`` line), and
:meth:`ConfigStore.save` writes it only when it is valid. :func:`help_texts`
reads the help of every option from the comments of ``default.toml``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from ..core.config import default_toml_text, parse_config_text
from ..core.config_types import Config
from ..core.errors import ConfigError

_TABLE = re.compile(r"^\[+\s*([^\]]+?)\s*\]+")
_KEY = re.compile(r'^("([^"]+)"|[A-Za-z0-9_\-]+)\s*=[^#]*(#\s*(.*))?$')


#: set_value's *value* that removes the key (a list entry deleted, a custom rewrite action removed)
DELETE = object()


def set_value(text: str, dotted: str, value: Any) -> str:
    """*text* with the key *dotted* (``speak.rate``) set to *value* (or removed, for DELETE);
    the rest untouched. A dict of strings is written inline (``{ de = "thorsten" }``), a dict of
    dicts as tables (``[rewrite.actions.pirate]``)."""
    doc = tomlkit.parse(text)
    *tables, key = _split(dotted)
    container: Any = doc
    for name in tables:
        if name not in container:
            if value is DELETE:
                return text
            container[name] = tomlkit.table(is_super_table=True)
        container = container[name]
    if value is DELETE:
        if key in container:
            del container[key]
        return tomlkit.dumps(doc)
    container[key] = _item(value)
    return tomlkit.dumps(doc)


def _item(value: Any) -> Any:
    if isinstance(value, dict) and all(not isinstance(v, dict) for v in value.values()):
        table = tomlkit.inline_table()
        table.update(value)
        return table
    if isinstance(value, dict):
        out = tomlkit.table()
        for k, v in value.items():
            out[k] = _item(v)
        return out
    return value


def _split(dotted: str) -> list[str]:
    """``hotkeys.actions."speak.toggle"`` -> ["hotkeys", "actions", "speak.toggle"]."""
    parts = re.findall(r'"([^"]+)"|([^.]+)', dotted)
    return [quoted or plain for quoted, plain in parts]


def validate(text: str, name: str) -> Config:
    """The daemon's loader on *text*; ConfigError names the file, line and key."""
    return parse_config_text(text, name)


@dataclass
class ConfigStore:
    """The config file a window edits: its text now, and saving one change at a time."""

    path: Path
    text: str = ""
    config: Config = field(default_factory=Config)

    @classmethod
    def open(cls, path: Path) -> ConfigStore:
        path = Path(path)
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        return cls(path, text, validate(text, str(path)))

    def value(self, dotted: str) -> Any:
        node: Any = self.config
        for name in _split(dotted):
            node = node.get(name) if isinstance(node, dict) else getattr(node, name)
        return node

    def save(self, dotted: str, value: Any) -> Config:
        """Set (or DELETE) one key and write the file; on a bad value raise ConfigError and write nothing."""
        new_text = set_value(self.text, dotted, value)
        config = validate(new_text, str(self.path))
        _write_private(self.path, new_text)
        self.text, self.config = new_text, config
        return config


def _write_private(path: Path, text: str) -> None:
    """Write atomically; a new file is 0600 (it may hold an API key), an old one keeps its mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot save: {err.strerror or err}") from None


def help_texts(text: str = "") -> dict[str, str]:
    """Dotted key -> its help: the comment lines just above it and its own trailing comment."""
    text = text or default_toml_text()
    out: dict[str, str] = {}
    table: list[str] = []
    comments: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            comments.append(line.lstrip("#").strip())
            continue
        m = _TABLE.match(line)
        if m:
            table = _split(m.group(1))
            comments = []
            continue
        m = _KEY.match(line)
        if m:
            key = m.group(2) or m.group(1)
            parts = comments + ([m.group(4).strip()] if m.group(4) else [])
            out[".".join(table + [key])] = " ".join(p for p in parts if p)
        comments = [] if not line.startswith("#") else comments
    return out
