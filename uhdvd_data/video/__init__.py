"""Video layer: probe clips (PyAV), stream decoded RGB frames, encode with the ffmpeg binary.

    from uhdvd_data.video import probe, find_videos, open_video, ClipInfo, Frame, VideoWriter
"""

from .clipinfo import CSV_COLUMNS, ClipInfo, Frame
from .probing import VIDEO_SUFFIXES, find_videos, probe, probe_many
from .reader import VideoReader, open_video, rotate_cw
from .writer import VideoWriter

__all__ = [
    "CSV_COLUMNS",
    "ClipInfo",
    "Frame",
    "VIDEO_SUFFIXES",
    "VideoReader",
    "VideoWriter",
    "find_videos",
    "open_video",
    "probe",
    "probe_many",
    "rotate_cw",
]
