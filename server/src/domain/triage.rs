//! Triage of a tip: NEW → IN_PROGRESS → HANDLED | NOT_RELEVANT. An unrouted tip can be
//! taken up by staff like a new one; a closed tip can be reopened.

use entity::TipStatus;

/// Whether staff may move a tip from one status to another.
pub fn allowed(from: TipStatus, to: TipStatus) -> bool {
    use TipStatus::*;
    matches!(
        (from, to),
        (New | Unrouted, InProgress)
            | (New | Unrouted | InProgress, Handled | NotRelevant)
            | (Handled | NotRelevant, InProgress)
    )
}

/// True for the statuses that close a tip (its handling time is recorded).
pub fn closes(status: TipStatus) -> bool {
    matches!(status, TipStatus::Handled | TipStatus::NotRelevant)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TipStatus::*;

    #[test]
    fn the_happy_path() {
        assert!(allowed(New, InProgress));
        assert!(allowed(InProgress, Handled));
        assert!(allowed(InProgress, NotRelevant));
        assert!(allowed(Unrouted, InProgress));
    }

    #[test]
    fn invalid_moves() {
        for (from, to) in [
            (New, New),
            (Handled, Handled),
            (InProgress, New),
            (Handled, New),
            (InProgress, Unrouted),
            (New, Unrouted),
        ] {
            assert!(!allowed(from, to), "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn closing() {
        assert!(closes(Handled) && closes(NotRelevant) && !closes(InProgress));
    }
}
