"""Data-parallel training under torchrun: 2 CPU processes on gloo."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

pytestmark = [
    # Three torchrun launches of fresh processes: tens of seconds.
    pytest.mark.integration,
    pytest.mark.skipif(
        not torch.distributed.is_available(), reason="torch.distributed is not available"
    ),
]

ROOT = Path(__file__).resolve().parents[1]

WORKER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import torch
    import torch.distributed as dist
    from sktext import TextClassifier
    from sktext.datasets import make_text_classification

    torch.set_num_threads(1)
    out, mode = sys.argv[1], sys.argv[2]
    texts, y = make_text_classification(1200, 4, random_state=0)
    distributed = mode != "single"
    if distributed:
        dist.init_process_group("gloo")
    # With random_state=None the ranks must still agree (rank 0's seed).
    seed = None if mode == "ddp-unseeded" else 0
    clf = TextClassifier(random_state=seed, max_iter=4, batch_size=64)
    clf.fit(texts[:1000], y[:1000])
    rank = dist.get_rank() if distributed else 0
    np.savez(
        f"{out}/{mode}-rank{rank}.npz",
        embedding=clf.model_.embedding.weight.detach().numpy(),
        head=clf.model_.head.weight.detach().numpy(),
        accuracy=clf.score(texts[1000:], y[1000:]),
        loss=np.array(clf.loss_curve_),
    )
    if distributed:
        dist.destroy_process_group()
    """
)


def _run(tmp_path: Path, *command: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr[-3000:]


def _torchrun(tmp_path: Path, mode: str) -> None:
    _run(
        tmp_path,
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        str(tmp_path / "worker.py"),
        str(tmp_path),
        mode,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("ddp")
    (tmp_path / "worker.py").write_text(WORKER)
    _torchrun(tmp_path, "ddp-unseeded")
    _torchrun(tmp_path, "ddp")
    _run(tmp_path, sys.executable, str(tmp_path / "worker.py"), str(tmp_path), "single")
    return {path.stem: np.load(path) for path in tmp_path.glob("*.npz")}


def test_two_ranks_end_with_identical_weights(runs):
    for mode in ("ddp-unseeded", "ddp"):
        rank0, rank1 = runs[f"{mode}-rank0"], runs[f"{mode}-rank1"]
        np.testing.assert_array_equal(rank0["embedding"], rank1["embedding"])
        np.testing.assert_array_equal(rank0["head"], rank1["head"])
        np.testing.assert_array_equal(rank0["loss"], rank1["loss"])
        assert rank0["accuracy"] > 0.8
        assert rank0["loss"][-1] < rank0["loss"][0]


def test_sharded_batches_train_like_one_process(runs):
    """Summed shard gradients are the whole batch's gradient: the same run as
    one process, up to floating-point summation order."""
    ddp, single = runs["ddp-rank0"], runs["single-rank0"]
    np.testing.assert_allclose(ddp["loss"], single["loss"], rtol=1e-4)
    np.testing.assert_allclose(ddp["head"], single["head"], rtol=1e-3, atol=1e-5)
    assert abs(float(ddp["accuracy"]) - float(single["accuracy"])) <= 0.01
