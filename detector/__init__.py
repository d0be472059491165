"""The incident detector (complaints, fakes, crises). It imports nothing from Scrapy.

Empty until the detector issues land; the crawler's pipeline has no scoring stage until then.
"""
