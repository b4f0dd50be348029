"""Fleet mode: several `scrapy crawl` workers share one frontier in Redis (scrapy-redis 0.9.1).

Switched on by ``-s REDIS_URL=redis://host:port/db`` through ``addon.FleetAddon``; without it
nothing here is used. ``run`` agrees one fleet run among the workers, ``compat`` adapts the
scrapy-redis scheduler to this project and Scrapy 2.19, ``idle`` closes a worker once the fleet
has had nothing to do for MAX_IDLE_TIME_BEFORE_CLOSE seconds.
"""
