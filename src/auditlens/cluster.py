"""A Dask cluster for the data-parallel stages (SHAP, the group bootstrap), when asked for.

``[explain] cluster = "local"`` starts a ``LocalCluster`` of worker *processes* with one thread
each (TreeSHAP holds the GIL, so threads do not help); ``cluster = "tcp://HOST:PORT"``
connects to a running scheduler, whose workers may be on other machines. auditlens schedules
nothing itself: work is cut into independent chunks, shared inputs are sent once
(``scatter``), Dask runs the chunks, and results are put back in their order, so every number
equals the single-process run. dask and distributed are an extra: ``pip install 'auditlens[dask]'``.

The composer opens the cluster once (:func:`use_cluster`); the stages ask :func:`current_client`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from auditlens.errors import SpecError

_CLIENT: contextvars.ContextVar[Any] = contextvars.ContextVar("auditlens_dask_client", default=None)
# The workers' warm-up imports (futures) of the open cluster, awaited before any work is sent.
_WARMING: contextvars.ContextVar[list[Any]] = contextvars.ContextVar("auditlens_dask_warming", default=[])
CONNECT_TIMEOUT_S = 10


def current_client() -> Any:
    """The Dask client of the running audit, or None (everything runs in this process)."""
    return _CLIENT.get()


def _import_distributed() -> Any:
    try:
        import distributed
    except ModuleNotFoundError:
        raise SpecError(
            "explain.cluster: expected dask and distributed to be installed (pip install 'auditlens[dask]'); "
            "they are not"
        ) from None
    return distributed


@contextmanager
def use_cluster(address: str | None, *, workers: int = 2) -> Iterator[Any]:
    """Open the cluster ``address`` names ("local" or "tcp://HOST:PORT") for the block inside.

    None: no cluster (yields None). A local cluster is closed on exit; a remote one is left
    running (only the connection closes).
    """
    if address is None:
        token = _CLIENT.set(None)
        try:
            yield None
        finally:
            _CLIENT.reset(token)
        return
    distributed = _import_distributed()
    cluster = None
    try:
        if address == "local":
            with _plain_malloc():
                cluster = distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                )
            client = distributed.Client(cluster, set_as_default=False)
        else:
            client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SpecError(f"explain.cluster: expected a reachable Dask scheduler; cannot connect to {address!r}: {first}") from None
    token = _CLIENT.set(client)
    warming = _WARMING.set(_warm_up(client))
    try:
        yield client
    finally:
        _WARMING.reset(warming)
        _CLIENT.reset(token)
        client.close()
        if cluster is not None:
            cluster.close()


# What the stages' tasks import on a worker (shap alone takes ~4 s); named, not imported here.
STAGE_MODULES = ("shap", "auditlens.explain._shap", "auditlens.groups")


def _import_stage_modules() -> None:
    import importlib

    for name in STAGE_MODULES:
        importlib.import_module(name)


def _warm_up(client: Any) -> list[Any]:
    """Have every worker import what the stages need now, while this process works on the
    stages before them, not inside the SHAP stage's first chunk (a fresh worker spent ~4 s of
    wall time there). Returns the futures, held until the cluster closes; a failed import
    surfaces again where the stage needs the module."""
    workers = list(client.scheduler_info().get("workers", {}))
    return [client.submit(_import_stage_modules, workers=[w], allow_other_workers=False, pure=False) for w in workers]


def _warmed(client: Any) -> None:
    """Wait until the workers' warm-up imports are done, before sending them work.

    A scattered explainer is unpickled on the worker's event loop, which imports shap; the
    warm-up imports shap in a worker thread. Both at once broke the import ("KeyError:
    'shap'", a partially initialised module) when the SHAP stage began within the ~4 s the
    warm-up takes. Once it is done this returns at once.
    """
    for future in _WARMING.get():
        if future.client is client:
            future.exception()  # waits; an error is not raised here (see _warm_up)


def _plain_malloc() -> Any:
    """Start workers without the ``MALLOC_TRIM_THRESHOLD_`` Dask's nanny sets by default.

    Setting it at all fixes glibc's threshold for serving an allocation with its own mmap at
    128 KiB, so every array of a chunk (a 1,000,000-row resample is several 8 MB arrays) is
    mapped, page-faulted in and unmapped again. Measured: 20 bootstrap resamples of 1,000,000
    rows took 8.9 s in a worker against 5.3 s in a plain process, and 9.0 s in a plain process
    given that variable. Dask sets it to hand memory back to the OS; the chunks here are
    bounded, so the default (a threshold that adapts) is kept. The thread limits stay.
    """
    import dask

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    return dask.config.set({"distributed.nanny.pre-spawn-environ": environ})


def n_workers(client: Any) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def submit_chunks(client: Any, fn: Callable[..., Any], shared: Sequence[Any], chunks: Sequence[Any]) -> list[Any]:
    """Start ``fn(*shared, chunk)`` for every chunk on the cluster now; returns the futures.

    For work whose chunks are small (seeds, not rows): all are queued at once, so the workers
    keep busy while this process does something else, and :func:`gather_chunks` collects them
    in order. ``shared`` is scattered once to every worker.
    """
    _warmed(client)
    handles = [client.scatter(obj, broadcast=True) for obj in shared]
    return [client.submit(fn, *handles, chunk, pure=False) for chunk in chunks]


def gather_chunks(client: Any, futures: Sequence[Any]) -> list[Any]:
    """The results of :func:`submit_chunks`' futures, in their order (re-raises a task's error)."""
    return list(client.gather(list(futures)))


def map_chunks(
    client: Any,
    fn: Callable[..., Any],
    shared: Sequence[Any],
    chunks: Sequence[Any],
    *,
    progress: Callable[[int, int], None] | None = None,
    weight: Callable[[Any], int] = lambda result: 1,
    total: int | None = None,
    in_flight: int | None = None,
) -> list[Any]:
    """``[fn(*shared, chunk) for chunk in chunks]`` on the cluster, in order.

    ``shared`` is scattered once to every worker; chunks are submitted a few at a time (at
    most ``in_flight``, default 2 per worker), so neither this process nor a worker holds
    more than a few chunks' inputs at once. ``progress(done, total)`` follows finished
    chunks, each counting ``weight(result)`` (e.g. its rows).
    """
    distributed = _import_distributed()
    _warmed(client)
    handles = [client.scatter(obj, broadcast=True) for obj in shared]
    limit = in_flight or 2 * n_workers(client)
    results: list[Any] = [None] * len(chunks)
    pending = distributed.as_completed(loop=client.loop)  # not the default client: ours
    index: dict[str, int] = {}
    submitted = done = 0
    total = len(chunks) if total is None else total

    def submit_next() -> None:
        nonlocal submitted
        future = client.submit(fn, *handles, chunks[submitted], pure=False)
        index[future.key] = submitted
        pending.add(future)
        submitted += 1

    while submitted < min(limit, len(chunks)):
        submit_next()
    for future in pending:
        result = future.result()  # re-raises a task's exception here
        results[index.pop(future.key)] = result
        future.release()
        done += weight(result)
        if progress is not None:
            progress(done, total)
        if submitted < len(chunks):
            submit_next()
    return results
