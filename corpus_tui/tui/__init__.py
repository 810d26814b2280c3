"""The Textual face of corpus-tui. The library it drives is ``corpus_tui.core``."""
