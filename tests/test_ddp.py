"""DistributedDataParallel (gloo, 2 processes on 127.0.0.1) equals one process on the whole batch."""
import importlib.util
import os
import shutil
import socket
import subprocess
import sys

import torch

from conftest import ROOT


def load_example():
    spec = importlib.util.spec_from_file_location("ddp_train", ROOT / "examples" / "ddp_train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_matches_single_process(tmp_path):
    example = load_example()
    out = tmp_path / "params.pt"
    torchrun = shutil.which("torchrun") or f"{sys.executable} -m torch.distributed.run"
    cmd = torchrun.split() + ["--nnodes=1", "--nproc_per_node=2", "--master_addr=127.0.0.1",
                              f"--master_port={free_port()}", str(ROOT / "examples" / "ddp_train.py"),
                              "--out", str(out), "--steps", "4"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    for _ in range(2):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
        # gloo's teardown at exit races now and then after the work is done (SIGABRT,
        # "terminate called without an active exception", once in ~30 runs here; a known
        # class of torch.distributed issues): one more run, not a pass
        if r.returncode == 0 or "terminate called without an active exception" not in r.stdout + r.stderr:
            break
    assert r.returncode == 0, r.stdout + r.stderr
    ddp_params = torch.load(out)
    model = example.make_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    xs, target = example.make_data()
    example.train(model, xs, target, steps=4)
    single = model.state_dict()
    assert set(ddp_params) == set(single)
    for k in single:
        assert not torch.equal(single[k], before[k]), k  # training moved every parameter
        assert torch.allclose(ddp_params[k], single[k], atol=1e-12, rtol=0), k
