import sys

from tests.hostile.server import main

sys.exit(main())
