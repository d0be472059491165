"""From scored posts to work for people: near-copy clusters, routing, incidents in the routing
queue, stories in the fact-check queue, and the sinks that announce them."""
