"""Packaged interpolation-network checkpoint (default.safetensors + default.json) and its MODEL_CARD.md."""
