"""Subcommands of `uhdvd-data`. Each module has register(subparsers) and keeps heavy imports inside its run()."""
