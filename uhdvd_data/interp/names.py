"""The interpolation choices by name, in one place (light: the CLI builds its parsers from these without torch)."""

METHODS = ("auto", "network", "dis", "blend")  # interp.methods.make_method
MOTIONS = ("fused", "plain")  # interp.motion: the pre-warp's motion
TRAJECTORIES = ("quadratic", "linear")  # fused motion between captured frames (interp.motion.accelerate)
ENSEMBLES = ("auto", "mirror", "none")  # interp.ensemble: mirror = the pair as it is and mirrored, averaged; auto =
# mirror up to 2x the flow resolution on the long side (2048 px: 1080p and below), else none
