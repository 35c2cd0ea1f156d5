"""django-q2 entry points."""

from .proposals import proposals_refresh


def propose_bundles() -> dict[str, int]:
    """The weekly schedule: draft bundle proposals from paid orders, for staff to decide;
    it never makes or publishes a bundle."""
    run = proposals_refresh()
    return {
        "orders": run.orders,
        "pairs": run.pairs,
        "created": run.created,
        "updated": run.updated,
    }
