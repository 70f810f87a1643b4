"""Bulk operations on the library: reprocess, HLS backfill, media migration, link check."""
