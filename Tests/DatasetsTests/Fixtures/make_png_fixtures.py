"""Writes small PNGs with every row filter and colour type, and the RGB pixels they hold.

Run once: python3 Tests/DatasetsTests/Fixtures/make_png_fixtures.py (plain Python, no packages).
The Swift tests read only the files this writes.
"""
import json, os, random, struct, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
random.seed(7)


def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)


def filtered(rows, bpp):
    out, prev = b"", bytes(len(rows[0]))
    for y, row in enumerate(rows):
        f = y % 5
        line = bytearray()
        for x, v in enumerate(row):
            a = row[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 0: p = 0
            elif f == 1: p = a
            elif f == 2: p = b
            elif f == 3: p = (a + b) // 2
            else:
                pp = a + b - c; pa, pb, pc = abs(pp - a), abs(pp - b), abs(pp - c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line.append((v - p) & 255)
        out += bytes([f]) + bytes(line)
        prev = row
    return out


cases = {}
w, h = 7, 6
for name, ct, ch in [("grey", 0, 1), ("rgb", 2, 3), ("palette", 3, 1), ("grey_alpha", 4, 2), ("rgba", 6, 4)]:
    palette = [random.randrange(256) for _ in range(3 * 16)]
    rows, rgb = [], []
    for y in range(h):
        row = []
        for x in range(w):
            px = [random.randrange(16 if ct == 3 else 256) for _ in range(ch)]
            row += px
            if ct in (0, 4): rgb += [px[0]] * 3
            elif ct == 3: rgb += palette[px[0] * 3: px[0] * 3 + 3]
            else: rgb += px[:3]
        rows.append(bytes(row))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, ct, 0, 0, 0))
    if ct == 3: png += chunk(b"PLTE", bytes(palette))
    png += chunk(b"IDAT", zlib.compress(filtered(rows, ch))) + chunk(b"IEND", b"")
    open(os.path.join(HERE, f"{name}.png"), "wb").write(png)
    cases[name] = rgb
json.dump({"width": w, "height": h, "rgb": cases}, open(os.path.join(HERE, "png_expected.json"), "w"))
print("png fixtures written")
