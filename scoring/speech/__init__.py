"""Speech: audio decoding and storage, transcription, pauses, forced alignment, oral fluency and
pronunciation. `scoring.items.speaking` uses these to score the seven spoken item types."""
