"""Constants that several layers share, each stated once (this module imports nothing).

The config layer validates against them and the layers below compute with them, so a
scenario is refused at load time, with its file and line, for exactly what a run would
fail on later.
"""

from __future__ import annotations

#: Years covered by the shipped US government bond market calendar
#: (simulator/data/calendars/us_government_bond_holidays.csv).
FIRST_CALENDAR_YEAR = 1962
LAST_CALENDAR_YEAR = 2035
