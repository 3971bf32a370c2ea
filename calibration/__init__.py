"""Calibration: a scenario fitted to historical contact logs (docs/calibration.md).

Uses the simulator's public API only.
"""

from calibration.calibrate import Calibration, calibrate, calibrate_report
from calibration.logs import Log, LogError, read_log
from calibration.message_logs import read_message_log
from calibration.reports import read_report
from calibration.synthetic import synthetic_log, synthetic_message_log

__all__ = ["Calibration", "Log", "LogError", "calibrate", "calibrate_report", "read_log", "read_message_log",
           "read_report", "synthetic_log", "synthetic_message_log"]
