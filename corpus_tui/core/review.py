"""Per-document review status and note."""

from __future__ import annotations

from .arguments import whole_numbers
from .base import CorpusBase
from .errors import ChangedElsewhere, InvalidValue
from .safe_text import one_line, quoted
from .schema import STATUSES


class ReviewMixin(CorpusBase):
    @whole_numbers("document_id")
    def set_status(self, document_id: int, status: str) -> bool:
        """Set the review status; False when it already was that."""
        if status not in STATUSES:
            raise InvalidValue(f"unknown status {status!r} (one of: {', '.join(STATUSES)})")
        with self.write():
            before = self.document(document_id).status
            if before == status:
                return False
            self.db.execute("UPDATE documents SET status = ? WHERE id = ?", [status, document_id])
            self.log_event("status.set", document_id, {"before": before, "after": status})
        return True

    @whole_numbers("document_id")
    def set_note(self, document_id: int, note: str, expected: str | None = None) -> bool:
        """Replace the document note; False when unchanged. ``expected``: the note as the caller
        read it (an editor opened on it); when another process changed it since, nothing is
        written and ``ChangedElsewhere`` says so: the last to save must not silently replace it."""
        if not isinstance(note, str):
            raise InvalidValue(f"a note is text, not {type(note).__name__} (an empty note clears it)")
        with self.write():
            before = self.document(document_id).note
            if before == note:
                return False
            if expected is not None and before != expected:
                theirs = f"it now reads {quoted(one_line(before, 80))}" if before else "it was cleared"
                raise ChangedElsewhere(f"the note was changed by another process since the editor opened ({theirs}): "
                                       "nothing saved; your text is still in the editor, and esc again keeps it "
                                       "over theirs (u brings theirs back)")
            self.db.execute("UPDATE documents SET note = ? WHERE id = ?", [note, document_id])
            self.log_event("note.set", document_id, {"before": before, "after": note})
        return True
