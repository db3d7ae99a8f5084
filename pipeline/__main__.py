import os
import sys

from pipeline.cli import main

try:
    sys.exit(main())
except BrokenPipeError:
    # `python -m pipeline stages | head`: the reader left; not an error of ours. Python would
    # complain again flushing stdout at exit, so point it at /dev/null first.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)
