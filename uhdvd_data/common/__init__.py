"""Shared plumbing for both packages: errors, atomic files, image I/O, hashing, ffmpeg location, devices."""
