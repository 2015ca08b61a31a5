"""Training data: manifest reading (manifest.py), clip samples (clips.py), loaders (loader.py)."""
