import sys

from async_lint.checks import main

sys.exit(main())
