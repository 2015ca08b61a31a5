"""Training curves as a PNG (loss and validation PSNR against the blurry input), written atomically."""

from __future__ import annotations

from pathlib import Path


def write_curves(path: Path, history: dict, title: str) -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from uhdvd_data.common.atomic import write_bytes

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    if history["loss"]:
        s, v = zip(*history["loss"])
        a1.plot(s, v, lw=1)
        if min(v) > 0:
            a1.set_yscale("log")
    a1.set_xlabel("step")
    a1.set_ylabel("train loss")
    a1.grid(alpha=0.3)
    if history["val"]:
        s, p, b = zip(*history["val"])
        a2.plot(s, p, "o-", label="model")
        a2.plot(s, b, "--", color="gray", label="blurry input")
        a2.legend()
    a2.set_xlabel("step")
    a2.set_ylabel("validation PSNR (dB)")
    a2.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    write_bytes(path, buf.getvalue())
