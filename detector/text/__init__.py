"""How the detector reads text: lemmas, lexicon phrases, word vectors and the models' features."""
