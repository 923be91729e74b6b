"""A small safetensors codec (no dependency on the `safetensors` package, which Debian lacks).

Format: an 8-byte little-endian header length N, N bytes of JSON
`{name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}`
padded with spaces to a multiple of 8, then the tensors' raw little-endian bytes, offsets relative
to the end of the header. Files written here load with the official library and vice versa.
"""

from __future__ import annotations

import ctypes
import json
import mmap
import os
import struct
import sys
from typing import Mapping, Optional

import torch

DTYPES: dict[str, torch.dtype] = {
    "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
MAX_HEADER = 100 * 1024 * 1024

if sys.byteorder != "little":  # the format is little-endian; so is every machine we run on
    raise ImportError("engine.safetensors assumes a little-endian host")


def _raw_bytes(t: torch.Tensor) -> bytes:
    t = t.detach().to("cpu").contiguous().reshape(-1)
    if t.numel() == 0:
        return b""
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    # Copy straight from the tensor's memory: no numpy needed (torch 2.x does not require it).
    return ctypes.string_at(t.data_ptr(), t.numel() * t.element_size())


def save_file(tensors: Mapping[str, torch.Tensor], path: str, metadata: Optional[dict[str, str]] = None) -> None:
    """Write `tensors` to `path` atomically (temp file + rename). Shared storage is written per name."""
    header: dict[str, object] = {"__metadata__": dict(metadata or {"format": "pt"})}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype not in NAMES:
            raise ValueError(f"{name}: dtype {t.dtype} is not supported by this codec")
        blob = _raw_bytes(t)
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def read_header(path: str) -> tuple[dict, int]:
    """-> (header dict, byte offset where tensor data starts)."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ValueError(f"{path}: too short to be a safetensors file")
        (n,) = struct.unpack("<Q", raw)
        if n > MAX_HEADER:
            raise ValueError(f"{path}: header length {n} is implausible")
        header = json.loads(f.read(n))
    return header, 8 + n


def load_file(path: str, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """Read every tensor. The file is memory-mapped, so only one tensor's copy is in flight at a time."""
    header, start = read_header(path)
    size = os.path.getsize(path)
    out: dict[str, torch.Tensor] = {}
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for name, info in header.items():
            if name == "__metadata__":
                continue
            dtype = DTYPES.get(info["dtype"])
            if dtype is None:
                raise ValueError(f"{path}: {name} has unsupported dtype {info['dtype']}")
            begin, end = info["data_offsets"]
            shape = info["shape"]
            numel = 1
            for s in shape:
                numel *= s
            itemsize = torch.empty((), dtype=dtype).element_size()
            if end - begin != numel * itemsize or start + end > size:
                raise ValueError(f"{path}: {name} offsets do not match its shape and dtype")
            if numel == 0:
                out[name] = torch.empty(shape, dtype=dtype, device=device)
                continue
            load_dtype = torch.uint8 if dtype == torch.bool else dtype
            # bytearray copy: torch.frombuffer needs a writable buffer, and the mmap closes below.
            buf = bytearray(mm[start + begin:start + end])
            t = torch.frombuffer(buf, dtype=load_dtype).reshape(shape)
            out[name] = t.to(dtype=dtype, device=device) if (dtype == torch.bool or str(device) != "cpu") else t
    return out


def load_metadata(path: str) -> dict[str, str]:
    return read_header(path)[0].get("__metadata__", {}) or {}
