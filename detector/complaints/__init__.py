"""Is a post a citizen's complaint, and in which sector: the trained complaints model."""
