"""Where a post is: streets, houses, districts and towns, against the region's gazetteer."""
