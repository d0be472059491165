"""Is a post a false story spreading, or a threat: the rumour lexicon, the debunk registry and the
fakes model."""
