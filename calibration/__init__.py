"""Calibration: a scenario fitted to historical contact logs (docs/calibration.md).

Uses the simulator's public API only.
"""

from calibration.calibrate import Calibration, calibrate
from calibration.logs import Log, LogError, read_log
from calibration.message_logs import read_message_log
from calibration.synthetic import synthetic_log, synthetic_message_log

__all__ = ["Calibration", "Log", "LogError", "calibrate", "read_log", "read_message_log", "synthetic_log",
           "synthetic_message_log"]
