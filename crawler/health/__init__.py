"""Sources' health: each crawl's outcome per source, judged against the source's own history
(:mod:`~crawler.health.record`, pure), recorded by the crawl (:mod:`~crawler.health.extension`)
and alerted about (:mod:`~crawler.health.alerts`)."""
