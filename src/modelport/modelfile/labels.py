"""Class labels for a generated algorithm, from the file ``--labels`` names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelport.errors import InvalidInput


def read_labels(path: Path) -> list[str]:
    """Labels from a text file (one a line), a JSON list, or a JSON object of index → name.

    >>> import tempfile
    >>> file = Path(tempfile.mkdtemp()) / "labels.json"
    >>> _ = file.write_text('{"1": "dog", "0": "cat"}')
    >>> read_labels(file)
    ['cat', 'dog']
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        raise InvalidInput(f"no labels file {path}") from None
    if path.suffix.lower() != ".json":
        return [line.strip() for line in text.splitlines() if line.strip()]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not valid JSON: {exc}") from None
    if isinstance(data, list):
        return [_label(item) for item in data]
    if isinstance(data, dict):
        try:
            pairs = sorted((int(key), _label(value)) for key, value in data.items())
        except ValueError:
            raise InvalidInput(f"{path}: the keys must be class indexes") from None
        labels = [str(i) for i in range(pairs[-1][0] + 1)] if pairs else []
        for index, name in pairs:
            labels[index] = name
        return labels
    raise InvalidInput(f"{path}: expected a list of labels or an object of index to label")


def _label(value: Any) -> str:
    if isinstance(value, list) and value:  # e.g. ["n01440764", "tench"]: the name is last
        value = value[-1]
    return " ".join(str(value).split())
