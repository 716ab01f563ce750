"""Cluster workers read the rows they explain from the Parquet data file themselves.

Sending every explained row over the wire costs the main process one copy per chunk and the
network its bytes; with ``[explain] workers_read_data = true`` a worker gets only row
numbers, opens the data file at the same path, reads the row groups that hold its rows (a
Parquet file's partitions) and builds the model input itself. The main process still holds
the rows (it computes the model's output on them to check additivity) and sends each chunk's
SHA-256 of the model input: a worker that reads other values (another file at that path, a
changed file) stops with an error instead of explaining the wrong rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditlens.errors import AnalysisError

__all__ = ["FileChunk", "FileRows", "RowReader", "file_chunks"]


@dataclass(frozen=True, slots=True)
class FileRows:
    """Where the explained rows are: the data file and each row's position in it (0-based)."""

    path: str  # absolute, as every worker sees it
    positions: np.ndarray  # file row of each explained row, in the explained order
    as_text: tuple[str, ...] = ()  # columns the audit reads as text (models auditlens fits)


@dataclass(frozen=True, slots=True)
class FileChunk:
    """One worker task: rows of some row groups, and the digest of their model input."""

    groups: tuple[int, ...]  # row groups to read
    local: np.ndarray  # positions of the chunk's rows within those groups, read in this order
    digest: str  # sha256 of the chunk's model input (float64, C order)


@dataclass(frozen=True, slots=True)
class RowReader:
    """Reads a chunk's rows and makes the model input the main process made (sent once)."""

    path: str
    columns: tuple[str, ...]
    as_text: tuple[str, ...]
    prepare: Callable[[pd.DataFrame], np.ndarray]  # original columns -> recoded model input

    def __call__(self, chunk: FileChunk) -> np.ndarray:
        import pyarrow.parquet as pq

        try:
            table = pq.ParquetFile(self.path).read_row_groups(list(chunk.groups), columns=list(self.columns))
        except (OSError, ValueError) as exc:  # missing file, column, row group
            raise AnalysisError(
                f"explain.workers_read_data: a cluster worker cannot read row groups {list(chunk.groups)} "
                f"of {self.path!r}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            ) from None
        frame = table.to_pandas().iloc[chunk.local]
        frame = frame.astype({c: str for c in self.as_text})
        rows = self.prepare(frame)
        if digest(rows) != chunk.digest:
            raise AnalysisError(
                f"explain.workers_read_data: a cluster worker read other values from {self.path!r} "
                f"than the audit did (row groups {list(chunk.groups)}); expected the same file at "
                "that path on every worker"
            )
        return rows


def digest(rows: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(rows, dtype=np.float64).tobytes()).hexdigest()


def file_chunks(rows: FileRows, inputs: np.ndarray, max_rows: int) -> tuple[list[FileChunk], np.ndarray]:
    """Cut the explained rows, in file order, into chunks of ``max_rows`` rows.

    A chunk reads only the row groups its rows are in (a group whose rows fall in two chunks is
    read by both: a file written as one group still spreads over the workers).

    ``inputs[i]`` is the model input of explained row ``i``. Returns the chunks and the order
    of the explained rows they hold, chunk after chunk: a chunk reads its groups in file order,
    so results come back sorted by file position and are put back with this order.
    """
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(rows.path).metadata
    starts = np.cumsum([0] + [meta.row_group(g).num_rows for g in range(meta.num_row_groups)])
    if rows.positions.size and (rows.positions.min() < 0 or rows.positions.max() >= starts[-1]):
        raise AnalysisError(f"explain.workers_read_data: {rows.path!r} has fewer rows than the audit read")
    order = np.argsort(rows.positions, kind="stable")
    group_of = np.searchsorted(starts, rows.positions[order], side="right") - 1
    chunks: list[FileChunk] = []
    for begin in range(0, order.size, max_rows):
        end = min(begin + max_rows, order.size)
        groups = np.unique(group_of[begin:end])
        # a row's position within the chunk's groups read one after the other
        sizes = starts[groups + 1] - starts[groups]
        offset = dict(zip(groups.tolist(), (np.cumsum(sizes) - sizes).tolist(), strict=True))
        g = group_of[begin:end]
        local = rows.positions[order[begin:end]] - starts[g] + np.array([offset[k] for k in g.tolist()])
        chunks.append(FileChunk(tuple(groups.tolist()), local.astype(np.int64), digest(inputs[order[begin:end]])))
    return chunks, order

