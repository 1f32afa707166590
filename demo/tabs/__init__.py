"""One module per tab, each with one `build(shared)` that places the tab's components and wires its events.

The computations live in demo.handlers; `shared` (demo.tabs.shared.Shared) carries what
every tab reads: the model picker, the browser session and the registry behind them.
Editing and Harmonization are one module, `blend`, as their handler is one.
"""
