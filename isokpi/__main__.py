import sys

from isokpi.cli import main

sys.exit(main())
