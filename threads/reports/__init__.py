"""The managers' compliance report: queries over finished clocks, the page and its CSV tables, the
SVG charts."""
