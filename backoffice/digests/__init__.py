"""The weekly e-mails: each client's digest of their week, and the staff merchandising review.

Both walk their recipients, render each e-mail and queue it in the outbox under the key
`<kind>:<account id>:<ISO week>`. The key is unique, so the row is the claim: a second run,
or two machines at once, queue each e-mail once (`core.outbox.email_queue`).
"""

from .clients import digests_send
from .run import DigestRun
from .staff import staff_digests_send

__all__ = ["DigestRun", "digests_send", "staff_digests_send"]
