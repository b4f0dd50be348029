"""Item pipelines: validation -> deduplication -> storage (SQLAlchemy Core).

Enable them in this order, with the run recorder after the crawl summary::

    ITEM_PIPELINES = {
        "pipelines.validation.ValidationPipeline": 100,
        "pipelines.dedup.DeduplicationPipeline": 200,
        "pipelines.storage.StoragePipeline": 300,
    }
    EXTENSIONS = {
        "newscrawl.extensions.CrawlSummary": 500,
        "pipelines.runs.CrawlRunRecorder": 600,
    }

Modules: ``validation`` (drop non-articles), ``dedup`` (new / updated /
unchanged / duplicate), ``revisions`` (what counts as a changed article),
``storage`` (the pipeline) + ``store`` (the per-crawler store, combining
``lookups`` (indexed questions, the incremental lookup ``known_article``),
``runindex`` (this run's accepted articles), ``batch`` (batched writes,
revisions) and ``decisions`` (outcomes)), ``runlock`` (no two runs of one crawl
at once), ``runs`` (the crawl_runs record), ``schema``, ``migrate`` (+
``migrations/``), ``database``, ``dialects``, ``errors``; ``nearduplicates``
(MinHash index).
"""
