"""The output layer: the table model and its renderers, number display, atomic file writing, plots, the
HTML report, and the table builders per question. Imports every layer below, never cli."""
