"""The three named loggers squall writes to."""

from __future__ import annotations

import logging

access_log = logging.getLogger("squall.access")
app_log = logging.getLogger("squall.application")
gen_log = logging.getLogger("squall.general")
