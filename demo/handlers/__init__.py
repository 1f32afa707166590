"""One module per tab: plain functions from inputs to outputs, with no Gradio objects inside.

Images go out as (H, W, 3) uint8 arrays (or files for animations), so the tests can
call every handler directly and the UI only has to place the results.
"""
