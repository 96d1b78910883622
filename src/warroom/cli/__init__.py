"""The command line: wires config to the engine and the console."""
