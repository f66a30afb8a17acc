#!/usr/bin/env python3
"""Placeholder for the jobctl metrics helper (tools/jobctl_metrics.py).

Images built before the helper exists get this file instead, so that job
commands calling it fail with a clear message rather than "not found".
"""
import sys

sys.stderr.write("jobctl_metrics.py: this image was built without the metrics helper\n")
sys.exit(1)
