"""The file format: versions, atomic writes, size bounds on read, finite weights."""

from __future__ import annotations

import json
import os
import struct
import sys
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
from conftest import FAST, make_single_label
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

import sktext
from sktext import TextClassifier, persistence


@pytest.fixture(scope="module")
def fitted():
    X, y = make_single_label(60, 2, seed=30)
    return X, TextClassifier(**FAST).fit(X, y)


def _rewrite(source, target, member, transform):
    """Copy a model file, passing one member's bytes through ``transform``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = old.read(name)
            new.writestr(name, transform(data) if name == member else data)
    return target


def _zip(members):
    """A zip archive of ``(name, raw, method, size, compressed_size)`` members:
    ``raw`` is stored as is (already compressed for deflate), and the declared
    sizes may lie (None: the true one; the CRC of a deflated member is left 0)."""
    local, central = b"", b""
    for name, raw, method, size, compressed in members:
        encoded = name.encode()
        crc = zlib.crc32(raw) if method == zipfile.ZIP_STORED else 0
        sizes = (crc, len(raw) if compressed is None else compressed, size)
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0, *sizes, len(encoded),
            0, 0, 0, 0, 0, len(local),
        ) + encoded  # fmt: skip
        local += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, *sizes, len(encoded), 0
        ) + encoded + raw  # fmt: skip
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0
    )
    return local + central + end


def _stored(name, raw):
    return (name, raw, zipfile.ZIP_STORED, len(raw), None)


def _deflated_spaces(n_mebibytes: int) -> bytes:
    """Raw deflate of ``n_mebibytes`` MiB of spaces (valid JSON padding), built
    in milliseconds: a full flush makes each MiB's block self-contained, so one
    block repeats, and an empty final block ends the stream."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b" " * 2**20) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * n_mebibytes + b"\x03\x00"


# -- versions -------------------------------------------------------------------


def test_write_read_round_trip_of_config_and_arrays(tmp_path):
    arrays = {
        "strided": np.arange(10, dtype=np.int64)[::2],  # not contiguous
        "scalar": np.array(0.25),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "half": np.array([1.5, -2.0], dtype=np.float16),
        "keys": np.array([2**63 + 5], dtype=np.uint64),
        "matrix": np.arange(6, dtype=np.float32).reshape(2, 3).T,
    }
    persistence.write(tmp_path / "m", {"a": [1, "b"], "format_version": 7}, arrays)
    config, loaded = persistence.read(tmp_path / "m")
    assert config == {
        "format": "sktext",
        "format_version": persistence.FORMAT_VERSION,
        "a": [1, "b"],
    }
    assert loaded.keys() == arrays.keys()
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape, name
        assert np.array_equal(loaded[name], array), name
        assert loaded[name].flags.writeable


def _with_version(tmp_path, version):
    persistence.write(tmp_path / "m", {}, {"w": np.ones(2)})
    path = tmp_path / f"v{version!r}"
    return _rewrite(
        tmp_path / "m",
        path,
        "sktext.json",
        lambda b: json.dumps({**json.loads(b), "format_version": version}).encode(),
    )


def test_read_accepts_every_version_up_to_the_current_one(tmp_path):
    for version in range(1, persistence.FORMAT_VERSION + 1):
        config, _ = persistence.read(_with_version(tmp_path, version))
        assert config["format_version"] == version and type(config["format_version"]) is int


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (persistence.FORMAT_VERSION + 1, "newer than this sktext reads"),
        (0, "not valid"),
        ("1", "not valid"),
        (True, "not valid"),
        (1.0, "not valid"),
        (None, "not valid"),
    ],
)
def test_read_refuses_unknown_versions(tmp_path, version, message):
    with pytest.raises(ValueError, match=message):
        persistence.read(_with_version(tmp_path, version))


def _weights(header: object, body: bytes) -> bytes:
    encoded = json.dumps(header).encode()
    return len(encoded).to_bytes(8, "little") + encoded + body


@pytest.mark.parametrize(
    "weights",
    [
        b"",
        b"\xff" * 8 + b"{}",  # header length beyond the data
        _weights({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}}, bytes(8)),
        _weights({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8)),
        _weights({"w": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, bytes(2)),
        _weights({"w": {"dtype": "F32", "shape": [1]}}, bytes(4)),
        _weights(["not", "an", "object"], b""),
    ],
    ids=["empty", "header-length", "offsets", "shape", "dtype", "no-offsets", "not-object"],
)
def test_malformed_weights_raise_value_error(tmp_path, weights):
    persistence.write(tmp_path / "m", {}, {"w": np.ones(2)})
    _rewrite(tmp_path / "m", tmp_path / "bad", "weights.safetensors", lambda b: weights)
    with pytest.raises(ValueError, match="weights are malformed or truncated"):
        persistence.read(tmp_path / "bad")


# -- atomic writes (item 1) -----------------------------------------------------


def _assert_only(directory, names):
    assert sorted(os.listdir(directory)) == sorted(names)  # no temporary file left


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file size limits")
def test_save_failing_midway_keeps_the_previous_model(tmp_path, fitted):
    import resource
    import signal

    X, small = fitted
    path = tmp_path / "m.sktext"
    small.save(path)
    before = path.read_bytes()
    big = TextClassifier(**{**FAST, "dim": 64}).fit(*make_single_label(60, 2, seed=30))
    # Past the limit a write fails with EFBIG ("File too large") once SIGXFSZ,
    # which would kill the process, is ignored.
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (len(before) + 1024, hard))
    try:
        with pytest.raises(OSError, match="File too large"):
            big.save(path)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)
    assert path.read_bytes() == before
    assert np.array_equal(sktext.load(path).predict_proba(X), small.predict_proba(X))
    _assert_only(tmp_path, ["m.sktext"])


