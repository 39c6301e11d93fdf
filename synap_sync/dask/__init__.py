"""Backfills over a Dask cluster: ``synap_sync.dask.ingest(bag_or_dataframe, client=client)``.

Needs the ``dask`` extra (``pip install 'synap-sync[dask]'``); ``import synap_sync`` never imports it.
"""

from ._driver import ingest

__all__ = ["ingest"]
