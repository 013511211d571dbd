import sys

from lambdabench.cli import main

sys.exit(main(sys.argv[1:]))
