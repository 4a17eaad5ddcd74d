"""Safe saving and loading: no pickle, nothing executed on load.

A saved model is a zip archive with two members:

* ``sktext.json``: format name and version, the estimator's parameters, the
  label set and format, the tokenizer's vocabularies, the training history;
* ``weights.safetensors``: every array (embedding table, head, idf weights,
  n-gram keys) in the safetensors layout (an 8-byte little-endian header
  length, a JSON header of dtypes, shapes and offsets, then raw bytes), which
  the ``safetensors`` library also reads.

Loading parses JSON and raw numbers only, and checks every field before use:
a corrupted, truncated or foreign file raises :class:`ValueError` naming the
problem.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from typing import Any

import numpy as np

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "read", "write"]

FORMAT_NAME = "sktext"
FORMAT_VERSION = 2
_CONFIG = "sktext.json"
_WEIGHTS = "weights.safetensors"
_DTYPES = {
    "F16": np.float16,
    "F32": np.float32,
    "F64": np.float64,
    "I32": np.int32,
    "I64": np.int64,
    "U64": np.uint64,
}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}


def _to_safetensors(arrays: dict[str, np.ndarray]) -> bytes:
    header: dict[str, Any] = {"__metadata__": {"format": FORMAT_NAME}}
    offset = 0
    for name, array in arrays.items():
        size = array.nbytes
        header[name] = {
            "dtype": _CODES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # the format aligns data on 8 bytes
    body = b"".join(
        np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes() for a in arrays.values()
    )
    return len(encoded).to_bytes(8, "little") + encoded + body


def _from_safetensors(data: bytes) -> dict[str, np.ndarray]:
    if len(data) < 8:
        raise ValueError("the weights are truncated (no safetensors header).")
    header_size = int.from_bytes(data[:8], "little")
    if header_size > len(data) - 8:
        raise ValueError("the weights are truncated (header longer than the file).")
    try:
        header = json.loads(data[8 : 8 + header_size])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"the weights header is not valid JSON: {error}") from None
    if not isinstance(header, dict):
        raise ValueError("the weights header is not a JSON object.")
    body = memoryview(data)[8 + header_size :]
    arrays = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = np.dtype(_DTYPES[entry["dtype"]]).newbyteorder("<")
            shape = [int(n) for n in entry["shape"]]
            start, stop = (int(n) for n in entry["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"weights entry {name!r} is malformed.") from None
        expected = math.prod(shape) * dtype.itemsize
        if (
            min(shape, default=0) < 0
            or not 0 <= start <= stop <= len(body)
            or (stop - start != expected)
        ):
            raise ValueError(f"weights entry {name!r} does not fit the file (truncated?).")
        arrays[name] = np.frombuffer(body[start:stop], dtype=dtype).reshape(shape).copy()
    return arrays


def write(path: str | os.PathLike, config: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``config`` (JSON-able) and ``arrays`` to ``path`` as a model file."""
    config = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **config}
    payload = json.dumps(config).encode("utf-8")
    weights = _to_safetensors(arrays)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_CONFIG, payload)
        archive.writestr(_WEIGHTS, weights)


def _read_archive(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if not {_CONFIG, _WEIGHTS} <= names:
                raise ValueError(
                    f"{os.fspath(path)!r} is not an sktext model file "
                    f"(members {sorted(names)[:5]})."
                )
            config_bytes = archive.read(_CONFIG)
            weights = archive.read(_WEIGHTS)
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as error:
        raise ValueError(
            f"{os.fspath(path)!r} is not an sktext model file, or it is corrupted or "
            f"truncated: {error}"
        ) from None
    try:
        config = json.loads(config_bytes)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"the model configuration is not valid JSON: {error}") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT_NAME:
        raise ValueError(f"{os.fspath(path)!r} is not an sktext model file.")
    if config.get("format_version") not in range(1, FORMAT_VERSION + 1):
        raise ValueError(
            f"model format version {config.get('format_version')!r} is not supported by "
            f"this sktext (reads version {FORMAT_VERSION})."
        )
    return config, _from_safetensors(weights)


def read(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    """The configuration (with its ``format_version``) and arrays of a model file.

    Raises
    ------
    ValueError
        If the file is not an sktext model, is corrupted or truncated, or was
        written by a newer format version.
    """
    return _read_archive(path)
