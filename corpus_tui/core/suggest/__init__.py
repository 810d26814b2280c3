"""Boilerplate suggestions: every line of a document gets a score in [0, 1] and a reason.

``features`` turns a document's lines into numbers (pure Python: the training script and the
app compute them with the same code); ``model`` holds the shipped weights and scores them.
"""
