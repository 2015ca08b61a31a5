"""InterpConfig: how footage is interpolated, one dataclass for `interpolate`, `build` and (motion) `train-interp`."""

from __future__ import annotations

from dataclasses import dataclass

from .names import ENSEMBLES, METHODS, MOTIONS, TRAJECTORIES

DEFAULT_SCENE_THRESHOLD = 0.7  # interp.scenes.DEFAULT_THRESHOLD (kept here so the CLI needs no cv2 to parse)


@dataclass
class InterpConfig:
    method: str = "auto"  # METHODS: auto = the packaged network when its model card clears it, else dis
    weights: str | None = None  # interpolation-network weights (.safetensors)
    device: str | None = None  # cuda | cpu (None: cuda when available)
    dtype: str | None = None  # bf16 | fp16 | fp32 (None: bf16 on cuda, fp32 on cpu)
    motion: str = "fused"  # MOTIONS: the pre-warp's motion
    trajectory: str = "quadratic"  # TRAJECTORIES: fused motion between captured frames
    ensemble: str = "auto"  # ENSEMBLES: mirror = also interpolate the mirrored pair and average (interp.ensemble);
                            # auto = mirror up to 2048 px on the long side, one pass above (4K)
    tile: int = 0  # network tile side in px (0 = auto: 1024 cpu, 2048 cuda)
    tile_overlap: int = 64
    max_tile: int = 4096
    vfr: str = "cfr"  # cfr: variable-frame-rate clips onto their nominal grid (interp.retime); error: refuse them
    allow_hdr: bool = True  # keep HLG/PQ sources in their transfer (False: --refuse-hdr refuses them)
    scene_threshold: float = DEFAULT_SCENE_THRESHOLD
    motion_workers: int | None = None  # motion-estimation threads ahead of the device (None: a quarter of the cores
                                       # with a GPU, none on a CPU device)
    io_queue: int = 4  # frames decoded ahead and frames waiting to be encoded (0: all in the main thread)

    def check(self) -> InterpConfig:
        """Raise UserError (one line) on a bad value; returns self."""
        from ..common.errors import UserError

        for name, value, allowed in (("method", self.method, METHODS), ("motion", self.motion, MOTIONS),
                                     ("trajectory", self.trajectory, TRAJECTORIES), ("vfr", self.vfr, ("cfr", "error")),
                                     ("ensemble", self.ensemble, ENSEMBLES)):
            if value not in allowed:
                raise UserError(f"unknown --{name} {value!r} (choose from {', '.join(allowed)})")
        if self.tile < 0 or self.tile_overlap < 0 or self.max_tile < 0:
            raise UserError("--tile, --tile-overlap and --max-tile must be >= 0")
        if (self.motion_workers is not None and self.motion_workers < 0) or self.io_queue < 0:
            raise UserError("--motion-workers and --io-queue must be >= 0")
        if not 0.0 <= self.scene_threshold <= 1.0:
            raise UserError(f"--scene-threshold must be in [0, 1] (got {self.scene_threshold})")
        return self

    def method_kwargs(self) -> dict:
        """Keyword arguments of interp.methods.make_method."""
        return dict(method=self.method, weights=self.weights, device=self.device, dtype=self.dtype, tile=self.tile,
                    tile_overlap=self.tile_overlap, max_tile=self.max_tile, motion=self.motion,
                    trajectory=self.trajectory, motion_workers=self.motion_workers, ensemble=self.ensemble)

    def clip_kwargs(self) -> dict:
        """How a clip is read and cut (interp.pipeline.iter_interpolated / interpolate_clip)."""
        return dict(vfr=self.vfr, allow_hdr=self.allow_hdr, scene_threshold=self.scene_threshold,
                    io_queue=self.io_queue)


def add_motion_options(g) -> None:
    """--motion and --trajectory (shared by interpolate, build and train-interp)."""
    g.add_argument("--motion", default="fused", choices=MOTIONS,
                   help="fused (default): DIS + feature-matched motion layers + per-pixel fusion, motion at t by "
                   "forward splatting with visibility, hedged with plain DIS where no rigid layer explains the "
                   "motion, refined at full resolution; plain: DIS with linear-motion flows at t (classical baseline)")
    g.add_argument("--trajectory", default="quadratic", choices=TRAJECTORIES,
                   help="fused motion between two captured frames: quadratic (default) through the captured frames "
                   "either side where the camera layer explains a pixel in both pairs (accelerating, shaking camera), "
                   "else linear; linear: straight lines between the two frames")


def add_interp_options(g) -> None:
    """The interpolation options of `interpolate` and `build` (an argparse parser or group)."""
    g.add_argument("--method", default="auto", choices=METHODS,
                   help="auto (default): the packaged network when its model card clears it, else dis with a warning")
    add_motion_options(g)
    g.add_argument("--ensemble", default="auto", choices=ENSEMBLES,
                   help="mirror: also interpolate each pair mirrored left-right and average the two frames (the "
                   "motion errs differently on each; +0.0..0.2 dB on real footage, twice the motion and warp time); "
                   "auto (default): mirror for frames up to 2048 px on the long side, one pass above (at 4K the "
                   "flows are refined from a quarter-size estimate and the passes agree); none: one pass")
    g.add_argument("--weights", default=None, help="interpolation-network weights (.safetensors)")
    g.add_argument("--device", default=None, help="cuda|cpu (default: cuda when available)")
    g.add_argument("--dtype", default=None, choices=["bf16", "fp16", "fp32"], help="default: bf16 on cuda, fp32 on cpu")
    g.add_argument("--tile", type=int, default=0, help="tile side in px for the network (0 = auto: 1024 cpu, 2048 cuda)")
    g.add_argument("--tile-overlap", type=int, default=64, help="tile overlap in px (feathered; default 64)")
    g.add_argument("--max-tile", type=int, default=4096, help="upper bound on the tile side (bounds memory)")
    g.add_argument("--vfr", default="cfr", choices=["cfr", "error"],
                   help="variable-frame-rate clips: cfr (default) puts them on their nominal grid, interpolating grid "
                   "times between recorded frames; error refuses them")
    g.add_argument("--allow-hdr", dest="allow_hdr", action="store_true", default=True,
                   help="HLG/PQ sources are kept in their transfer (the default; synthesize averages them with that curve)")
    g.add_argument("--refuse-hdr", dest="allow_hdr", action="store_false", help="refuse HLG/PQ sources instead")
    g.add_argument("--scene-threshold", type=float, default=DEFAULT_SCENE_THRESHOLD,
                   help="cut when motion-compensated thumbnail correlation is below this (default 0.7)")
    g.add_argument("--motion-workers", type=int, default=None,
                   help="threads estimating the motion of upcoming source pairs while the device interpolates the "
                   "current one (default: a quarter of the cores with a GPU, 0 = in turn on a CPU device); the "
                   "frames do not depend on it")
    g.add_argument("--io-queue", type=int, default=4,
                   help="frames decoded ahead and frames waiting to be encoded, in background threads (default 4; "
                   "0 = all in the main thread); the output does not depend on it")


def from_args(args) -> InterpConfig:
    """The InterpConfig of parsed `add_interp_options` arguments, checked."""
    return InterpConfig(method=args.method, weights=args.weights, device=args.device, dtype=args.dtype,
                        motion=args.motion, trajectory=args.trajectory, ensemble=args.ensemble, tile=args.tile,
                        tile_overlap=args.tile_overlap, max_tile=args.max_tile, vfr=args.vfr, allow_hdr=args.allow_hdr,
                        scene_threshold=args.scene_threshold, motion_workers=args.motion_workers,
                        io_queue=args.io_queue).check()
