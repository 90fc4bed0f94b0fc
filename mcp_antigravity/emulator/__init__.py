"""A strict local stand-in for the Antigravity upstream. See docs/emulator.md."""

from .app import Emulator, EmulatorConfig
from .faults import Fault, FaultSpecError, parse_fault
from .runner import running_emulator, serve_app

__all__ = [
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "FaultSpecError",
    "parse_fault",
    "running_emulator",
    "serve_app",
]
