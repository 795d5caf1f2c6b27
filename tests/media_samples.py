"""Tiny files whose magic bytes `filetype` recognises, for media tests."""

from __future__ import annotations

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x02\x00\x00\x00"
    + b"\x00" * 64
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 32
PDF = b"%PDF-1.7\n" + b"\x00" * 32


def png(seed: int = 0) -> bytes:
    """A distinct PNG per seed, so uploads can be told apart."""
    return PNG + seed.to_bytes(4, "big")
