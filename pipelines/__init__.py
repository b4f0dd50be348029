"""Item pipelines: validation -> deduplication -> storage (SQLAlchemy Core).

Enable them in this order::

    ITEM_PIPELINES = {
        "pipelines.validation.ValidationPipeline": 100,
        "pipelines.dedup.DeduplicationPipeline": 200,
        "pipelines.storage.StoragePipeline": 300,
    }
"""
