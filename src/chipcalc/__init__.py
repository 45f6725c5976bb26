"""chipcalc: a unit-aware hardware performance comparison calculator.

Every figure carries its unit and its provenance (the sources it rests on and the
assumptions it depends on); derived figures carry the union of their inputs'.
"""

__version__ = "0.1.0"
