"""The calculation layer: one module per question, pure functions from records to Figures
(cluster totals, serving latency, training, fleets, ranges, sweeps, the model's accuracy).
Imports core and catalog, never claims, output or cli."""
