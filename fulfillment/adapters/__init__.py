from ..models import Adapter
from .base import (
    PermanentError,
    RetryableError,
    Snapshot,
    StepAdapter,
    StepContext,
    StepOutcome,
    WaitForStaff,
)

__all__ = [
    "PermanentError",
    "RetryableError",
    "Snapshot",
    "StepAdapter",
    "StepContext",
    "StepOutcome",
    "WaitForStaff",
    "get_adapter",
]


def get_adapter(name: str) -> StepAdapter:
    from .instagram import InstagramAdapter
    from .provider_panel import ProviderPanelAdapter
    from .simple import ManualAdapter, NoopAdapter, SandboxAdapter

    adapters = {
        Adapter.SANDBOX: SandboxAdapter,
        Adapter.PROVIDER_PANEL: ProviderPanelAdapter,
        Adapter.INSTAGRAM: InstagramAdapter,
        Adapter.MANUAL: ManualAdapter,
        Adapter.NOOP: NoopAdapter,
    }
    if name not in adapters:
        raise PermanentError(f"Unknown adapter {name!r}.")
    return adapters[name]()
