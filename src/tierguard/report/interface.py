"""Report: pure functions of the versioned ScanResult; they never reach into the engine.

Each module ``tierguard.report.<fmt>`` exposes ``render(result: ScanResult) -> str``; the console reporter
also has ``print_result(result, console)``. ``FORMATS`` in ``tierguard.report`` maps names to renderers.
"""
