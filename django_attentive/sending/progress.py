"""The terminal progress bar of ``attentive_send_queued`` when it drains a known number of texts."""

from __future__ import annotations

import math

BAR_WIDTH = 30


def progress_bar(done: int, total: int, rate: float, *, width: int = BAR_WIDTH) -> str:
    """``[#######.......]  312/1,000  31%  45.2/s  ETA 0:00:15`` (no ETA before a rate is known)."""
    total = max(total, 0)
    shown = min(done, total) if total else done
    fraction = shown / total if total else 1.0
    filled = math.floor(fraction * width)
    bar = "#" * filled + "." * (width - filled)
    if shown >= total:
        eta = "done"
    elif rate > 0:
        eta = "ETA " + _clock((total - shown) / rate)
    else:
        eta = "ETA --:--:--"
    return f"[{bar}] {shown:,}/{total:,} {fraction:4.0%}  {rate:.1f}/s  {eta}"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(math.ceil(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
