"""Files by URI: a local path, ``file:///...``, or object storage (``s3://``, ``gs://``, ``abfs://``, ``hdfs://``),
through pyarrow's file systems, so where the durable files live (``STORAGE_URI``) is configuration, not code.

A plain path stays a plain path (``join`` of a local path gives a local path): readers that open what a
transcript row names keep working. Object stores have no rename, so nothing here relies on one: a file is
written whole in one call (a reader never sees part of it), and a set of files is made visible by writing a
marker last (``model_store``, ``keyword_store``).
"""

from __future__ import annotations

import os
from pathlib import Path

SCHEME = "://"


def is_local(uri: str) -> bool:
    return SCHEME not in str(uri) or str(uri).startswith("file://")


def join(uri: str, *parts: str) -> str:
    uri = str(uri)
    if SCHEME not in uri:
        return str(Path(uri).expanduser().resolve().joinpath(*parts))
    return "/".join([uri.rstrip("/"), *[p.strip("/") for p in parts]])


def _fs(uri: str):
    from pyarrow import fs

    uri = str(uri)
    if SCHEME not in uri:
        return fs.LocalFileSystem(), str(Path(uri).expanduser().resolve())
    return fs.FileSystem.from_uri(uri)


def write_bytes(uri: str, data: bytes) -> None:
    """``data`` as the whole file at ``uri`` (a local file is written beside it and renamed into place)."""
    if is_local(uri):
        path = Path(_fs(uri)[1])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        return
    filesystem, path = _fs(uri)
    with filesystem.open_output_stream(path) as out:
        out.write(data)


def write_text(uri: str, text: str) -> None:
    write_bytes(uri, text.encode("utf-8"))


def read_bytes(uri: str) -> bytes:
    filesystem, path = _fs(uri)
    with filesystem.open_input_stream(path) as f:
        return f.read()


def read_text(uri: str) -> str:
    return read_bytes(uri).decode("utf-8")


def exists(uri: str) -> bool:
    from pyarrow import fs

    filesystem, path = _fs(uri)
    return filesystem.get_file_info(path).type != fs.FileType.NotFound


def is_file(uri: str) -> bool:
    from pyarrow import fs

    filesystem, path = _fs(uri)
    return filesystem.get_file_info(path).type == fs.FileType.File


def names(uri: str) -> list[str]:
    """The names directly under ``uri`` (none if it does not exist)."""
    from pyarrow import fs

    filesystem, path = _fs(uri)
    if filesystem.get_file_info(path).type != fs.FileType.Directory:
        return []
    return sorted(info.base_name for info in filesystem.get_file_info(fs.FileSelector(path)))


def remove_tree(uri: str) -> None:
    filesystem, path = _fs(uri)
    if exists(uri):
        filesystem.delete_dir(path)


def _copy(src_fs, src: str, dst_fs, dst: str) -> None:
    from pyarrow import fs

    fs.copy_files(src, dst, source_filesystem=src_fs, destination_filesystem=dst_fs, chunk_size=8 << 20)


def upload_file(local: Path, uri: str) -> None:
    """A local file copied whole to ``uri``, streamed (audio is too large to hold in memory twice)."""
    from pyarrow import fs

    if is_local(uri):
        path = Path(_fs(uri)[1])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        _copy(fs.LocalFileSystem(), str(Path(local).resolve()), fs.LocalFileSystem(), str(tmp))
        tmp.replace(path)
        return
    filesystem, path = _fs(uri)
    _copy(fs.LocalFileSystem(), str(Path(local).resolve()), filesystem, path)


def download_file(uri: str, local: Path) -> Path:
    """The file at ``uri`` copied to a local path (written beside it, then renamed into place)."""
    from pyarrow import fs

    local = Path(local)
    local.parent.mkdir(parents=True, exist_ok=True)
    tmp = local.with_name(f".{local.name}.{os.getpid()}.tmp")
    filesystem, path = _fs(uri)
    _copy(filesystem, path, fs.LocalFileSystem(), str(tmp.resolve()))
    tmp.replace(local)
    return local


def remove_file(uri: str) -> None:
    """The file at ``uri`` removed; none there is not an error."""
    filesystem, path = _fs(uri)
    if is_file(uri):
        filesystem.delete_file(path)


def upload_dir(local: Path, uri: str) -> None:
    """Every file of a local folder (its own files, not subfolders) copied to ``uri``."""
    for file in sorted(Path(local).iterdir()):
        if file.is_file():
            write_bytes(join(uri, file.name), file.read_bytes())


def download_dir(uri: str, local: Path) -> Path:
    """The files directly under ``uri`` copied into a local folder (for libraries that read only paths)."""
    local.mkdir(parents=True, exist_ok=True)
    for name in names(uri):
        if is_file(join(uri, name)):
            (local / name).write_bytes(read_bytes(join(uri, name)))
    return local
