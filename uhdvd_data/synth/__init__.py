"""Blur synthesis: average 480 fps windows in linear light into blur/sharp pairs, with manifests and exports."""
