"""An offline stand-in for Meta's Threads Graph API and GitHub, for tests and first runs.

``ThreadsSandbox`` runs a real HTTP server on 127.0.0.1 in a background thread. It follows
Meta's documented behaviour (container lifecycle, validation, quotas, error envelopes), fakes the
GitHub contents API and a raw file host, records every request and can inject faults.
"""

from ._faults import HeldRequest
from ._records import Account, RecordedRequest
from ._sandbox import ThreadsSandbox

__all__ = ["Account", "HeldRequest", "RecordedRequest", "ThreadsSandbox"]
