"""Deblurrer stages == the former one-piece call; honest timing; warm-up; several manifests; `--table paper`."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "train"))
from trainkit import make_manifest  # noqa: E402

from uhdvd_data.common.device import autocast  # noqa: E402
from uhdvd_model.arch import build_model  # noqa: E402
from uhdvd_model.arch.padding import crop, pad_to_multiple  # noqa: E402
from uhdvd_model.cli_eval import main  # noqa: E402
from uhdvd_model.eval.evaluate import evaluate  # noqa: E402
from uhdvd_model.eval.table import PAPER_LABEL, paper_key  # noqa: E402
from uhdvd_model.eval.timing import timed_frame  # noqa: E402
from uhdvd_model.infer.deblurrer import Deblurrer, to_tensor, to_uint8  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _frames(n, h, w, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    return [np.roll(base, 5 * i, axis=1) for i in range(n)]


class _OldDeblurrer:
    """The one-piece `Deblurrer.run` as it was before the split into prepare / forward / finish."""

    def __init__(self, model, cl=True):
        self.model, self.cl, self.prev = model, cl, None
        self.official = getattr(model, "variant", "") == "official"

    def _cl(self, x):
        return x.contiguous(memory_format=torch.channels_last) if self.cl else x

    @torch.inference_mode()
    def __call__(self, rgb):
        from uhdvd_model.arch.official import build_inputs, preprocess_blur

        dev, dt = torch.device("cpu"), torch.float32
        if self.official:
            levels = [to_tensor(a, dev) for a in preprocess_blur(rgb)]
            inputs = [self._cl(x) for x in build_inputs(levels, self.prev)]
            with autocast(dev, dt):
                out = self.model.forward_levels(inputs, out_size=rgb.shape[:2])[0]
            out = out.float()
        else:
            b, hw = pad_to_multiple(to_tensor(rgb, dev), self.model.size_multiple)
            p = None if self.prev is None else pad_to_multiple(self.prev, self.model.size_multiple)[0]
            with autocast(dev, dt):
                d1 = self.model(self._cl(b), None if p is None else self._cl(p))[0]
            out = crop(d1, hw).float()
        self.prev = out
        return to_uint8(out), out


@pytest.mark.parametrize("name", ["uhdvd", "uhdvd_official"])
def test_stages_are_bit_identical_to_the_former_call(name):
    torch.manual_seed(3)
    model = build_model(name).eval()
    old = _OldDeblurrer(model)
    new = Deblurrer(model, device="cpu")  # channels_last, as the former default
    staged = Deblurrer(model, device="cpu")
    for i, f in enumerate(_frames(3, 40, 56)):
        ref_u8, ref = old(f)
        got = new(f)
        out = staged.forward(staged.prepare(f))
        got_staged = staged.finish(out)
        assert np.array_equal(got, ref_u8) and np.array_equal(got_staged, ref_u8), i
        assert torch.equal(out, ref) and torch.equal(staged.prev, ref) and torch.equal(new.prev, ref), i
    new.reset()
    old.prev = None
    assert np.array_equal(new(f), old(f)[0])  # after reset: the frame is its own "previous" again


def test_timed_frame_gives_the_same_output_and_model_time_within_end_to_end():
    model = build_model("uhdvd").eval()
    a, b = Deblurrer(model, device="cpu"), Deblurrer(model, device="cpu")
    for f in _frames(2, 40, 56):
        out, ms_model, ms_e2e = timed_frame(a, f)
        assert np.array_equal(out, b(f))
        assert 0 < ms_model <= ms_e2e


def test_paper_dataset_names():
    assert [paper_key(n) for n in ("GOPRO_Large", "gopro", "dvd_10clips", "REDS-val", "4KRD", "uhdvd_demo",
                                   "mine")] == ["gopro", "gopro", "dvd", "reds", "4krd", None, None]


def _weights(root: Path) -> str:
    from uhdvd_model.weights import save_weights

    torch.manual_seed(0)
    save_weights(build_model("uhdvd"), root / "runs/w1.safetensors", {})
    return str(root / "runs/w1.safetensors")


def test_warmup_does_not_change_scores(in_tmp):
    man = make_manifest(in_tmp, clips=(("c", "test", 2), ("d", "test", 1)), h=40, w=56)
    w = _weights(in_tmp)
    keys = ("method", "clip", "frames", "psnr", "ssim", "ssim_y")
    cold = evaluate(str(man), [w], device="cpu", progress=False, warmup=0)
    warm = evaluate(str(man), [w], device="cpu", progress=False, warmup=3)
    assert [[r[k] for k in keys] for r in cold] == [[r[k] for k in keys] for r in warm]
    assert [r["frames"] for r in warm if r["clip"] == "mean"] == [3, 3]  # warm-up frames are not counted


def test_two_manifests_paper_table(in_tmp, capsys):
    g = make_manifest(in_tmp / "g", clips=(("c", "test", 2),), h=40, w=56, name="manifests/gopro.csv")
    k = make_manifest(in_tmp / "k", clips=(("x", "test", 1), ("y", "test", 1)), h=32, w=48, seed=1,
                      name="manifests/mine.csv")
    w = _weights(in_tmp)
    with pytest.raises(SystemExit) as e:
        main(["--manifest", str(g), "--manifest", str(k), "--weights", w, "--device", "cpu", "--table", "paper",
              "--warmup", "1", "--no-progress"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    md = Path("eval/table_paper.md").read_text()
    for text in (out, md):
        assert "| Datasets" in text and "gopro (test)" in text and "mine (test)" in text
        for row in ("| PSNR ", "| SSIM ", "| Time (ms, model) ", "| Time (ms, end-to-end) "):
            assert text.count(row) == 1, row
        assert text.count(PAPER_LABEL) >= 2 and "31.33" in text and "27.88" not in text  # gopro only
        assert "gopro: " in text and "1 clip(s), 2 frame(s)" in text and "2 clip(s), 2 frame(s)" in text
        assert "no border crop" in text and "rounded half-up" in text and "gaussian_weights=True" in text
        assert "SSIM-Y" in text and "CPU: " in text and "thread" in text and "fp32" in text
        assert "1 untimed warm-up frame" in text and "file reading and metric computation are excluded" in text
    for name in ("gopro", "mine"):
        rows = list(csv.DictReader(open(f"eval/eval_{name}_test.csv")))
        assert {"ms_model", "ms_end_to_end", "ssim_y"} <= set(rows[0]) and "ms_per_frame" not in rows[0]
        assert Path(f"eval/eval_{name}_test.png").is_file()
        for r in rows:
            if r["method"] == "w1":
                assert 0 < float(r["ms_model"]) <= float(r["ms_end_to_end"])
    tab = list(csv.reader(open("eval/table_paper.csv")))
    assert tab[0] == ["dataset"] + ["gopro"] * 3 + ["mine"] * 2
    assert tab[1] == ["method", "blurry input", "w1", PAPER_LABEL, "blurry input", "w1"]
    assert [r[0] for r in tab[2:]] == ["PSNR", "SSIM", "Time (ms, model)", "Time (ms, end-to-end)"]
    model_ms, e2e_ms = tab[4], tab[5]
    for col in (2, 5):  # w1 in each group
        assert 0 < float(model_ms[col]) <= float(e2e_ms[col])
    assert model_ms[1] == e2e_ms[1] == "" and e2e_ms[3] == "" and float(model_ms[3]) == 12.7


def test_dataset_names_option_and_errors(in_tmp, capsys):
    g = make_manifest(in_tmp / "g", clips=(("c", "test", 1),), h=32, w=48, name="manifests/t.csv")
    k = make_manifest(in_tmp / "k", clips=(("x", "test", 1),), h=32, w=48, name="manifests/t.csv")
    with pytest.raises(SystemExit) as e:
        main(["--manifest", str(g), "--manifest", str(k), "--no-progress"])
    assert e.value.code == 2 and "--dataset-names" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["--manifest", str(g), "--manifest", str(k), "--dataset-names", "a", "--no-progress"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["--manifest", str(g), "--manifest", str(k), "--dataset-names", "a,REDS", "--table", "paper",
              "--no-progress"])
    assert e.value.code == 0
    assert Path("eval/eval_a_test.csv").is_file() and Path("eval/eval_REDS_test.csv").is_file()
    md = Path("eval/table_paper.md").read_text()
    assert "27.53" in md and "no weights given" in md


def test_timed_frame_cuda_branch_uses_events_around_the_forward_only(monkeypatch):
    """Without a GPU: fake CUDA calls record the order of events, to check what lies between them."""
    log, made = [], []

    class Event:
        def __init__(self, enable_timing=False):
            assert enable_timing
            self.name = "ab"[len(made)]
            made.append(self)

        def record(self, stream=None):
            log.append(f"record {self.name} on {stream}")

        def elapsed_time(self, other):
            log.append("elapsed")
            return 2.5

    monkeypatch.setattr(torch.cuda, "Event", Event)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: log.append("sync"))
    monkeypatch.setattr(torch.cuda, "current_stream", lambda device=None: "s0")

    class FakeDeblurrer:
        device = torch.device("cuda")

        def prepare(self, rgb):
            log.append("prepare")
            return rgb

        def forward(self, x):
            log.append("forward")
            return x

        def finish(self, x):
            log.append("finish")
            return x

    out, ms_model, ms_e2e = timed_frame(FakeDeblurrer(), np.zeros((2, 2, 3), np.uint8))
    assert log == ["sync", "prepare", "record a on s0", "forward", "record b on s0", "finish", "sync", "elapsed"]
    assert ms_model == 2.5 and ms_e2e >= 0 and out.shape == (2, 2, 3)