def test_interrupted_save_keeps_the_previous_model(tmp_path, fitted, monkeypatch):
    X, clf = fitted
    path = tmp_path / "m.sktext"
    clf.save(path)
    before = path.read_bytes()

    def interrupted(self, name, data, *args, **kwargs):
        self.fp.write(b"partial bytes")
        raise KeyboardInterrupt

    monkeypatch.setattr(zipfile.ZipFile, "writestr", interrupted)
    with pytest.raises(KeyboardInterrupt):
        clf.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert np.array_equal(sktext.load(path).predict_proba(X), clf.predict_proba(X))
    _assert_only(tmp_path, ["m.sktext"])


def test_save_replaces_the_file_a_link_points_to_with_default_permissions(tmp_path):
    target = tmp_path / "real.sktext"
    persistence.write(target, {"n": 1}, {})
    link = tmp_path / "link.sktext"
    try:
        link.symlink_to(target)
    except OSError:  # pragma: no cover - symbolic links need a privilege on Windows
        pytest.skip("cannot create symbolic links here")
    persistence.write(link, {"n": 2}, {})
    assert link.is_symlink() and persistence.read(target)[0]["n"] == 2
    umask = os.umask(0o022)
    os.umask(umask)
    if sys.platform != "win32":
        assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    _assert_only(tmp_path, ["real.sktext", "link.sktext"])


# -- size bounds on read (item 10) ------------------------------------------------


def _read_bounded(path):
    """Read ``path`` and return the error, asserting it took under 4 MB."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as error:
            sktext.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, f"reading took {peak} bytes"
    return str(error.value)


def test_a_configuration_inflating_to_hundreds_of_megabytes_is_refused(tmp_path):
    bomb = _deflated_spaces(300)
    weights = _stored("weights.safetensors", save_safetensors({"w": np.ones(2)}))
    declared = tmp_path / "declared.sktext"
    declared.write_bytes(
        _zip([("sktext.json", bomb, zipfile.ZIP_DEFLATED, 300 * 2**20, None), weights])
    )
    assert "zip bomb" in _read_bounded(declared)
    # A header declaring a small size is read no further than that size.
    lying = tmp_path / "lying.sktext"
    lying.write_bytes(_zip([("sktext.json", bomb, zipfile.ZIP_DEFLATED, 1000, None), weights]))
    assert "corrupted" in _read_bounded(lying)


def test_weights_beyond_the_file_or_the_ratio_are_refused(tmp_path):
    config = _stored("sktext.json", b'{"format": "sktext", "format_version": 1}')
    weights = save_safetensors({"w": np.ones(2)})
    cases = {
        "more than the file's": ("weights.safetensors", weights, zipfile.ZIP_STORED, 2**31, 2**31),
        "zip bomb": ("weights.safetensors", _deflated_spaces(1), zipfile.ZIP_DEFLATED, 2**20, None),
    }
    for message, member in cases.items():
        path = tmp_path / "bad.sktext"
        path.write_bytes(_zip([config, member]))
        assert message in _read_bounded(path)


def test_a_configuration_over_the_hard_cap_is_refused(tmp_path, monkeypatch):
    persistence.write(tmp_path / "m", {"padding": "x" * 2000}, {"w": np.ones(2)})
    monkeypatch.setattr(persistence, "_MAX_CONFIG", 1000)
    with pytest.raises(ValueError, match="too large for a model configuration"):
        persistence.read(tmp_path / "m")


def test_bzip2_and_lzma_members_are_refused(tmp_path):
    persistence.write(tmp_path / "m", {}, {"w": np.ones(2)})
    with zipfile.ZipFile(tmp_path / "m") as source:
        members = {name: source.read(name) for name in source.namelist()}
    with zipfile.ZipFile(tmp_path / "bz", "w", compression=zipfile.ZIP_BZIP2) as target:
        for name, data in members.items():
            target.writestr(name, data)
    with pytest.raises(ValueError, match="compression method 12"):
        persistence.read(tmp_path / "bz")
    with zipfile.ZipFile(tmp_path / "deflated", "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)
    assert persistence.read(tmp_path / "deflated")[0]["format"] == "sktext"


# -- finite weights (item 11) -----------------------------------------------------


@pytest.mark.parametrize(("array", "value"), [("model.head.weight", np.nan), ("idf", np.inf)])
def test_nan_or_infinite_weights_are_refused_naming_the_array(tmp_path, fitted, array, value):
    _, clf = fitted
    clf.save(tmp_path / "m")

    def poison(data):
        arrays = {name: a.copy() for name, a in load_safetensors(data).items()}
        arrays[array].flat[0] = value
        return save_safetensors(arrays)

    _rewrite(tmp_path / "m", tmp_path / "bad", "weights.safetensors", poison)
    with pytest.raises(ValueError, match=f"'{array}' holds NaN or infinite"):
        sktext.load(tmp_path / "bad")
