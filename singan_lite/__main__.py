"""`python -m singan_lite`: the `singan-lite` command."""

import sys

from .cli import main

sys.exit(main())
