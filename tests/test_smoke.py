from tests.factories import nomination_in


def test_every_state_is_reachable(world):
    for state in ("draft", "submitted", "returned", "withdrawn", "verified", "rejected", "approved",
                  "revoked"):
        n = nomination_in(world, state, year=2026 if state != "approved" else 2025)
        assert n.state == state
        # withdraw/reject free the slot; others block: use a fresh subject for each
        from certify.extensions import db
        db.session.delete(n.recognition) if n.recognition else None
        db.session.delete(n)
        db.session.commit()
