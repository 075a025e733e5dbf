"""``python -m generator.batch SOURCE [options]``: the same as ``juesuan batch``."""
import sys

from .command import main

if __name__ == "__main__":      # not when a spawned worker imports the main module as __mp_main__
    sys.exit(main())
