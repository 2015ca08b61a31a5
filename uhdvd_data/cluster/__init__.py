"""Dataset construction on a Ray cluster (`--cluster` of `interpolate`, `synthesize` and `build`).

One task per clip (per chunk of windows for `synthesize`, the unit of its `--jobs` workers), running the same
per-clip function as the single-machine path; the driver writes the manifest once at the end with the same code.
Ray is optional (`pip install 'uhdvd[ray]'`): only `runner` imports it, and only with --cluster.
"""

from .options import ClipsFailed, ClusterSpec, add_cluster_options, cluster_from_args, spec_from_args

__all__ = ["ClipsFailed", "ClusterSpec", "add_cluster_options", "cluster_from_args", "spec_from_args"]
