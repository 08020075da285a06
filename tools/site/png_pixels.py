"""Just enough of PNG to tell a blank screenshot from a drawn one.

Chromium writes 8-bit RGB or RGBA PNGs, not interlaced; this reads those
(the standard library has zlib, not an image reader) and undoes the five
row filters of the PNG specification (section 9, "Filtering").
"""
import struct
import zlib
from collections import Counter


def rows(path):
    """The PNG's pixel rows, as bytes, and its bytes per pixel."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("%s is not a PNG" % path)
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    channels = {2: 3, 6: 4, 0: 1, 4: 2}.get(color)
    if depth != 8 or channels is None or interlace:
        raise ValueError("%s: only 8-bit, non-interlaced grey/RGB(A) PNGs are read" % path)
    raw, bpp, stride = zlib.decompress(idat), channels, width * channels
    previous, out = bytearray(stride), []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            left = line[x - bpp] if x >= bpp else 0
            up = previous[x]
            up_left = previous[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xff
            elif kind == 2:
                line[x] = (line[x] + up) & 0xff
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xff
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
                line[x] = (line[x] + pred) & 0xff
        out.append(bytes(line))
        previous = line
    return out, bpp


def share_not_background(path):
    """The share of pixels (0..1) not of the picture's most common colour."""
    lines, bpp = rows(path)
    colours = Counter()
    for line in lines[::4]:  # every fourth row is plenty to tell blank from drawn
        colours.update(line[i:i + bpp] for i in range(0, len(line), bpp))
    total = sum(colours.values())
    return 1 - colours.most_common(1)[0][1] / total if total else 0.0
