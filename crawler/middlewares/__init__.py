"""Downloader middlewares: VK API errors and tokens, Retry-After."""
