"""Bounded, never-executing readers of file formats, shared by every stage (ONE reader per format).

``source``: byte sources (random access, bounded by size and budget; sequential streams); ``inflate``:
bounded decompression (byte budget and ratio limit); ``compressed``: plain/gzip/zstd files and streams
(inventories, logs) decompressed in bounded steps, a cut or corrupt stream reported; ``zip``, ``tar``,
``sevenzip``: container listings and member reads; ``pickle``: the opcode walker; ``gguf``,
``safetensors``, ``tokenizer``, ``protobuf`` (ONNX), ``descriptors`` (JSON configs, model-card front
matter, legacy PyTorch magic) and ``sniff``-free helpers.

Nothing here imports from targets/discover/identify/inspect/policy/report: readers take a byte source.
"""
