"""The sktext file format: safe saving and loading, no pickle, nothing executed on load.

A saved model is a zip archive with two members:

* ``sktext.json``: the format name and version, then the configuration the
  estimator gives (its parameters, the label set and format, the tokenizer's
  vocabularies, the training history);
* ``weights.safetensors``: every array (embedding table, head, idf weights,
  n-gram keys) in the safetensors layout, written and read by the
  ``safetensors`` library.

:func:`write` and :func:`read` handle the file only, as a configuration dict
and named arrays; what they mean to the estimator is the estimator's business.
Reading parses JSON and raw numbers only and checks the file before use: a
foreign, corrupted, truncated or oversized file, or one holding NaN or
infinite weights, raises :class:`ValueError` naming the problem. Writing goes
to a temporary file beside the target, replaced atomically once complete, so a
save that fails midway leaves any model already at that path intact.

Format versions
---------------
:data:`FORMAT_VERSION` rises whenever what is written changes (a new field, a
new array, a field whose meaning changes). Files of every earlier version keep
loading and predicting as they did: :func:`read` accepts every version from 1
to :data:`FORMAT_VERSION` and returns the file's ``format_version`` with its
configuration, and a parameter missing from an old file takes the behaviour it
had when that file was written. ``tests/fixtures/format_v<N>/`` pins this for
each version. A file of a newer version than this code knows is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import zipfile
import zlib
from typing import IO, Any

import numpy as np
import safetensors
import safetensors.numpy

__all__ = ["read", "write", "FORMAT_NAME", "FORMAT_VERSION"]

FORMAT_NAME = "sktext"
# 2: features and network in sections of their own; 3: quantized bag networks
# (their codes and a "quantization" field; sktext.quantize); 4: supervised
# pooling (weighting "supervised" and its "relevance" array; sktext.weighting)
# and label centroids (a "centroids" field and "centroids.*" arrays;
# sktext.centroids).
FORMAT_VERSION = 4
_CONFIG = "sktext.json"
_WEIGHTS = "weights.safetensors"
# Members are written stored; deflate is read too (an archive re-zipped by a
# tool), but not bzip2 or lzma, whose decompressors zipfile cannot bound.
_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# Trained weights barely compress and JSON text rarely beyond 10:1, so a member
# declaring more than this ratio is a decompression bomb, not a model.
_MAX_RATIO = 64
# The configuration is parsed into Python objects at ~10 times its size; a
# vocabulary of 10 million words and n-grams is ~150 MB of JSON.
_MAX_CONFIG = 256 * 2**20


def write(path: str | os.PathLike | IO[bytes], config: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write a model file: ``config`` as JSON, ``arrays`` as safetensors.

    A path is written atomically: to a temporary file in the same directory,
    flushed to disk, then renamed over ``path``, so that a failure midway
    (disk full, file size limit, interruption) leaves the previous file whole
    and no temporary file behind. A writable binary file object is written
    into directly.

    Parameters
    ----------
    path : str, path-like or writable binary file object
        Where to write.
    config : dict
        JSON-ready configuration; ``format`` and ``format_version`` are set
        (replacing any given).
    arrays : dict of str to ndarray
        Named numeric arrays.
    """
    header = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION}
    header.update((key, value) for key, value in config.items() if key not in header)
    payload = json.dumps(header).encode("utf-8")
    # safetensors reads an array's memory as if it were C-contiguous: a strided
    # view would be written as the wrong numbers.
    contiguous = {name: np.require(array, requirements="C") for name, array in arrays.items()}
    weights = safetensors.numpy.save(contiguous, metadata={"format": FORMAT_NAME})
    if hasattr(path, "write"):
        _write_archive(path, payload, weights)
        return
    # Through a symbolic link, replace the file it points to, not the link.
    target = os.path.realpath(os.fspath(path))
    temporary = os.path.join(
        os.path.dirname(target), f".{os.path.basename(target)}.{secrets.token_hex(8)}.tmp"
    )
    # Mode 0o666 lets the umask decide permissions, as a plain open() would.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            _write_archive(file, payload, weights)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _write_archive(file: IO[bytes], payload: bytes, weights: bytes) -> None:
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_CONFIG, payload)
        archive.writestr(_WEIGHTS, weights)


