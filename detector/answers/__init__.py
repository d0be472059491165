"""Official answers: found in the threads under citizens' posts, linked to their incidents, and read
for what they promise (substantive or отписка)."""

from detector.answers.quality import OTPISKA, QUALITIES, SUBSTANTIVE, AnswerQuality, classify_answer, markers

__all__ = ["OTPISKA", "QUALITIES", "SUBSTANTIVE", "AnswerQuality", "classify_answer", "markers"]
