"""Near-duplicate documents: MinHash signatures at scan, LSH candidates verified
exactly, clusters, and the analyst's duplicate marks (see each module)."""