def read(path: str | os.PathLike | IO[bytes]) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and check a model file written by :func:`write`, of any known version.

    Parameters
    ----------
    path : str, path-like or readable, seekable binary file object

    Returns
    -------
    config : dict
        The configuration, with ``format`` and ``format_version`` (an int
        from 1 to :data:`FORMAT_VERSION`).
    arrays : dict of str to ndarray
        The named arrays, writable; every floating array is finite.

    Raises
    ------
    ValueError
        If the file is not an sktext model file, is corrupted, truncated or
        oversized, was written by a newer format version, or holds NaN or
        infinite weights.
    """
    is_path = isinstance(path, (str, os.PathLike))
    name = repr(os.fspath(path)) if is_path else "the file"
    try:
        with open(path, "rb") if is_path else contextlib.nullcontext(path) as file:
            size = file.seek(0, os.SEEK_END)
            with zipfile.ZipFile(file) as archive:
                config_bytes, weights = _read_members(archive, size, name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as error:
        raise ValueError(
            f"{name} is not an sktext model file, or it is corrupted or truncated: {error}"
        ) from None
    try:
        config = json.loads(config_bytes)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"the model configuration is not valid JSON: {error}") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT_NAME:
        raise ValueError(f"{name} is not an sktext model file.")
    _check_version(config.get("format_version"))
    return config, _read_weights(weights)


def _read_members(archive: zipfile.ZipFile, size: int, name: str) -> tuple[bytes, bytes]:
    """The two members' bytes, each checked against its bounds before it is inflated."""
    names = set(archive.namelist())
    if not {_CONFIG, _WEIGHTS} <= names:
        raise ValueError(f"{name} is not an sktext model file (members {sorted(names)[:5]}).")
    infos = [archive.getinfo(_CONFIG), archive.getinfo(_WEIGHTS)]
    for info, cap in zip(infos, (_MAX_CONFIG, None), strict=True):
        _check_member(info, size, cap)
    members = []
    for info in infos:
        # One byte over the declared size tells a lying header from a true one
        # without inflating any further.
        with archive.open(info) as file:
            data = file.read(info.file_size + 1)
        if len(data) != info.file_size:
            raise ValueError(
                f"{info.filename} does not hold its declared {info.file_size} bytes (corrupted?)."
            )
        members.append(data)
    return members[0], members[1]


def _check_member(info: zipfile.ZipInfo, size: int, cap: int | None) -> None:
    """Refuse a member whose declared sizes no model has, before inflating it."""
    member = info.filename
    if info.compress_type not in _COMPRESSIONS:
        raise ValueError(
            f"{member} uses zip compression method {info.compress_type}; sktext reads "
            "stored or deflated members only."
        )
    if info.compress_size > size:
        raise ValueError(
            f"{member} declares {info.compress_size} bytes, more than the file's "
            f"{size} (truncated?)."
        )
    if info.file_size > _MAX_RATIO * info.compress_size:
        raise ValueError(
            f"{member} declares {info.file_size} bytes from {info.compress_size} "
            f"compressed, a ratio over {_MAX_RATIO}: too large to be a model (zip bomb?)."
        )
    if cap is not None and info.file_size > cap:
        raise ValueError(
            f"{member} declares {info.file_size} bytes, too large for a model "
            f"configuration (at most {cap})."
        )


def _check_version(version: Any) -> None:
    # bool is an int to Python, never a version to the format.
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"the model format version {version!r} is not valid.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"model format version {version} is newer than this sktext reads (versions 1 to "
            f"{FORMAT_VERSION}): upgrade sktext to load it."
        )


def _read_weights(data: bytes) -> dict[str, np.ndarray]:
    try:
        arrays = safetensors.numpy.load(data)
    # KeyError: a dtype safetensors knows but numpy has no type for (BF16, F8).
    except (safetensors.SafetensorError, KeyError, ValueError) as error:
        raise ValueError(f"the weights are malformed or truncated: {error}") from None
    for name, array in arrays.items():
        if not array.flags.writeable:
            # Older safetensors return views of immutable bytes; callers mutate
            # some arrays (partial_fit counts on) and torch wants them writable.
            arrays[name] = array.copy()
        if array.dtype.kind in "fc" and not np.isfinite(array).all():
            raise ValueError(f"weights entry {name!r} holds NaN or infinite values.")
    return arrays
